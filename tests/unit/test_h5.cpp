#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "dropperc/io/h5.hpp"

namespace dropperc::h5 {
// Readable failure messages for tables (found by argument-dependent lookup).
static void PrintTo(const TableColumn& column, std::ostream* out) {
  *out << column.name << ": ";
  std::visit([&](const auto& values) { *out << ::testing::PrintToString(values); }, column.values);
}
}  // namespace dropperc::h5

namespace dropperc {
namespace {

using h5::ElementKind;
using h5::File;
using h5::Group;
using h5::Meta;
using h5::Shape;
using h5::TableColumn;

// A file name in the test temporary directory, unique to this process, removed at the end.
class TempFile {
 public:
  explicit TempFile(const std::string& name)
      : path_(std::filesystem::path(::testing::TempDir()) /
              ("dropperc_h5_" + std::to_string(::getpid()) + "_" + name)) {}
  ~TempFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string name() const { return path_.filename().string(); }

 private:
  std::filesystem::path path_;
};

// Runs `action`, which must throw h5::Error, and returns the message.
template <class Action>
std::string error_message(Action&& action) {
  try {
    action();
  } catch (const h5::Error& error) {
    return error.what();
  }
  ADD_FAILURE() << "no h5::Error thrown";
  return "";
}

void expect_mentions(const std::string& message, std::initializer_list<std::string> parts) {
  for (const std::string& part : parts)
    EXPECT_NE(message.find(part), std::string::npos) << '"' << message << "\" lacks " << part;
}

template <class T>
void expect_round_trip(Group& group, const std::string& name, const std::vector<T>& values) {
  group.write(name, values);
  EXPECT_EQ(group.read<T>(name), values) << name;
  EXPECT_EQ(group.shape(name), Shape{values.size()}) << name;
}

TEST(H5, RoundTripsEveryElementTypeExactly) {
  const TempFile file("types.h5");
  Group root = File::create(file.path()).root();
  using I64 = std::numeric_limits<std::int64_t>;
  using I32 = std::numeric_limits<std::int32_t>;
  expect_round_trip<double>(root, "double", {0.1, -1e300, 5e-324, 1.0 / 3.0});
  expect_round_trip<float>(root, "float", {0.1F, -3.4e38F, 1e-45F, 1.0F / 3.0F});
  expect_round_trip<std::int64_t>(root, "int64", {I64::min(), -1, 0, I64::max()});
  expect_round_trip<std::int32_t>(root, "int32", {I32::min(), -1, 0, I32::max()});
  expect_round_trip<std::uint64_t>(root, "uint64",
                                   {0, 1, std::numeric_limits<std::uint64_t>::max()});
  expect_round_trip<std::uint8_t>(root, "uint8", {0, 7, 255});
  expect_round_trip<double>(root, "empty", {});
}

TEST(H5, RoundTripsNanAndInfinity) {
  const TempFile file("special.h5");
  Group root = File::create(file.path()).root();
  const float inf = std::numeric_limits<float>::infinity();
  root.write<float>("float", {std::nanf(""), inf, -inf});
  root.write<double>("double", {std::nan(""), -std::numeric_limits<double>::infinity()});
  const std::vector<float> floats = root.read<float>("float");
  ASSERT_EQ(floats.size(), 3U);
  EXPECT_TRUE(std::isnan(floats[0]));
  EXPECT_EQ(floats[1], inf);
  EXPECT_EQ(floats[2], -inf);
  const std::vector<double> doubles = root.read<double>("double");
  ASSERT_EQ(doubles.size(), 2U);
  EXPECT_TRUE(std::isnan(doubles[0]));
  EXPECT_EQ(doubles[1], -std::numeric_limits<double>::infinity());
}

TEST(H5, KeepsMatricesRowMajor) {
  const TempFile file("matrix.h5");
  Group root = File::create(file.path()).root();
  const std::vector<std::int32_t> values = {1, 2, 3, 4, 5, 6};  // {{1, 2, 3}, {4, 5, 6}}
  root.write<std::int32_t>("m", values, Shape{2, 3});
  root.write<std::uint8_t>("column", std::vector<std::uint8_t>{9, 8}, Shape{2, 1});
  EXPECT_EQ(root.shape("m"), (Shape{2, 3}));
  EXPECT_EQ(root.read<std::int32_t>("m"), values);
  EXPECT_EQ(root.read<double>("m"), (std::vector<double>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(root.shape("column"), (Shape{2, 1}));
  EXPECT_EQ(root.read<std::uint8_t>("column"), (std::vector<std::uint8_t>{9, 8}));
}

TEST(H5, RoundTripsScalars) {
  const TempFile file("scalar.h5");
  Group root = File::create(file.path()).root();
  root.write<double>("pi", std::vector<double>{3.25}, Shape{});
  root.write<std::int64_t>("n", std::vector<std::int64_t>{-42}, Shape{});
  EXPECT_EQ(root.shape("pi"), Shape{});
  EXPECT_EQ(root.read<double>("pi"), std::vector<double>{3.25});
  EXPECT_EQ(root.read<std::int64_t>("n"), std::vector<std::int64_t>{-42});
}

TEST(H5, ConvertsOnRead) {
  const TempFile file("convert.h5");
  Group root = File::create(file.path()).root();
  root.write<std::int32_t>("ints", {-5, 0, 2147483647});
  root.write<double>("doubles", {0.5, -2.25, 1e10});
  EXPECT_EQ(root.read<std::int64_t>("ints"), (std::vector<std::int64_t>{-5, 0, 2147483647}));
  EXPECT_EQ(root.read<double>("ints"), (std::vector<double>{-5, 0, 2147483647}));
  EXPECT_EQ(root.read<float>("doubles"), (std::vector<float>{0.5F, -2.25F, 1e10F}));
}

TEST(H5, ReportsElementKind) {
  const TempFile file("kind.h5");
  Group root = File::create(file.path()).root();
  root.write<std::uint8_t>("labels", {1, 2});
  root.write<std::int64_t>("counts", {1, 2});
  root.write<float>("targets", {0.5F});
  root.write<double>("weights", {0.5});
  EXPECT_EQ(root.element_kind("labels"), ElementKind::integer);
  EXPECT_EQ(root.element_kind("counts"), ElementKind::integer);
  EXPECT_EQ(root.element_kind("targets"), ElementKind::floating);
  EXPECT_EQ(root.element_kind("weights"), ElementKind::floating);
}

TEST(H5, PersistsAcrossReopening) {
  const TempFile file("persist.h5");
  {
    File created = File::create(file.path());
    created.root().create_group("runs").write<double>("x", {1.5, 2.5});
    created.close();
    created.close();  // a second close does nothing
  }
  {
    File writable = File::open(file.path(), true);
    EXPECT_EQ(writable.path(), file.path());
    writable.root().group("runs").write<std::int64_t>("y", {7});
  }  // the destructor closes and flushes
  const File readable = File::open(file.path());
  const Group runs = readable.root().group("runs");
  EXPECT_EQ(runs.read<double>("x"), (std::vector<double>{1.5, 2.5}));
  EXPECT_EQ(runs.read<std::int64_t>("y"), std::vector<std::int64_t>{7});
  EXPECT_THROW(readable.root().write<double>("z", {1.0}), h5::Error);  // read-only
}

TEST(H5, CreateTruncatesAnExistingFile) {
  const TempFile file("truncate.h5");
  File::create(file.path()).root().write<double>("x", {1.0});
  EXPECT_FALSE(File::create(file.path()).root().contains("x"));
}

TEST(H5, NestedGroupsHaveAbsolutePaths) {
  const TempFile file("groups.h5");
  const File h5file = File::create(file.path());
  Group root = h5file.root();
  EXPECT_EQ(root.path(), "/");
  EXPECT_EQ(root.file_name(), file.path().string());
  const Group c = root.create_group("a/b/c");  // makes a and a/b too
  EXPECT_EQ(c.path(), "/a/b/c");
  Group a = root.group("a");
  EXPECT_EQ(a.path(), "/a");
  EXPECT_EQ(a.group("b").path(), "/a/b");
  EXPECT_EQ(a.group("b/c").path(), "/a/b/c");
  EXPECT_EQ(a.create_group("d").path(), "/a/d");
  a.write<double>("b/c/x", {1.0});
  EXPECT_EQ(root.group("a/b/c").read<double>("x"), std::vector<double>{1.0});
}

TEST(H5, ContainsLooksThroughNestedNames) {
  const TempFile file("contains.h5");
  Group root = File::create(file.path()).root();
  root.create_group("a/b");
  root.write<double>("a/data", {1.0});
  EXPECT_TRUE(root.contains("a"));
  EXPECT_TRUE(root.contains("a/b"));
  EXPECT_TRUE(root.contains("a/data"));
  EXPECT_TRUE(root.group("a").contains("b"));
  EXPECT_FALSE(root.contains("b"));
  EXPECT_FALSE(root.contains("a/c"));
  EXPECT_FALSE(root.contains("x/y/z"));     // missing intermediates
  EXPECT_FALSE(root.contains("a/x/y"));     // missing intermediate below an existing group
  EXPECT_FALSE(root.contains("a/data/x"));  // a dataset is no group
}

TEST(H5, RemovesGroupsAndDatasets) {
  const TempFile file("remove.h5");
  Group root = File::create(file.path()).root();
  root.create_group("a/b");
  root.write<double>("a/x", {1.0});
  root.remove("a/x");
  EXPECT_FALSE(root.contains("a/x"));
  root.remove("a");
  EXPECT_FALSE(root.contains("a"));
  EXPECT_FALSE(root.contains("a/b"));
  root.write<double>("a/x", {2.0});  // the name can be reused
  EXPECT_EQ(root.read<double>("a/x"), std::vector<double>{2.0});
}

TEST(H5, AttributesOfEveryKindRoundTrip) {
  const TempFile file("attributes.h5");
  {
    Group group = File::create(file.path()).root().create_group("run");
    group.set_attribute("theta", 0.125);
    group.set_attribute("seed", std::int64_t{std::numeric_limits<std::int64_t>::min()});
    group.set_attribute("note", std::string_view("héllo, wörld"));
    group.set_attribute("empty", std::string_view(""));
  }
  const Group group = File::open(file.path()).root().group("run");
  EXPECT_TRUE(group.has_attribute("theta"));
  EXPECT_FALSE(group.has_attribute("missing"));
  EXPECT_EQ(group.number_attribute("theta"), 0.125);
  EXPECT_EQ(group.integer_attribute("seed"), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(group.number_attribute("seed"), -9223372036854775808.0);  // integers read as double
  EXPECT_EQ(group.string_attribute("note"), "héllo, wörld");
  EXPECT_EQ(group.string_attribute("empty"), "");
}

// Writes the same contents into `group`, with a value of dataset "x" and attribute "n" chosen.
void write_contents(Group group, double x, std::int64_t n) {
  group.set_attribute("n", n);
  group.set_attribute("note", std::string_view("text"));
  group.write<double>("x", std::vector<double>{1.0, x, 3.0}, Meta{"a vector", "1"});
  group.write<std::int64_t>("sub/k", std::vector<std::int64_t>{4, 5});
  group.write<double>("empty", std::vector<double>{});
}

// The checksum sees every value, attribute and name, in files written at different times, and
// nothing else; the attribute it is told to skip (where it is stored) does not count.
TEST(H5, ChecksumChangesWithAnyValueAndOnlyThen) {
  const TempFile a("checksum_a.h5"), b("checksum_b.h5");
  auto checksum_of = [](const TempFile& file, double x, std::int64_t n) {
    {
      File f = File::create(file.path());
      write_contents(f.root(), x, n);
      f.close();
    }
    return File::open(file.path()).root().checksum("stored");
  };
  const std::uint32_t reference = checksum_of(a, 2.0, 7);
  EXPECT_EQ(checksum_of(b, 2.0, 7), reference);
  EXPECT_NE(checksum_of(b, std::nextafter(2.0, 3.0), 7), reference);  // one bit of one value
  EXPECT_NE(checksum_of(b, 2.0, 8), reference);
  {
    Group root = File::open(a.path(), true).root();
    root.set_attribute("stored", std::int64_t{reference});
    EXPECT_EQ(root.checksum("stored"), reference);
    root.set_attribute("other", 1.0);
    EXPECT_NE(root.checksum("stored"), reference);
  }
}

TEST(H5, SettingAnAttributeReplacesIt) {
  const TempFile file("replace.h5");
  Group root = File::create(file.path()).root();
  root.set_attribute("x", 1.5);
  root.set_attribute("x", 2.5);
  EXPECT_EQ(root.number_attribute("x"), 2.5);
  root.set_attribute("x", std::int64_t{3});  // another type
  EXPECT_EQ(root.integer_attribute("x"), 3);
  root.set_attribute("x", std::string_view("a much longer string than before"));
  root.set_attribute("x", std::string_view("short"));
  EXPECT_EQ(root.string_attribute("x"), "short");
}

TEST(H5, AttributeTypeMismatchesThrow) {
  const TempFile file("attribute_types.h5");
  Group root = File::create(file.path()).root();
  root.set_attribute("ratio", 2.5);
  root.set_attribute("label", std::string_view("abc"));
  expect_mentions(error_message([&] { root.integer_attribute("ratio"); }),
                  {file.name(), "ratio", "floating-point"});
  expect_mentions(error_message([&] { root.number_attribute("label"); }),
                  {file.name(), "label", "string"});
  expect_mentions(error_message([&] { root.string_attribute("ratio"); }),
                  {file.name(), "ratio", "floating-point"});
}

// Files from Python: h5py writes str as variable-length UTF-8 and numpy bytes as fixed-length.
TEST(H5, ReadsFilesWrittenByH5py) {
  if (std::system("/usr/bin/python3 -c 'import h5py' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "/usr/bin/python3 cannot import h5py (Debian package python3-h5py)";
  const TempFile file("h5py.h5");
  const TempFile script("h5py_writer.py");
  std::ofstream(script.path()) << R"(import sys
import h5py
import numpy as np
with h5py.File(sys.argv[1], "w") as f:
    g = f.create_group("meta")
    g.attrs["variable"] = "vlen \u00fcnicode"
    g.attrs["fixed"] = np.bytes_(b"fixed")
    g.attrs.create("padded", b"ab", dtype="S8")
    g.attrs["count"] = np.int16(-7)
    g.attrs["ratio"] = np.float32(0.5)
    g.attrs["list"] = [1, 2, 3]
    f["labels"] = np.array([[1, 2], [3, 4]], dtype="<i2")
    f["names"] = np.array([b"a", b"bc"])
)";
  const std::string command =
      "/usr/bin/python3 '" + script.path().string() + "' '" + file.path().string() + "'";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;

  const File h5file = File::open(file.path());
  const Group meta = h5file.root().group("meta");
  EXPECT_EQ(meta.string_attribute("variable"), "vlen \xc3\xbcnicode");
  EXPECT_EQ(meta.string_attribute("fixed"), "fixed");
  EXPECT_EQ(meta.string_attribute("padded"), "ab");
  EXPECT_EQ(meta.integer_attribute("count"), -7);
  EXPECT_EQ(meta.number_attribute("count"), -7.0);
  EXPECT_EQ(meta.number_attribute("ratio"), 0.5);
  expect_mentions(error_message([&] { meta.integer_attribute("list"); }),
                  {file.name(), "/meta", "list", "3 values"});

  const Group root = h5file.root();
  EXPECT_EQ(root.shape("labels"), (Shape{2, 2}));
  EXPECT_EQ(root.element_kind("labels"), ElementKind::integer);
  EXPECT_EQ(root.read<std::int64_t>("labels"), (std::vector<std::int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(root.element_kind("names"), ElementKind::other);
  expect_mentions(error_message([&] { root.read<double>("names"); }),
                  {file.name(), "/names", "double", "string"});
}

// --- Self-description, listing, tables ----------------------------------------------------------

TEST(H5, WritesMetaAsDatasetAttributes) {
  const TempFile file("meta.h5");
  {
    Group root = File::create(file.path()).root();
    root.write<double>("runs/x", {1.5, 2.5}, Meta{"bond occupation probability", "1"});
    const std::vector<std::int64_t> counts = {1, 2, 3, 4};
    root.write<std::int64_t>("n", counts, Shape{2, 2}, Meta{"cluster sizes", ""});
    root.write<std::uint8_t>("labels", std::vector<std::uint8_t>{1}, Meta{});
  }
  const Group root = File::open(file.path()).root();
  EXPECT_EQ(root.read<double>("runs/x"), (std::vector<double>{1.5, 2.5}));
  EXPECT_EQ(root.dataset_string_attribute("runs/x", "description"), "bond occupation probability");
  EXPECT_EQ(root.group("runs").dataset_string_attribute("x", "units"), "1");
  EXPECT_EQ(root.shape("n"), (Shape{2, 2}));
  EXPECT_EQ(root.read<std::int64_t>("n"), (std::vector<std::int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(root.dataset_string_attribute("n", "description"), "cluster sizes");
  EXPECT_TRUE(root.dataset_has_attribute("n", "units"));  // empty units are still written
  EXPECT_EQ(root.dataset_string_attribute("n", "units"), "");
  EXPECT_EQ(root.dataset_string_attribute("labels", "description"), "");
  EXPECT_EQ(root.dataset_string_attribute("labels", "units"), "");
}

TEST(H5, MetaWriteFailuresLeaveExistingDatasetsAlone) {
  const TempFile file("meta_exists.h5");
  Group root = File::create(file.path()).root();
  root.write<double>("x", {1.0}, Meta{"first", "m"});
  expect_mentions(error_message([&] {
                    root.write<double>("x", {2.0}, Meta{"second", "s"});
                  }),
                  {file.name(), "/x", "exists"});
  EXPECT_EQ(root.read<double>("x"), std::vector<double>{1.0});
  EXPECT_EQ(root.dataset_string_attribute("x", "description"), "first");
  const std::vector<double> three(3, 1.0);
  expect_mentions(error_message([&] {
                    root.write<double>("m", three, Shape{2, 2}, Meta{"d", "u"});
                  }),
                  {file.name(), "/m", "3 values", "{2, 2}"});
  EXPECT_FALSE(root.contains("m"));
}

TEST(H5, DatasetAttributesOfEveryKindRoundTrip) {
  const TempFile file("dataset_attributes.h5");
  {
    Group root = File::create(file.path()).root();
    root.write<double>("g/x", {1.0});
    Group g = root.group("g");
    g.set_dataset_attribute("x", "note", "héllo");
    g.set_dataset_attribute("x", "theta", 0.125);
    root.set_dataset_attribute("g/x", "empty", std::string_view(""));
    root.set_dataset_attribute("g/x", "replaced", 1.5);
    root.set_dataset_attribute("g/x", "replaced", "now a string");
  }
  const Group root = File::open(file.path()).root();
  EXPECT_TRUE(root.dataset_has_attribute("g/x", "note"));
  EXPECT_FALSE(root.dataset_has_attribute("g/x", "missing"));
  EXPECT_FALSE(root.group("g").has_attribute("note"));  // on the dataset, not its group
  EXPECT_EQ(root.dataset_string_attribute("g/x", "note"), "héllo");
  EXPECT_EQ(root.group("g").dataset_number_attribute("x", "theta"), 0.125);
  EXPECT_EQ(root.dataset_string_attribute("g/x", "empty"), "");
  EXPECT_EQ(root.dataset_string_attribute("g/x", "replaced"), "now a string");
  expect_mentions(error_message([&] { root.dataset_number_attribute("g/x", "note"); }),
                  {file.name(), "/g/x", "'note'", "string"});
  expect_mentions(error_message([&] { root.dataset_string_attribute("g/x", "theta"); }),
                  {file.name(), "/g/x", "'theta'", "floating-point"});
}

TEST(H5, MissingDatasetAttributeThrows) {
  const TempFile file("missing_dataset_attribute.h5");
  Group root = File::create(file.path()).root();
  root.write<double>("runs/x", {1.0});
  expect_mentions(error_message([&] { root.dataset_string_attribute("runs/x", "units"); }),
                  {file.name(), "/runs/x", "'units'", "not found"});
  expect_mentions(error_message([&] { root.group("runs").dataset_number_attribute("x", "seed"); }),
                  {file.name(), "/runs/x", "'seed'", "not found"});
  expect_mentions(error_message([&] { root.dataset_has_attribute("runs/y", "units"); }),
                  {file.name(), "/runs/y", "not found"});
  expect_mentions(error_message([&] { root.set_dataset_attribute("runs/y", "units", "m"); }),
                  {file.name(), "/runs/y", "not found"});
  expect_mentions(error_message([&] { root.set_dataset_attribute("runs", "theta", 0.5); }),
                  {file.name(), "/runs", "not a dataset"});
  EXPECT_FALSE(root.group("runs").has_attribute("theta"));
}

TEST(H5, ListsMembersInNameOrder) {
  const TempFile file("members.h5");
  Group root = File::create(file.path()).root();
  root.create_group("b");
  root.create_group("a/inner");
  root.write<double>("c", {1.0});
  root.write<double>("a10", {1.0});
  root.write<double>("a2", {1.0});
  root.write<double>("B", {1.0});
  root.create_group("empty");
  EXPECT_EQ(root.members(), (std::vector<std::string>{"B", "a", "a10", "a2", "b", "c", "empty"}));
  EXPECT_EQ(root.group("a").members(), std::vector<std::string>{"inner"});
  EXPECT_TRUE(root.group("empty").members().empty());
  EXPECT_TRUE(root.is_group("a"));
  EXPECT_TRUE(root.is_group("a/inner"));
  EXPECT_TRUE(root.group("a").is_group("inner"));
  EXPECT_FALSE(root.is_group("c"));        // a dataset
  EXPECT_FALSE(root.is_group("missing"));  // nothing there
  EXPECT_FALSE(root.is_group("c/x"));      // below a dataset
  EXPECT_THROW(root.is_group("/a"), h5::Error);
}

void expect_tables_equal(const std::vector<TableColumn>& read,
                         const std::vector<TableColumn>& written) {
  ASSERT_EQ(read.size(), written.size());
  for (std::size_t i = 0; i < read.size(); ++i)
    EXPECT_EQ(read[i], written[i]) << "column " << i;
}

TEST(H5, TablesRoundTrip) {
  const TempFile file("table.h5");
  using I64 = std::numeric_limits<std::int64_t>;
  const std::vector<TableColumn> mixed = {
      {"theta", std::vector<double>{0.5, -1e300, std::numeric_limits<double>::infinity()}},
      {"seed", std::vector<std::int64_t>{I64::min(), 0, I64::max()}},
      {"model", std::vector<std::string>{"", "erdos_renyi", "ba"}},
      {"size", std::vector<double>{1, 2, 3}},
      {"tag", std::vector<std::string>{"x", "y", "z"}}};
  const std::vector<TableColumn> no_rows = {{"a", std::vector<double>{}},
                                            {"b", std::vector<std::int64_t>{}},
                                            {"c", std::vector<std::string>{}}};
  const std::vector<TableColumn> one_column = {{"only", std::vector<std::int64_t>{4, 5}}};
  const std::vector<TableColumn> empty_strings = {{"s", std::vector<std::string>{"", ""}}};
  {
    Group root = File::create(file.path()).root();
    root.write_table("summary", mixed, Meta{"one row per run", ""});
    root.write_table("tables/none", no_rows, Meta{"nothing yet", "1"});
    root.group("tables").write_table("one", one_column, Meta{});
    root.write_table("blank", empty_strings, Meta{});
  }
  const Group root = File::open(file.path()).root();
  expect_tables_equal(root.read_table("summary"), mixed);
  EXPECT_EQ(root.shape("summary"), Shape{3});
  EXPECT_EQ(root.element_kind("summary"), ElementKind::other);
  EXPECT_EQ(root.dataset_string_attribute("summary", "description"), "one row per run");
  EXPECT_EQ(root.dataset_string_attribute("summary", "units"), "");
  expect_tables_equal(root.read_table("tables/none"), no_rows);
  EXPECT_EQ(root.shape("tables/none"), Shape{0});
  EXPECT_EQ(root.dataset_string_attribute("tables/none", "units"), "1");
  expect_tables_equal(root.group("tables").read_table("one"), one_column);
  expect_tables_equal(root.read_table("blank"), empty_strings);
}

TEST(H5, TableWriteErrorsNameTheTable) {
  const TempFile file("table_errors.h5");
  Group root = File::create(file.path()).root();
  const auto write = [&](const std::vector<TableColumn>& columns) {
    return error_message([&] { root.write_table("runs/t", columns, Meta{"d", "u"}); });
  };
  expect_mentions(write({}), {file.name(), "/runs/t", "no columns"});
  expect_mentions(write({{"a", std::vector<double>{1, 2}}, {"b", std::vector<std::int64_t>{1}}}),
                  {file.name(), "/runs/t", "'b' has 1 rows", "'a' has 2"});
  expect_mentions(write({{"a", std::vector<double>{1}}, {"a", std::vector<std::string>{"x"}}}),
                  {file.name(), "/runs/t", "'a' appears twice"});
  expect_mentions(write({{"", std::vector<double>{1}}}), {file.name(), "/runs/t", "empty name"});
  EXPECT_FALSE(root.contains("runs/t"));
  root.write_table("runs/t", {{"a", std::vector<double>{1}}}, Meta{});
  expect_mentions(write({{"b", std::vector<double>{2}}}), {file.name(), "/runs/t", "exists"});
  root.write<double>("x", {1.0});
  expect_mentions(error_message([&] {
                    root.write_table("x/t", {{"a", std::vector<double>{1}}}, {});
                  }),
                  {file.name(), "/x/t", "'x' is not a group"});
}

TEST(H5, ReadingANonTableThrows) {
  const TempFile file("not_a_table.h5");
  Group root = File::create(file.path()).root();
  root.write<double>("x", {1.0, 2.0});
  root.create_group("g");
  expect_mentions(error_message([&] { root.read_table("x"); }),
                  {file.name(), "/x", "cannot read table", "floating-point"});
  expect_mentions(error_message([&] { root.read_table("g"); }),
                  {file.name(), "/g", "not a dataset"});
  expect_mentions(error_message([&] { root.read_table("missing"); }),
                  {file.name(), "/missing", "not found"});
}

// h5py reads a table as a numpy structured array, and numpy's structured arrays read as tables.
TEST(H5, TablesInteroperateWithH5py) {
  if (std::system("/usr/bin/python3 -c 'import h5py' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "/usr/bin/python3 cannot import h5py (Debian package python3-h5py)";
  const TempFile file("table_h5py.h5");
  const TempFile script("table_h5py.py");
  {
    Group root = File::create(file.path()).root();
    root.write_table("t",
                     {{"theta", std::vector<double>{0.25, -1.5}},
                      {"seed", std::vector<std::int64_t>{-3, 9000000000}},
                      {"model", std::vector<std::string>{"er", "lattice"}}},
                     Meta{"per run", "1"});
  }
  // Checks our table, then adds tables of numpy's making: narrower numbers, both kinds of
  // string, and a 2-D structured array (no table).
  std::ofstream(script.path()) << R"(import sys
import h5py
import numpy as np
with h5py.File(sys.argv[1], "r+") as f:
    a = f["t"][:]
    assert a.dtype.names == ("theta", "seed", "model"), a.dtype
    assert a.dtype["theta"] == np.dtype("<f8") and a.dtype["seed"] == np.dtype("<i8"), a.dtype
    assert a["theta"].tolist() == [0.25, -1.5], a
    assert a["seed"].tolist() == [-3, 9000000000], a
    assert a["model"].tolist() == [b"er", b"lattice"], a
    assert f["t"].attrs["description"] == "per run" and f["t"].attrs["units"] == "1"
    dtype = [("x", "<f4"), ("k", "<i2"), ("u", "u1"), ("name", "S6"),
             ("label", h5py.string_dtype())]
    f["py"] = np.array([(0.5, -7, 200, b"ab", "first"), (2.0, 3, 0, b"abcdef", "")], dtype=dtype)
    f["grid"] = np.zeros((2, 2), dtype=[("x", "<f8")])
)";
  const std::string command =
      "/usr/bin/python3 '" + script.path().string() + "' '" + file.path().string() + "'";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;

  const Group root = File::open(file.path()).root();
  expect_tables_equal(root.read_table("py"), {{"x", std::vector<double>{0.5, 2.0}},
                                              {"k", std::vector<std::int64_t>{-7, 3}},
                                              {"u", std::vector<std::int64_t>{200, 0}},
                                              {"name", std::vector<std::string>{"ab", "abcdef"}},
                                              {"label", std::vector<std::string>{"first", ""}}});
  expect_mentions(error_message([&] { root.read_table("grid"); }),
                  {file.name(), "/grid", "2-dimensional"});
}

// --- Errors name the file and the object --------------------------------------------------------

TEST(H5, MissingFileThrows) {
  const TempFile file("never_written.h5");
  const std::string message = error_message([&] { File::open(file.path()); });
  expect_mentions(message, {file.name(), "no such file"});
}

TEST(H5, NonHdf5FileThrows) {
  const TempFile file("not_hdf5.h5");
  std::ofstream(file.path()) << "just some text\n";
  const std::string message = error_message([&] { File::open(file.path()); });
  expect_mentions(message, {file.name(), "not an HDF5 file"});
}

TEST(H5, UncreatableFileThrows) {
  const TempFile file("no_such_directory/x.h5");
  expect_mentions(error_message([&] { File::create(file.path()); }),
                  {"no_such_directory/x.h5", "cannot create file"});
}

TEST(H5, MissingDatasetThrows) {
  const TempFile file("missing.h5");
  Group root = File::create(file.path()).root();
  root.create_group("g");
  expect_mentions(error_message([&] { root.read<double>("X"); }),
                  {file.name(), ": /X: ", "not found"});
  expect_mentions(error_message([&] { root.group("g").shape("Y"); }),
                  {file.name(), "/g/Y", "not found"});
  expect_mentions(error_message([&] { root.element_kind("nowhere/Z"); }),
                  {file.name(), "/nowhere/Z", "not found"});
  expect_mentions(error_message([&] { root.read<double>("g"); }),
                  {file.name(), "/g", "not a dataset"});
}

TEST(H5, MissingGroupThrows) {
  const TempFile file("missing_group.h5");
  Group root = File::create(file.path()).root();
  root.write<double>("x", {1.0});
  expect_mentions(error_message([&] { root.group("a/b"); }), {file.name(), "/a/b", "not found"});
  expect_mentions(error_message([&] { root.group("x"); }), {file.name(), "/x", "not a group"});
  expect_mentions(error_message([&] { root.remove("a"); }), {file.name(), "/a", "not found"});
}

TEST(H5, ExistingObjectsAreNotOverwritten) {
  const TempFile file("existing.h5");
  Group root = File::create(file.path()).root();
  Group runs = root.create_group("runs");
  runs.write<double>("x", {1.0});
  expect_mentions(error_message([&] { runs.write<double>("x", {2.0}); }),
                  {file.name(), "/runs/x", "exists"});
  EXPECT_EQ(runs.read<double>("x"), std::vector<double>{1.0});
  expect_mentions(error_message([&] { root.create_group("runs"); }),
                  {file.name(), "/runs", "exists"});
  expect_mentions(error_message([&] { root.create_group("runs/x"); }),
                  {file.name(), "/runs/x", "exists"});
}

TEST(H5, ObjectsCannotBeCreatedBelowDatasets) {
  const TempFile file("below_dataset.h5");
  Group root = File::create(file.path()).root();
  root.write<double>("a/x", {1.0});
  expect_mentions(error_message([&] { root.write<double>("a/x/y", {2.0}); }),
                  {file.name(), "/a/x/y", "'a/x' is not a group"});
  expect_mentions(error_message([&] { root.create_group("a/x/y/z"); }),
                  {file.name(), "/a/x/y/z", "'a/x' is not a group"});
}

TEST(H5, SizeShapeMismatchThrows) {
  const TempFile file("mismatch.h5");
  Group root = File::create(file.path()).root();
  const std::vector<double> five(5, 1.0);
  expect_mentions(error_message([&] {
                    root.write<double>("m", five, Shape{2, 3});
                  }),
                  {file.name(), "/m", "5 values", "{2, 3}"});
  expect_mentions(error_message([&] { root.write<double>("s", five, Shape{}); }),
                  {file.name(), "/s", "5 values"});
  EXPECT_FALSE(root.contains("m"));
  EXPECT_FALSE(root.contains("s"));
}

TEST(H5, MissingAttributeThrows) {
  const TempFile file("missing_attribute.h5");
  const Group group = File::create(file.path()).root().create_group("run");
  for (const auto& read_seed : {+[](const Group& g) { g.number_attribute("seed"); },
                                +[](const Group& g) { g.integer_attribute("seed"); },
                                +[](const Group& g) { g.string_attribute("seed"); }})
    expect_mentions(error_message([&] { read_seed(group); }),
                    {file.name(), "/run", "'seed'", "not found"});
}

TEST(H5, InvalidNamesThrow) {
  const TempFile file("names.h5");
  Group root = File::create(file.path()).root();
  for (const char* name : {"", "/a", "a/", "a//b"}) {
    EXPECT_THROW(root.create_group(name), h5::Error) << name;
    EXPECT_THROW(root.contains(name), h5::Error) << name;
    EXPECT_THROW(root.write<double>(name, {1.0}), h5::Error) << name;
  }
}

}  // namespace
}  // namespace dropperc
