#include "dropperc/io/h5.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <filesystem>
#include <limits>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <boost/crc.hpp>
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
  // Before HDF5's first call: no library shutdown at exit. A file whose close failed (its last
  // write hit a full disk) stays in HDF5's tables, and the shutdown's second attempt to close it
  // crashed the process (HDF5 1.10, seen as exit 139 after `dropperc merge` on a full disk).
  // Every file dropperc opens is closed by its handle, so the shutdown has nothing to flush.
  static const bool no_shutdown = H5dont_atexit() >= 0;
  static_cast<void>(no_shutdown);
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
std::string unpad(const char* data, std::size_t size, H5T_str_t pad) {
  std::string text(data, size);
  text.resize(std::min(text.find('\0'), size));
  if (pad == H5T_STR_SPACEPAD) text.erase(text.find_last_not_of(' ') + 1);
  return text;
}

std::string read_fixed_string(hid_t attribute, hid_t file_type, const std::string& where,
                              const std::string& what) {
  const std::size_t size = H5Tget_size(file_type);
  if (size == 0) throw hdf5_error(where, what);
  std::string text(size, '\0');
  check(H5Aread(attribute, file_type, text.data()), where, what);
  return unpad(text.data(), size, H5Tget_strpad(file_type));
}

// The attribute functions below serve groups and datasets alike: `loc` is either, `where` its
// message prefix.

bool attribute_exists(hid_t loc, std::string_view name, const std::string& where) {
  const htri_t exists = H5Aexists(loc, std::string(name).c_str());
  if (exists < 0) throw hdf5_error(where, attribute_action("cannot look up", name));
  return exists > 0;
}

// Strings are stored as variable-length UTF-8, as h5py stores str, so Python reads them as str.
// The value ends at its first NUL, if it has one.
void write_string_attribute(hid_t loc, std::string_view name, std::string_view value,
                            const std::string& where) {
  const std::string what = attribute_action("cannot write", name);
  const Handle type = checked(H5Tcopy(H5T_C_S1), where, what);
  check(H5Tset_size(type.id(), H5T_VARIABLE), where, what);
  check(H5Tset_cset(type.id(), H5T_CSET_UTF8), where, what);
  const std::string text(value);
  const char* pointer = text.c_str();
  write_attribute(loc, name, where, type.id(), type.id(), &pointer);
}

std::string read_string_attribute(hid_t loc, std::string_view name, const std::string& where) {
  const std::string what = attribute_action("cannot read", name);
  const Handle attribute = open_attribute(loc, name, where, what);
  const Handle type = checked(H5Aget_type(attribute.id()), where, what);
  const H5T_class_t found = type_class(type.id(), where, what);
  if (found != H5T_STRING) throw error(where, what, "stored type is " + class_name(found));
  const htri_t variable = H5Tis_variable_str(type.id());
  if (variable < 0) throw hdf5_error(where, what);
  return variable > 0 ? read_variable_string(attribute.id(), type.id(), where, what)
                      : read_fixed_string(attribute.id(), type.id(), where, what);
}

// Stores a dataset's Meta as its "description" and "units" attributes.
void describe(hid_t dataset, const Meta& meta, const std::string& where) {
  write_string_attribute(dataset, "description", meta.description, where);
  write_string_attribute(dataset, "units", meta.units, where);
}

// H5Literate's callback: collects link names. An exception must not cross HDF5's C frames, so
// it is kept to be rethrown once H5Literate has returned.
struct LinkNames {
  std::vector<std::string> names;
  std::exception_ptr failure;
};

// The callback of H5Literate (Info: H5L_info_t) and of H5Aiterate2 (H5A_info_t).
template <class Info>
herr_t collect_name(hid_t /*location*/, const char* name, const Info* /*info*/, void* out) {
  auto* collected = static_cast<LinkNames*>(out);
  try {
    collected->names.emplace_back(name);
    return 0;
  } catch (...) {
    collected->failure = std::current_exception();
    return -1;
  }
}

// --- Tables: 1-D datasets of a packed compound type, one member per column ---------------------

std::size_t column_length(const TableColumn& column) {
  return std::visit([](const auto& values) { return values.size(); }, column.values);
}

