#include "dropperc/h5.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <hdf5.h>

namespace dropperc::h5 {

// Handle stores identifiers as std::int64_t so that h5.hpp need not include <hdf5.h>.
static_assert(std::is_signed_v<hid_t> && sizeof(hid_t) <= sizeof(std::int64_t),
              "hid_t must fit the std::int64_t that Handle stores");
// Shape holds std::uint64_t; HDF5's dimensions are hsize_t.
static_assert(sizeof(hsize_t) >= sizeof(std::uint64_t), "hsize_t must hold every Shape entry");

namespace {

// Closes an identifier of any kind; failures are ignored (this runs in destructors).
void close_quietly(hid_t id) noexcept {
  if (id < 0) return;
  switch (H5Iget_type(id)) {
    case H5I_FILE:
      H5Fclose(id);
      break;
    case H5I_GROUP:
      H5Gclose(id);
      break;
    case H5I_DATASET:
      H5Dclose(id);
      break;
    case H5I_DATASPACE:
      H5Sclose(id);
      break;
    case H5I_DATATYPE:
      H5Tclose(id);
      break;
    case H5I_ATTR:
      H5Aclose(id);
      break;
    case H5I_GENPROP_LST:
      H5Pclose(id);
      break;
    default:
      break;
  }
}

// HDF5 prints its error stack to stderr by default; we report through h5::Error instead. The
// library is built thread-safe on Debian, where each thread has its own default error stack, so
// this is done once per thread.
void silence_hdf5() {
  thread_local const bool silenced = H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr) >= 0;
  static_cast<void>(silenced);
}

herr_t keep_innermost(unsigned n, const H5E_error2_t* error, void* out) {
  if (n == 0 && error->desc != nullptr) *static_cast<std::string*>(out) = error->desc;
  return 0;
}

// HDF5's description of the most specific error of the last failed call, or "" if none. Must be
// called right after the failing call: every HDF5 call clears the stack.
std::string hdf5_reason() {
  std::string reason;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, keep_innermost, &reason);
  H5Eclear2(H5E_DEFAULT);
  std::replace(reason.begin(), reason.end(), '\n', ' ');  // some embed ctime()'s newline
  return reason;
}

// `where` is "<file>" or "<file>: <object path>"; the message reads "<where>: <what> (<reason>)".
Error error(const std::string& where, std::string_view what, std::string_view reason) {
  std::string message = where + ": " + std::string(what);
  if (!reason.empty()) message += " (" + std::string(reason) + ")";
  return Error(message);
}

Error hdf5_error(const std::string& where, std::string_view what) {
  return error(where, what, hdf5_reason());
}

Handle checked(hid_t id, const std::string& where, std::string_view what) {
  if (id < 0) throw hdf5_error(where, what);
  return Handle(id);
}

void check(herr_t status, const std::string& where, std::string_view what) {
  if (status < 0) throw hdf5_error(where, what);
}

std::string object_path(const std::string& group_path, std::string_view name) {
  return (group_path == "/" ? group_path : group_path + "/") + std::string(name);
}

// Every public entry point starts here (so that HDF5 stays silent on this thread) and gets the
// prefix of its error messages: "<file>: <group path>" or, with a name, "<file>: <object path>".
std::string enter(const Group& group) {
  silence_hdf5();
  return group.file_name() + ": " + group.path();
}

std::string enter(const Group& group, std::string_view name) {
  silence_hdf5();
  return group.file_name() + ": " + object_path(group.path(), name);
}

// Object names are relative ("a" or "a/b") with non-empty components, so that Group::path()
// stays exact.
std::vector<std::string_view> components(std::string_view name, const std::string& where) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const std::size_t slash = name.find('/', start);
    const std::string_view part = name.substr(start, slash - start);
    if (part.empty()) throw error(where, "invalid name", "must be relative, without empty parts");
    parts.push_back(part);
    if (slash == std::string_view::npos) return parts;
    start = slash + 1;
  }
}

