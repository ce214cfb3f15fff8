#pragma once
// A thin RAII layer over the HDF5 C API: the only code in dropperc that talks to HDF5, and a
// header that does not include <hdf5.h>. Every HDF5 call is checked; a failure throws h5::Error
// whose message names the file, the object path and what failed (HDF5's own error printing is
// switched off). Datasets are row-major arrays of up to two dimensions; reading converts from the
// stored numeric type to the requested one as HDF5 does (and fails if it cannot).
//
// Every group and dataset name dropperc writes lives in schema.hpp, not at the call sites.

#include <cstdint>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dropperc::h5 {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Dimensions, slowest first: {rows, columns} for a matrix, {n} for a vector, {} for a scalar.
using Shape = std::vector<std::uint64_t>;

/// What kind of numbers a dataset stores (to tell integer labels from float targets).
enum class ElementKind { integer, floating, other };

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

  /// Writes a new dataset; data.size() must equal the product of the shape.
  template <class T>
  void write(std::string_view name, std::span<const T> data, const Shape& shape);
  template <class T>
  void write(std::string_view name, const std::vector<T>& data) {
    write<T>(name, std::span<const T>(data), Shape{data.size()});
  }
  /// Reads a whole dataset as T (double, float, std::int64_t, std::int32_t, std::uint64_t,
  /// std::uint8_t).
  template <class T>
  std::vector<T> read(std::string_view name) const;
  Shape shape(std::string_view name) const;
  ElementKind element_kind(std::string_view name) const;

  void set_attribute(std::string_view name, double value);
  void set_attribute(std::string_view name, std::int64_t value);
  void set_attribute(std::string_view name, std::string_view value);
  bool has_attribute(std::string_view name) const;
  double number_attribute(std::string_view name) const;
  std::int64_t integer_attribute(std::string_view name) const;
  std::string string_attribute(std::string_view name) const;

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