// The bytes a column takes in a row: a number's width, or the longest string and its NUL.
std::size_t column_width(const TableColumn& column) {
  return std::visit(
      [](const auto& values) -> std::size_t {
        using Value = typename std::decay_t<decltype(values)>::value_type;
        if constexpr (std::is_same_v<Value, std::string>) {
          std::size_t longest = 0;
          for (const std::string& text : values)
            longest = std::max(longest, text.size());
          return longest + 1;
        } else {
          return sizeof(Value);
        }
      },
      column.values);
}

// A column's member type, in the file (little-endian) or in memory (native); `width` is what
// column_width() gave.
Handle column_type(const TableColumn& column, std::size_t width, bool in_file,
                   const std::string& where, const std::string& what) {
  if (std::holds_alternative<std::vector<double>>(column.values))
    return checked(H5Tcopy(in_file ? H5T_IEEE_F64LE : H5T_NATIVE_DOUBLE), where, what);
  if (std::holds_alternative<std::vector<std::int64_t>>(column.values))
    return checked(H5Tcopy(in_file ? H5T_STD_I64LE : H5T_NATIVE_INT64), where, what);
  Handle type = checked(H5Tcopy(H5T_C_S1), where, what);
  check(H5Tset_size(type.id(), width), where, what);
  check(H5Tset_strpad(type.id(), H5T_STR_NULLTERM), where, what);
  check(H5Tset_cset(type.id(), H5T_CSET_UTF8), where, what);
  return type;
}

// The compound type of a row: the columns in order, packed at `offsets`.
Handle table_type(const std::vector<TableColumn>& columns, const std::vector<std::size_t>& offsets,
                  const std::vector<std::size_t>& widths, std::size_t row_size, bool in_file,
                  const std::string& where, const std::string& what) {
  Handle type = checked(H5Tcreate(H5T_COMPOUND, row_size), where, what);
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const Handle member = column_type(columns[i], widths[i], in_file, where, what);
    check(H5Tinsert(type.id(), columns[i].name.c_str(), offsets[i], member.id()), where, what);
  }
  return type;
}

// Copies column values into a buffer of rows of `row_size` bytes, the column at `offset`.
void pack_column(const TableColumn& column, std::size_t offset, std::size_t row_size,
                 std::vector<unsigned char>& buffer) {
  std::visit(
      [&](const auto& values) {
        using Value = typename std::decay_t<decltype(values)>::value_type;
        for (std::size_t row = 0; row < values.size(); ++row) {
          unsigned char* field = buffer.data() + row * row_size + offset;
          if constexpr (std::is_same_v<Value, std::string>)
            std::memcpy(field, values[row].data(), values[row].size());  // the rest stays NUL
          else
            std::memcpy(field, &values[row], sizeof(Value));
        }
      },
      column.values);
}

// How a stored member is read: as double, as int64, or as a fixed or variable-length string.
enum class FieldKind { floating, integer, fixed_string, variable_string };

struct Field {
  std::string name;
  FieldKind kind;
  Handle memory_type;
  std::size_t width = 0;                 // bytes in a row of the read buffer
  H5T_str_t padding = H5T_STR_NULLTERM;  // of a fixed-length string
};

// The member `index` of a stored compound type, and the memory type it is read as.
Field table_field(hid_t file_type, unsigned index, const std::string& where,
                  const std::string& what) {
  char* raw_name = H5Tget_member_name(file_type, index);
  if (raw_name == nullptr) throw hdf5_error(where, what);
  const std::unique_ptr<char, FreeHdf5> owned_name(raw_name);
  Field field{raw_name, FieldKind::floating, Handle(), 0, H5T_STR_NULLTERM};
  const H5T_class_t member_class = H5Tget_member_class(file_type, index);
  if (member_class == H5T_NO_CLASS) throw hdf5_error(where, what);
  const Handle stored = checked(H5Tget_member_type(file_type, index), where, what);
  switch (member_class) {
    case H5T_FLOAT:
      field.memory_type = checked(H5Tcopy(H5T_NATIVE_DOUBLE), where, what);
      field.width = sizeof(double);
      return field;
    case H5T_INTEGER:
      field.kind = FieldKind::integer;
      field.memory_type = checked(H5Tcopy(H5T_NATIVE_INT64), where, what);
      field.width = sizeof(std::int64_t);
      return field;
    case H5T_STRING: {
      const htri_t variable = H5Tis_variable_str(stored.id());
      if (variable < 0) throw hdf5_error(where, what);
      if (variable > 0) {
        field.kind = FieldKind::variable_string;
        field.memory_type = checked(H5Tcopy(H5T_C_S1), where, what);
        check(H5Tset_size(field.memory_type.id(), H5T_VARIABLE), where, what);
        check(H5Tset_cset(field.memory_type.id(), H5Tget_cset(stored.id())), where, what);
        field.width = sizeof(char*);
      } else {
        field.kind = FieldKind::fixed_string;
        field.memory_type = checked(H5Tcopy(stored.id()), where, what);
        field.width = H5Tget_size(stored.id());
        if (field.width == 0) throw hdf5_error(where, what);
        field.padding = H5Tget_strpad(stored.id());
      }
      return field;
    }
    default:
      throw error(where, what,
                  "column '" + field.name + "' is of unsupported type " + class_name(member_class));
  }
}

