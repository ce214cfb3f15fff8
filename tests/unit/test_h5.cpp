#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "dropperc/h5.hpp"

namespace dropperc {
namespace {

using h5::ElementKind;
using h5::File;
using h5::Group;
using h5::Shape;

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