// The kind of object a link leads to; H5O_TYPE_UNKNOWN for a dangling soft link.
H5O_type_t object_type(hid_t loc, const std::string& name, const std::string& where) {
  const htri_t exists = H5Oexists_by_name(loc, name.c_str(), H5P_DEFAULT);
  if (exists < 0) throw hdf5_error(where, "cannot look up object");
  if (exists == 0) return H5O_TYPE_UNKNOWN;
  H5O_info_t info{};
  check(H5Oget_info_by_name2(loc, name.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT), where,
        "cannot look up object");
  return info.type;
}

// Whether `name` exists below `loc`. H5Lexists fails rather than answering "no" when an
// intermediate group is missing, so every prefix is checked in turn.
bool link_exists(hid_t loc, std::string_view name, const std::string& where) {
  std::string prefix;
  for (const std::string_view part : components(name, where)) {
    if (!prefix.empty()) {
      if (object_type(loc, prefix, where) != H5O_TYPE_GROUP) return false;
      prefix += '/';
    }
    prefix += part;
    const htri_t exists = H5Lexists(loc, prefix.c_str(), H5P_DEFAULT);
    if (exists < 0) throw hdf5_error(where, "cannot look up link");
    if (exists == 0) return false;
  }
  return true;
}

// Throws if a parent of `name` exists but is no group: HDF5's own reason would be obscure.
// Missing parents are fine (they are created).
void require_parent_groups(hid_t loc, std::string_view name, const std::string& where,
                           std::string_view what) {
  const std::vector<std::string_view> parts = components(name, where);
  std::string parent;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    parent += (i == 0 ? "" : "/") + std::string(parts[i]);
    if (!link_exists(loc, parent, where)) return;
    if (object_type(loc, parent, where) != H5O_TYPE_GROUP)
      throw error(where, what, "'" + parent + "' is not a group");
  }
}

// Throws unless `name` leads to an object of the given type; `kind` names it in messages.
void require_object(hid_t loc, std::string_view name, const std::string& where, H5O_type_t type,
                    const std::string& kind) {
  const std::string what = "cannot open " + kind;
  if (!link_exists(loc, name, where)) throw error(where, what, "not found");
  if (object_type(loc, std::string(name), where) != type) throw error(where, what, "not a " + kind);
}

Handle open_dataset(hid_t loc, std::string_view name, const std::string& where) {
  require_object(loc, name, where, H5O_TYPE_DATASET, "dataset");
  return checked(H5Dopen2(loc, std::string(name).c_str(), H5P_DEFAULT), where,
                 "cannot open dataset");
}

// Link creation that makes missing intermediate groups, with UTF-8 names (as h5py does).
Handle link_creation(const std::string& where) {
  Handle list = checked(H5Pcreate(H5P_LINK_CREATE), where, "cannot create property list");
  check(H5Pset_create_intermediate_group(list.id(), 1), where, "cannot set property list");
  check(H5Pset_char_encoding(list.id(), H5T_CSET_UTF8), where, "cannot set property list");
  return list;
}

std::string class_name(H5T_class_t type_class) {
  switch (type_class) {
    case H5T_INTEGER:
      return "integer";
    case H5T_FLOAT:
      return "floating-point";
    case H5T_STRING:
      return "string";
    case H5T_BITFIELD:
      return "bitfield";
    case H5T_OPAQUE:
      return "opaque";
    case H5T_COMPOUND:
      return "compound";
    case H5T_REFERENCE:
      return "reference";
    case H5T_ENUM:
      return "enum";
    case H5T_VLEN:
      return "variable-length";
    case H5T_ARRAY:
      return "array";
    default:
      return "unknown";
  }
}

H5T_class_t type_class(hid_t type, const std::string& where, std::string_view what) {
  const H5T_class_t result = H5Tget_class(type);
  if (result == H5T_NO_CLASS) throw hdf5_error(where, what);
  return result;
}