// Frees, if `active`, the strings H5Dread allocated for the variable-length members of a buffer.
class VariableLengthBuffer {
 public:
  VariableLengthBuffer(hid_t memory_type, hid_t space, void* buffer, bool active)
      : memory_type_(memory_type), space_(space), buffer_(buffer), active_(active) {}
  VariableLengthBuffer(const VariableLengthBuffer&) = delete;
  VariableLengthBuffer& operator=(const VariableLengthBuffer&) = delete;
  ~VariableLengthBuffer() {
    if (active_) H5Dvlen_reclaim(memory_type_, space_, H5P_DEFAULT, buffer_);
  }

 private:
  hid_t memory_type_;
  hid_t space_;
  void* buffer_;
  bool active_;
};

// One column of `rows` rows from a buffer read with the fields' memory types.
TableColumn unpack_column(const Field& field, std::size_t offset, std::size_t row_size,
                          std::size_t rows, const std::vector<unsigned char>& buffer) {
  const auto at = [&](std::size_t row) { return buffer.data() + row * row_size + offset; };
  TableColumn column{field.name, {}};
  switch (field.kind) {
    case FieldKind::floating: {
      std::vector<double> values(rows);
      for (std::size_t row = 0; row < rows; ++row)
        std::memcpy(&values[row], at(row), sizeof(double));
      column.values = std::move(values);
      break;
    }
    case FieldKind::integer: {
      std::vector<std::int64_t> values(rows);
      for (std::size_t row = 0; row < rows; ++row)
        std::memcpy(&values[row], at(row), sizeof(std::int64_t));
      column.values = std::move(values);
      break;
    }
    case FieldKind::fixed_string: {
      std::vector<std::string> values;
      values.reserve(rows);
      for (std::size_t row = 0; row < rows; ++row)
        values.push_back(unpad(reinterpret_cast<const char*>(at(row)), field.width, field.padding));
      column.values = std::move(values);
      break;
    }
    case FieldKind::variable_string: {
      std::vector<std::string> values;
      values.reserve(rows);
      for (std::size_t row = 0; row < rows; ++row) {
        const char* text = nullptr;
        std::memcpy(&text, at(row), sizeof(text));
        values.emplace_back(text == nullptr ? "" : text);
      }
      column.values = std::move(values);
      break;
    }
  }
  return column;
}

// --- Checksums: CRC-32C of a group's contents ------------------------------------------------

using Crc32c = boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true>;

// One item of a checksum: a tag saying what it is, its name and its bytes, the two framed by
// their lengths, so that different contents never feed the same bytes.
void feed(Crc32c& crc, char tag, std::string_view name, const void* data, std::size_t size) {
  const std::uint64_t lengths[2] = {name.size(), size};
  crc.process_byte(static_cast<unsigned char>(tag));
  crc.process_bytes(lengths, sizeof lengths);
  crc.process_bytes(name.data(), name.size());
  crc.process_bytes(data, size);
}

