#pragma once
// A thin RAII layer over the HDF5 C API: the only code in dropperc that talks to HDF5, and a
// header that does not include <hdf5.h>. Every HDF5 call is checked; a failure throws h5::Error
// whose message names the file, the object path and what failed (HDF5's own error printing is
// switched off). Datasets are row-major arrays of up to two dimensions; reading converts from the
// stored numeric type to the requested one as HDF5 does (and fails if it cannot). Tables are 1-D
// datasets of a compound type: named columns of equal length, one row per element.
//
// Every group and dataset name dropperc writes lives in schema.hpp, not at the call sites.

#include <cstdint>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace dropperc::h5 {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Dimensions, slowest first: {rows, columns} for a matrix, {n} for a vector, {} for a scalar.
using Shape = std::vector<std::uint64_t>;

/// What kind of numbers a dataset stores (to tell integer labels from float targets).
enum class ElementKind { integer, floating, other };

/// What a dataset is, stored with it as the string attributes "description" and "units" (both
/// always written, "" if empty) so that a file explains itself to whoever opens it.
struct Meta {
  std::string_view description;
  std::string_view units;
};

/// One named column of a table; every column of a table has the same length. A string ends at
/// its first NUL, if it has one.
struct TableColumn {
  std::string name;
  std::variant<std::vector<double>, std::vector<std::int64_t>, std::vector<std::string>> values;

  friend bool operator==(const TableColumn&, const TableColumn&) = default;
};

/// Owns one HDF5 identifier and closes it with the right H5?close when destroyed. Move-only.
class Handle {
 public:
  Handle() = default;
  explicit Handle(std::int64_t id) : id_(id) {}
  Handle(Handle&& other) noexcept : id_(other.id_) { other.id_ = -1; }
  Handle& operator=(Handle&& other) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle();

  std::int64_t id() const { return id_; }
  bool valid() const { return id_ >= 0; }
  /// Gives up ownership without closing (after the id was closed by other means).
  std::int64_t release() { return std::exchange(id_, -1); }

 private:
  std::int64_t id_ = -1;
};

/// A group (the root group "/" included). Names are relative to the group and may contain
/// slashes ("a/b") to reach into subgroups.
class Group {
 public:
  Group create_group(std::string_view name);   ///< throws if it exists
  Group group(std::string_view name) const;    ///< throws if it is missing
  bool contains(std::string_view name) const;  ///< a link of that name exists
  void remove(std::string_view name);          ///< unlinks a group or dataset
  /// The names of the links directly in this group, in name order.
  std::vector<std::string> members() const;
  /// Whether `name` leads to a group (false if it is missing or leads to something else).
  bool is_group(std::string_view name) const;

  /// Writes a new dataset; data.size() must equal the product of the shape.
  template <class T>
  void write(std::string_view name, std::span<const T> data, const Shape& shape);
  template <class T>
  void write(std::string_view name, const std::vector<T>& data) {
    write<T>(name, std::span<const T>(data), Shape{data.size()});
  }
  /// The same, then stores `meta` as the dataset's "description" and "units" attributes.
  template <class T>
  void write(std::string_view name, std::span<const T> data, const Shape& shape, const Meta& meta);
  template <class T>
  void write(std::string_view name, const std::vector<T>& data, const Meta& meta) {
    write<T>(name, std::span<const T>(data), Shape{data.size()}, meta);
  }
  /// Reads a whole dataset as T (double, float, std::int64_t, std::int32_t, std::uint64_t,
  /// std::uint8_t).
  template <class T>
  std::vector<T> read(std::string_view name) const;
  Shape shape(std::string_view name) const;
  /// Bytes the file stores for the dataset's values (H5Dget_storage_size): 0 for a dataset whose
  /// values were never written, less than its shape implies if only some chunks were.
  std::uint64_t storage_size(std::string_view name) const;
  ElementKind element_kind(std::string_view name) const;
  /// Bytes of one value as the file stores it (H5Tget_size of the dataset's type).
  std::size_t element_size(std::string_view name) const;

  void set_attribute(std::string_view name, double value);
  void set_attribute(std::string_view name, std::int64_t value);
  void set_attribute(std::string_view name, std::string_view value);
  bool has_attribute(std::string_view name) const;
  double number_attribute(std::string_view name) const;
  std::int64_t integer_attribute(std::string_view name) const;
  std::string string_attribute(std::string_view name) const;

  /// Attributes of the dataset `dataset` (a name relative to this group), as those of the group.
  void set_dataset_attribute(std::string_view dataset, std::string_view attribute,
                             std::string_view value);
  void set_dataset_attribute(std::string_view dataset, std::string_view attribute, double value);
  bool dataset_has_attribute(std::string_view dataset, std::string_view attribute) const;
  double dataset_number_attribute(std::string_view dataset, std::string_view attribute) const;
  std::string dataset_string_attribute(std::string_view dataset, std::string_view attribute) const;

  /// Writes a new table: a 1-D dataset of a compound type with one member per column, in order
  /// (double as 64-bit float, std::int64_t as 64-bit integer, std::string as a NUL-terminated
  /// UTF-8 string as long as the longest one plus one), which numpy and h5py read as a structured
  /// array. Throws if there are no columns, if a name repeats or if the lengths differ; zero rows
  /// are fine. Stores `meta` as write() does.
  void write_table(std::string_view name, const std::vector<TableColumn>& columns,
                   const Meta& meta);
  /// Reads a 1-D compound dataset by columns: members of any floating-point type as double, of
  /// any integer type as std::int64_t (converted as HDF5 does), strings (fixed or variable
  /// length) without their padding. Other member types, or another dataset, throw.
  std::vector<TableColumn> read_table(std::string_view name) const;

  /// CRC-32C of the group's contents, recursively: every attribute but `skip` and every member,
  /// in name order, with names, shapes and values (numbers as int64 or double, whatever their
  /// stored width). Equal contents give equal checksums, whatever the file layout; a flipped bit
  /// in a value changes it. Handles what unit files hold: scalar attributes (numbers, strings),
  /// numeric datasets and groups; anything else throws.
  std::uint32_t checksum(std::string_view skip = {}) const;

  /// The group's path in its file, e.g. "/runs/3".
  const std::string& path() const { return path_; }
  const std::string& file_name() const { return file_name_; }

 private:
  friend class File;
  Group(Handle handle, std::string path, std::string file_name)
      : handle_(std::move(handle)), path_(std::move(path)), file_name_(std::move(file_name)) {}

  Handle handle_;
  std::string path_;
  std::string file_name_;
};

class File {
 public:
  /// Creates (truncating) a file for writing.
  static File create(const std::filesystem::path& path);
  /// Opens an existing file; throws h5::Error naming the path if it is missing or not HDF5.
  static File open(const std::filesystem::path& path, bool writable = false);

  Group root() const;
  const std::filesystem::path& path() const { return path_; }
  /// Flushes and closes; the destructor does the same but cannot report failure.
  void close();

 private:
  File(Handle handle, std::filesystem::path path)
      : handle_(std::move(handle)), path_(std::move(path)) {}

  Handle handle_;
  std::filesystem::path path_;
};

}  // namespace dropperc::h5