// Throws unless `type` is an integer (or, if allowed, floating-point) type.
void require_number(hid_t type, bool allow_floating, const std::string& where,
                    std::string_view what) {
  const H5T_class_t found = type_class(type, where, what);
  if (found == H5T_INTEGER || (allow_floating && found == H5T_FLOAT)) return;
  throw error(where, what, "stored type is " + class_name(found));
}

struct NumberType {
  hid_t memory;  // the type of T in memory
  hid_t file;    // the type datasets of T are stored as: little-endian, same width
  const char* name;
};

template <class T>
NumberType number_type() {
  if constexpr (std::is_same_v<T, double>) return {H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, "double"};
  if constexpr (std::is_same_v<T, float>) return {H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, "float"};
  if constexpr (std::is_same_v<T, std::int64_t>) return {H5T_NATIVE_INT64, H5T_STD_I64LE, "int64"};
  if constexpr (std::is_same_v<T, std::int32_t>) return {H5T_NATIVE_INT32, H5T_STD_I32LE, "int32"};
  if constexpr (std::is_same_v<T, std::uint64_t>)
    return {H5T_NATIVE_UINT64, H5T_STD_U64LE, "uint64"};
  if constexpr (std::is_same_v<T, std::uint8_t>) return {H5T_NATIVE_UINT8, H5T_STD_U8LE, "uint8"};
}

std::string format_shape(const Shape& shape) {
  std::string text = "{";
  for (std::size_t i = 0; i < shape.size(); ++i)
    text += (i == 0 ? "" : ", ") + std::to_string(shape[i]);
  return text + "}";
}

// The number of elements of a shape ({} is a scalar: one element); throws on overflow.
std::uint64_t element_count(const Shape& shape, const std::string& where) {
  std::uint64_t count = 1;
  for (const std::uint64_t extent : shape) {
    if (extent != 0 && count > std::numeric_limits<std::uint64_t>::max() / extent)
      throw error(where, "cannot create dataset", "shape " + format_shape(shape) + " too large");
    count *= extent;
  }
  return count;
}

Handle make_dataspace(const Shape& shape, const std::string& where) {
  if (shape.empty()) return checked(H5Screate(H5S_SCALAR), where, "cannot create dataspace");
  const std::vector<hsize_t> dims(shape.begin(), shape.end());
  return checked(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), where,
                 "cannot create dataspace");
}

std::string attribute_action(std::string_view action, std::string_view name) {
  return std::string(action) + " attribute '" + std::string(name) + "'";
}

// Creates (replacing any old one) a scalar attribute from one value in memory.
void write_attribute(hid_t loc, std::string_view name, const std::string& where, hid_t file_type,
                     hid_t memory_type, const void* value) {
  const std::string what = attribute_action("cannot write", name);
  const std::string attribute_name(name);
  const htri_t exists = H5Aexists(loc, attribute_name.c_str());
  if (exists < 0) throw hdf5_error(where, what);
  if (exists > 0) check(H5Adelete(loc, attribute_name.c_str()), where, what);
  const Handle space = checked(H5Screate(H5S_SCALAR), where, what);
  const Handle attribute = checked(
      H5Acreate2(loc, attribute_name.c_str(), file_type, space.id(), H5P_DEFAULT, H5P_DEFAULT),
      where, what);
  check(H5Awrite(attribute.id(), memory_type, value), where, what);
}

// Opens an attribute that must hold a single value; `what` prefixes the messages.
Handle open_attribute(hid_t loc, std::string_view name, const std::string& where,
                      const std::string& what) {
  const std::string attribute_name(name);
  const htri_t exists = H5Aexists(loc, attribute_name.c_str());
  if (exists < 0) throw hdf5_error(where, what);
  if (exists == 0) throw error(where, what, "not found");
  Handle attribute = checked(H5Aopen(loc, attribute_name.c_str(), H5P_DEFAULT), where, what);
  const Handle space = checked(H5Aget_space(attribute.id()), where, what);
  const hssize_t count = H5Sget_simple_extent_npoints(space.id());
  if (count < 0) throw hdf5_error(where, what);
  if (count != 1) throw error(where, what, "holds " + std::to_string(count) + " values, not one");
  return attribute;
}