// Feeds every attribute of `loc` but `skip`, in name order: strings as text, integers as int64,
// floating-point numbers as double. Attributes must be scalars.
void feed_attributes(Crc32c& crc, hid_t loc, const std::string& where, std::string_view skip) {
  LinkNames collected;
  hsize_t next = 0;
  const herr_t status =
      H5Aiterate2(loc, H5_INDEX_NAME, H5_ITER_INC, &next, collect_name<H5A_info_t>, &collected);
  if (collected.failure) {
    H5Eclear2(H5E_DEFAULT);
    std::rethrow_exception(collected.failure);
  }
  check(status, where, "cannot list attributes");
  for (const std::string& name : collected.names) {
    if (name == skip) continue;
    const std::string what = attribute_action("cannot checksum", name);
    const Handle attribute = open_attribute(loc, name, where, what);
    const Handle type = checked(H5Aget_type(attribute.id()), where, what);
    const H5T_class_t found = type_class(type.id(), where, what);
    if (found == H5T_STRING) {
      const std::string text = read_string_attribute(loc, name, where);
      feed(crc, 's', name, text.data(), text.size());
    } else if (found == H5T_INTEGER) {
      std::int64_t value = 0;
      check(H5Aread(attribute.id(), H5T_NATIVE_INT64, &value), where, what);
      feed(crc, 'i', name, &value, sizeof value);
    } else if (found == H5T_FLOAT) {
      double value = 0;
      check(H5Aread(attribute.id(), H5T_NATIVE_DOUBLE, &value), where, what);
      feed(crc, 'f', name, &value, sizeof value);
    } else {
      throw error(where, what, "stored type is " + class_name(found));
    }
  }
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

std::vector<std::string> Group::members() const {
  const std::string where = enter(*this);
  LinkNames collected;
  hsize_t next = 0;
  const herr_t status = H5Literate(handle_.id(), H5_INDEX_NAME, H5_ITER_INC, &next,
                                   collect_name<H5L_info_t>, &collected);
  if (collected.failure) {
    H5Eclear2(H5E_DEFAULT);
    std::rethrow_exception(collected.failure);
  }
  check(status, where, "cannot list group");
  return std::move(collected.names);
}

bool Group::is_group(std::string_view name) const {
  const std::string where = enter(*this, name);
  return link_exists(handle_.id(), name, where) &&
         object_type(handle_.id(), std::string(name), where) == H5O_TYPE_GROUP;
}

void Group::remove(std::string_view name) {
  const std::string where = enter(*this, name);
  if (!link_exists(handle_.id(), name, where)) throw error(where, "cannot remove", "not found");
  check(H5Ldelete(handle_.id(), std::string(name).c_str(), H5P_DEFAULT), where, "cannot remove");
}

// --- Group: checksum -----------------------------------------------------------------------------

std::uint32_t Group::checksum(std::string_view skip) const {
  const std::string where = enter(*this);
  Crc32c crc;
  feed_attributes(crc, handle_.id(), where, skip);
  for (const std::string& name : members()) {
    if (is_group(name)) {
      const std::uint32_t inner = group(name).checksum({});
      feed(crc, 'g', name, &inner, sizeof inner);
      continue;
    }
    const Shape dims = shape(name);
    feed(crc, 'd', name, dims.data(), dims.size() * sizeof(std::uint64_t));
    switch (element_kind(name)) {
      case ElementKind::integer: {
        const auto values = read<std::int64_t>(name);
        feed(crc, 'i', name, values.data(), values.size() * sizeof(std::int64_t));
        break;
      }
      case ElementKind::floating: {
        const auto values = read<double>(name);
        feed(crc, 'f', name, values.data(), values.size() * sizeof(double));
        break;
      }
      case ElementKind::other:
        throw error(enter(*this, name), "cannot checksum", "not a numeric dataset");
    }
    const std::string at = enter(*this, name);
    const Handle dataset = open_dataset(handle_.id(), name, at);
    feed_attributes(crc, dataset.id(), at, {});
  }
  return crc.checksum();
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
void Group::write(std::string_view name, std::span<const T> data, const Shape& shape,
                  const Meta& meta) {
  write<T>(name, data, shape);
  const std::string where = enter(*this, name);
  describe(open_dataset(handle_.id(), name, where).id(), meta, where);
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

std::uint64_t Group::storage_size(std::string_view name) const {
  const std::string where = enter(*this, name);
  const Handle dataset = open_dataset(handle_.id(), name, where);
  return H5Dget_storage_size(dataset.id());
}

std::size_t Group::element_size(std::string_view name) const {
  const std::string where = enter(*this, name);
  const Handle dataset = open_dataset(handle_.id(), name, where);
  const Handle type = checked(H5Dget_type(dataset.id()), where, "cannot read datatype");
  const std::size_t size = H5Tget_size(type.id());
  if (size == 0) throw error(where, "cannot read datatype", "H5Tget_size failed");
  return size;
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
template void Group::write<double>(std::string_view, std::span<const double>, const Shape&,
                                   const Meta&);
template void Group::write<float>(std::string_view, std::span<const float>, const Shape&,
                                  const Meta&);
template void Group::write<std::int64_t>(std::string_view, std::span<const std::int64_t>,
                                         const Shape&, const Meta&);
template void Group::write<std::int32_t>(std::string_view, std::span<const std::int32_t>,
                                         const Shape&, const Meta&);
template void Group::write<std::uint64_t>(std::string_view, std::span<const std::uint64_t>,
                                          const Shape&, const Meta&);
template void Group::write<std::uint8_t>(std::string_view, std::span<const std::uint8_t>,
                                         const Shape&, const Meta&);
template std::vector<double> Group::read<double>(std::string_view) const;
template std::vector<float> Group::read<float>(std::string_view) const;
template std::vector<std::int64_t> Group::read<std::int64_t>(std::string_view) const;
template std::vector<std::int32_t> Group::read<std::int32_t>(std::string_view) const;
template std::vector<std::uint64_t> Group::read<std::uint64_t>(std::string_view) const;
template std::vector<std::uint8_t> Group::read<std::uint8_t>(std::string_view) const;

// --- Group: tables -------------------------------------------------------------------------------

// The file type mirrors the memory type (same packed offsets) with little-endian numbers, so the
// write is a plain copy on little-endian machines and HDF5 swaps bytes elsewhere.
void Group::write_table(std::string_view name, const std::vector<TableColumn>& columns,
                        const Meta& meta) {
  const std::string where = enter(*this, name);
  const std::string what = "cannot write table";
  require_parent_groups(handle_.id(), name, where, what);
  if (columns.empty()) throw error(where, what, "no columns");
  const std::size_t rows = column_length(columns.front());
  std::set<std::string_view> names;
  for (const TableColumn& column : columns) {
    if (column.name.empty()) throw error(where, what, "a column has an empty name");
    if (!names.insert(column.name).second)
      throw error(where, what, "column '" + column.name + "' appears twice");
    if (column_length(column) != rows)
      throw error(where, what,
                  "column '" + column.name + "' has " + std::to_string(column_length(column)) +
                      " rows, column '" + columns.front().name + "' has " + std::to_string(rows));
  }
  if (link_exists(handle_.id(), name, where)) throw error(where, "cannot create dataset", "exists");

  std::vector<std::size_t> offsets;
  std::vector<std::size_t> widths;
  std::size_t row_size = 0;
  for (const TableColumn& column : columns) {
    offsets.push_back(row_size);
    widths.push_back(column_width(column));
    if (widths.back() > std::numeric_limits<std::size_t>::max() - row_size)
      throw error(where, what, "rows too wide");
    row_size += widths.back();
  }
  if (rows > std::numeric_limits<std::size_t>::max() / row_size)
    throw error(where, what, "table too large");
  std::vector<unsigned char> buffer(rows * row_size, 0);
  for (std::size_t i = 0; i < columns.size(); ++i)
    pack_column(columns[i], offsets[i], row_size, buffer);

  const Handle memory_type = table_type(columns, offsets, widths, row_size, false, where, what);
  const Handle file_type = table_type(columns, offsets, widths, row_size, true, where, what);
  const Handle space = make_dataspace(Shape{rows}, where);
  const Handle links = link_creation(where);
  const Handle dataset = checked(H5Dcreate2(handle_.id(), std::string(name).c_str(), file_type.id(),
                                            space.id(), links.id(), H5P_DEFAULT, H5P_DEFAULT),
                                 where, "cannot create dataset");
  if (rows > 0)
    check(H5Dwrite(dataset.id(), memory_type.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()),
          where, what);
  describe(dataset.id(), meta, where);
}

std::vector<TableColumn> Group::read_table(std::string_view name) const {
  const std::string where = enter(*this, name);
  const std::string what = "cannot read table";
  const Handle dataset = open_dataset(handle_.id(), name, where);
  const Handle file_type = checked(H5Dget_type(dataset.id()), where, what);
  const H5T_class_t found = type_class(file_type.id(), where, what);
  if (found != H5T_COMPOUND)
    throw error(where, what, "stored type is " + class_name(found) + ", not compound");
  const Handle space = checked(H5Dget_space(dataset.id()), where, what);
  const int rank = H5Sget_simple_extent_ndims(space.id());
  if (rank < 0) throw hdf5_error(where, what);
  if (rank != 1) throw error(where, what, std::to_string(rank) + "-dimensional, not 1-dimensional");
  hsize_t extent = 0;
  check(H5Sget_simple_extent_dims(space.id(), &extent, nullptr), where, what);
  const int member_count = H5Tget_nmembers(file_type.id());
  if (member_count < 0) throw hdf5_error(where, what);
  if (member_count == 0) return {};

  std::vector<Field> fields;
  std::vector<std::size_t> offsets;
  std::size_t row_size = 0;
  for (int i = 0; i < member_count; ++i) {
    fields.push_back(table_field(file_type.id(), static_cast<unsigned>(i), where, what));
    offsets.push_back(row_size);
    row_size += fields.back().width;
  }
  if (extent > std::numeric_limits<std::size_t>::max() / row_size)
    throw error(where, what, "table too large");
  const auto rows = static_cast<std::size_t>(extent);
  const Handle memory_type = checked(H5Tcreate(H5T_COMPOUND, row_size), where, what);
  for (std::size_t i = 0; i < fields.size(); ++i)
    check(
        H5Tinsert(memory_type.id(), fields[i].name.c_str(), offsets[i], fields[i].memory_type.id()),
        where, what);

  std::vector<unsigned char> buffer(rows * row_size, 0);
  if (rows > 0)  // H5Dread rejects a null buffer, which an empty vector may have
    check(H5Dread(dataset.id(), memory_type.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()),
          where, what);
  const bool variable = std::any_of(fields.begin(), fields.end(), [](const Field& field) {
    return field.kind == FieldKind::variable_string;
  });
  const VariableLengthBuffer strings(memory_type.id(), space.id(), buffer.data(),
                                     variable && rows > 0);
  std::vector<TableColumn> columns;
  for (std::size_t i = 0; i < fields.size(); ++i)
    columns.push_back(unpack_column(fields[i], offsets[i], row_size, rows, buffer));
  return columns;
}

// --- Group: attributes --------------------------------------------------------------------------

void Group::set_attribute(std::string_view name, double value) {
  write_attribute(handle_.id(), name, enter(*this), H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

void Group::set_attribute(std::string_view name, std::int64_t value) {
  write_attribute(handle_.id(), name, enter(*this), H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
}

void Group::set_attribute(std::string_view name, std::string_view value) {
  write_string_attribute(handle_.id(), name, value, enter(*this));
}

bool Group::has_attribute(std::string_view name) const {
  return attribute_exists(handle_.id(), name, enter(*this));
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
  return read_string_attribute(handle_.id(), name, enter(*this));
}

// --- Group: attributes of datasets --------------------------------------------------------------

void Group::set_dataset_attribute(std::string_view dataset, std::string_view attribute,
                                  std::string_view value) {
  const std::string where = enter(*this, dataset);
  const Handle opened = open_dataset(handle_.id(), dataset, where);
  write_string_attribute(opened.id(), attribute, value, where);
}

void Group::set_dataset_attribute(std::string_view dataset, std::string_view attribute,
                                  double value) {
  const std::string where = enter(*this, dataset);
  const Handle opened = open_dataset(handle_.id(), dataset, where);
  write_attribute(opened.id(), attribute, where, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

bool Group::dataset_has_attribute(std::string_view dataset, std::string_view attribute) const {
  const std::string where = enter(*this, dataset);
  const Handle opened = open_dataset(handle_.id(), dataset, where);
  return attribute_exists(opened.id(), attribute, where);
}

double Group::dataset_number_attribute(std::string_view dataset, std::string_view attribute) const {
  const std::string where = enter(*this, dataset);
  const Handle opened = open_dataset(handle_.id(), dataset, where);
  double value = 0;
  read_number_attribute(opened.id(), attribute, where, H5T_NATIVE_DOUBLE, true, &value);
  return value;
}

std::string Group::dataset_string_attribute(std::string_view dataset,
                                            std::string_view attribute) const {
  const std::string where = enter(*this, dataset);
  const Handle opened = open_dataset(handle_.id(), dataset, where);
  return read_string_attribute(opened.id(), attribute, where);
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