// Reads a numeric attribute converted to `memory_type` (HDF5 converts between numeric types).
void read_number_attribute(hid_t loc, std::string_view name, const std::string& where,
                           hid_t memory_type, bool allow_floating, void* value) {
  const std::string what = attribute_action("cannot read", name);
  const Handle attribute = open_attribute(loc, name, where, what);
  const Handle type = checked(H5Aget_type(attribute.id()), where, what);
  require_number(type.id(), allow_floating, where, what);
  check(H5Aread(attribute.id(), memory_type, value), where, what);
}

struct FreeHdf5 {
  void operator()(char* memory) const { H5free_memory(memory); }
};

std::string read_variable_string(hid_t attribute, hid_t file_type, const std::string& where,
                                 const std::string& what) {
  const Handle memory_type = checked(H5Tcopy(H5T_C_S1), where, what);
  check(H5Tset_size(memory_type.id(), H5T_VARIABLE), where, what);
  check(H5Tset_cset(memory_type.id(), H5Tget_cset(file_type)), where, what);
  char* text = nullptr;
  check(H5Aread(attribute, memory_type.id(), &text), where, what);
  const std::unique_ptr<char, FreeHdf5> owned(text);
  return text == nullptr ? std::string() : std::string(text);
}

// Fixed-length strings are padded to their size with NULs (or, from Fortran, spaces).
std::string read_fixed_string(hid_t attribute, hid_t file_type, const std::string& where,
                              const std::string& what) {
  const std::size_t size = H5Tget_size(file_type);
  if (size == 0) throw hdf5_error(where, what);
  std::string text(size, '\0');
  check(H5Aread(attribute, file_type, text.data()), where, what);
  text.resize(text.find('\0') == std::string::npos ? size : text.find('\0'));
  if (H5Tget_strpad(file_type) == H5T_STR_SPACEPAD) text.erase(text.find_last_not_of(' ') + 1);
  return text;
}

}  // namespace

// --- Handle -----------------------------------------------------------------------------------

Handle& Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    close_quietly(id_);
    id_ = std::exchange(other.id_, -1);
  }
  return *this;
}

Handle::~Handle() {
  close_quietly(id_);
}

// --- Group: structure ---------------------------------------------------------------------------

Group Group::create_group(std::string_view name) {
  const std::string where = enter(*this, name);
  require_parent_groups(handle_.id(), name, where, "cannot create group");
  if (link_exists(handle_.id(), name, where)) throw error(where, "cannot create group", "exists");
  const Handle links = link_creation(where);
  Handle created = checked(
      H5Gcreate2(handle_.id(), std::string(name).c_str(), links.id(), H5P_DEFAULT, H5P_DEFAULT),
      where, "cannot create group");
  return Group(std::move(created), object_path(path_, name), file_name_);
}

Group Group::group(std::string_view name) const {
  const std::string where = enter(*this, name);
  require_object(handle_.id(), name, where, H5O_TYPE_GROUP, "group");
  Handle opened = checked(H5Gopen2(handle_.id(), std::string(name).c_str(), H5P_DEFAULT), where,
                          "cannot open group");
  return Group(std::move(opened), object_path(path_, name), file_name_);
}

bool Group::contains(std::string_view name) const {
  return link_exists(handle_.id(), name, enter(*this, name));
}

void Group::remove(std::string_view name) {
  const std::string where = enter(*this, name);
  if (!link_exists(handle_.id(), name, where)) throw error(where, "cannot remove", "not found");
  check(H5Ldelete(handle_.id(), std::string(name).c_str(), H5P_DEFAULT), where, "cannot remove");
}

// --- Group: datasets ----------------------------------------------------------------------------

// Datasets are written once and read whole, so the contiguous layout (HDF5's default) serves
// at any size: chunking would only help partial I/O, extension or compression.
template <class T>
void Group::write(std::string_view name, std::span<const T> data, const Shape& shape) {
  const std::string where = enter(*this, name);
  require_parent_groups(handle_.id(), name, where, "cannot create dataset");
  if (element_count(shape, where) != data.size())
    throw error(where, "cannot write dataset",
                std::to_string(data.size()) + " values for shape " + format_shape(shape));
  if (link_exists(handle_.id(), name, where)) throw error(where, "cannot create dataset", "exists");
  const NumberType type = number_type<T>();
  const Handle space = make_dataspace(shape, where);
  const Handle links = link_creation(where);
  const Handle dataset = checked(H5Dcreate2(handle_.id(), std::string(name).c_str(), type.file,
                                            space.id(), links.id(), H5P_DEFAULT, H5P_DEFAULT),
                                 where, "cannot create dataset");
  if (data.empty()) return;  // H5Dwrite rejects a null buffer, which an empty span may have
  check(H5Dwrite(dataset.id(), type.memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()), where,
        "cannot write dataset");
}

template <class T>
std::vector<T> Group::read(std::string_view name) const {
  const std::string where = enter(*this, name);
  const NumberType type = number_type<T>();
  const std::string what = std::string("cannot read dataset as ") + type.name;
  const Handle dataset = open_dataset(handle_.id(), name, where);
  const Handle stored_type = checked(H5Dget_type(dataset.id()), where, what);
  require_number(stored_type.id(), true, where, what);
  const Handle space = checked(H5Dget_space(dataset.id()), where, what);
  const hssize_t count = H5Sget_simple_extent_npoints(space.id());
  if (count < 0) throw hdf5_error(where, what);
  std::vector<T> values(static_cast<std::size_t>(count));
  if (values.empty()) return values;
  check(H5Dread(dataset.id(), type.memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), where,
        what);
  return values;
}

Shape Group::shape(std::string_view name) const {
  const std::string where = enter(*this, name);
  const Handle dataset = open_dataset(handle_.id(), name, where);
  const Handle space = checked(H5Dget_space(dataset.id()), where, "cannot read dataspace");
  const int rank = H5Sget_simple_extent_ndims(space.id());
  if (rank < 0) throw hdf5_error(where, "cannot read dataspace");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0 && H5Sget_simple_extent_dims(space.id(), dims.data(), nullptr) < 0)
    throw hdf5_error(where, "cannot read dataspace");
  return Shape(dims.begin(), dims.end());
}

ElementKind Group::element_kind(std::string_view name) const {
  const std::string where = enter(*this, name);
  const Handle dataset = open_dataset(handle_.id(), name, where);
  const Handle type = checked(H5Dget_type(dataset.id()), where, "cannot read datatype");
  switch (type_class(type.id(), where, "cannot read datatype")) {
    case H5T_INTEGER:
      return ElementKind::integer;
    case H5T_FLOAT:
      return ElementKind::floating;
    default:
      return ElementKind::other;
  }
}

// Exactly the element types the header promises.
template void Group::write<double>(std::string_view, std::span<const double>, const Shape&);
template void Group::write<float>(std::string_view, std::span<const float>, const Shape&);
template void Group::write<std::int64_t>(std::string_view, std::span<const std::int64_t>,
                                         const Shape&);
template void Group::write<std::int32_t>(std::string_view, std::span<const std::int32_t>,
                                         const Shape&);
template void Group::write<std::uint64_t>(std::string_view, std::span<const std::uint64_t>,
                                          const Shape&);
template void Group::write<std::uint8_t>(std::string_view, std::span<const std::uint8_t>,
                                         const Shape&);
template std::vector<double> Group::read<double>(std::string_view) const;
template std::vector<float> Group::read<float>(std::string_view) const;
template std::vector<std::int64_t> Group::read<std::int64_t>(std::string_view) const;
template std::vector<std::int32_t> Group::read<std::int32_t>(std::string_view) const;
template std::vector<std::uint64_t> Group::read<std::uint64_t>(std::string_view) const;
template std::vector<std::uint8_t> Group::read<std::uint8_t>(std::string_view) const;

// --- Group: attributes --------------------------------------------------------------------------

void Group::set_attribute(std::string_view name, double value) {
  write_attribute(handle_.id(), name, enter(*this), H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

void Group::set_attribute(std::string_view name, std::int64_t value) {
  write_attribute(handle_.id(), name, enter(*this), H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
}

// Strings are stored as variable-length UTF-8, as h5py stores str, so Python reads them as str.
// The value ends at its first NUL, if it has one.
void Group::set_attribute(std::string_view name, std::string_view value) {
  const std::string where = enter(*this);
  const std::string what = attribute_action("cannot write", name);
  const Handle type = checked(H5Tcopy(H5T_C_S1), where, what);
  check(H5Tset_size(type.id(), H5T_VARIABLE), where, what);
  check(H5Tset_cset(type.id(), H5T_CSET_UTF8), where, what);
  const std::string text(value);
  const char* pointer = text.c_str();
  write_attribute(handle_.id(), name, where, type.id(), type.id(), &pointer);
}

bool Group::has_attribute(std::string_view name) const {
  const std::string where = enter(*this);
  const htri_t exists = H5Aexists(handle_.id(), std::string(name).c_str());
  if (exists < 0) throw hdf5_error(where, attribute_action("cannot look up", name));
  return exists > 0;
}

double Group::number_attribute(std::string_view name) const {
  double value = 0;
  read_number_attribute(handle_.id(), name, enter(*this), H5T_NATIVE_DOUBLE, true, &value);
  return value;
}

// Only integer attributes qualify: reading 2.5 as 2 would hide a mistake.
std::int64_t Group::integer_attribute(std::string_view name) const {
  std::int64_t value = 0;
  read_number_attribute(handle_.id(), name, enter(*this), H5T_NATIVE_INT64, false, &value);
  return value;
}

std::string Group::string_attribute(std::string_view name) const {
  const std::string where = enter(*this);
  const std::string what = attribute_action("cannot read", name);
  const Handle attribute = open_attribute(handle_.id(), name, where, what);
  const Handle type = checked(H5Aget_type(attribute.id()), where, what);
  const H5T_class_t found = type_class(type.id(), where, what);
  if (found != H5T_STRING) throw error(where, what, "stored type is " + class_name(found));
  const htri_t variable = H5Tis_variable_str(type.id());
  if (variable < 0) throw hdf5_error(where, what);
  return variable > 0 ? read_variable_string(attribute.id(), type.id(), where, what)
                      : read_fixed_string(attribute.id(), type.id(), where, what);
}

// --- File ---------------------------------------------------------------------------------------

File File::create(const std::filesystem::path& path) {
  silence_hdf5();
  const std::string where = path.string();
  return File(checked(H5Fcreate(where.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), where,
                      "cannot create file"),
              path);
}

File File::open(const std::filesystem::path& path, bool writable) {
  silence_hdf5();
  const std::string where = path.string();
  std::error_code status;
  if (!std::filesystem::exists(path, status) && !status) throw error(where, "no such file", "");
  // If the check itself fails (no permission, say), H5Fopen reports why.
  if (H5Fis_hdf5(where.c_str()) == 0) throw error(where, "cannot open file", "not an HDF5 file");
  return File(checked(H5Fopen(where.c_str(), writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, H5P_DEFAULT),
                      where, "cannot open file"),
              path);
}

Group File::root() const {
  silence_hdf5();
  const std::string where = path_.string();
  if (!handle_.valid()) throw error(where, "cannot open group /", "file is closed");
  return Group(
      checked(H5Gopen2(handle_.id(), "/", H5P_DEFAULT), where + ": /", "cannot open group"), "/",
      where);
}

// Groups opened from this file keep it open (HDF5's default "weak" close) until they go; their
// data is flushed here all the same.
void File::close() {
  if (!handle_.valid()) return;
  silence_hdf5();
  const std::string where = path_.string();
  check(H5Fflush(handle_.id(), H5F_SCOPE_LOCAL), where, "cannot flush file");
  check(H5Fclose(handle_.id()), where, "cannot close file");
  handle_.release();  // closed above
}

}  // namespace dropperc::h5
