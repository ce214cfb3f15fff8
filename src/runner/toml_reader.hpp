#pragma once
// The TOML reader of job files (private to the runner): typed reads of one table whose every
// failure is a JobError naming the file, the line and column, the key (as "section.key"), the
// bad value and what is allowed.

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <toml++/toml.h>

#include "dropperc/runner/job.hpp"

namespace dropperc {

class Reader {
 public:
  Reader(const toml::table& table, std::string section, const std::string& file)
      : table_(table), section_(std::move(section)), file_(file) {}

  /// Refuses keys outside `allowed`.
  void only(std::initializer_list<std::string_view> allowed) const;

  bool has(std::string_view key) const { return table_.contains(key); }
  const toml::node* node(std::string_view key) const { return table_.get(key); }

  /// A required or optional value of type T, checked by `ok` (which explains the rule).
  template <class T>
  T required(std::string_view key, const std::string& rule, bool (*ok)(const T&) = nullptr) const {
    const toml::node* n = table_.get(key);
    if (n == nullptr) fail_table("missing key '" + key_path(key) + "' (" + rule + ")");
    return value<T>(*n, key, rule, ok);
  }
  template <class T>
  T optional(std::string_view key, T fallback, const std::string& rule,
             bool (*ok)(const T&) = nullptr) const {
    const toml::node* n = table_.get(key);
    return n == nullptr ? fallback : value<T>(*n, key, rule, ok);
  }
  /// A non-empty list of T, each checked.
  template <class T>
  std::vector<T> list(std::string_view key, const std::string& rule, bool (*ok)(const T&) = nullptr,
                      bool is_required = true) const {
    const toml::node* n = table_.get(key);
    if (n == nullptr) {
      if (is_required) fail_table("missing key '" + key_path(key) + "' (a list: " + rule + ")");
      return {};
    }
    const toml::array* array = n->as_array();
    if (array == nullptr)
      fail(*n, key, "expected a list ([...]) of " + rule + ", got " + shown(*n));
    if (array->empty()) fail(*n, key, "the list is empty; give at least one value (" + rule + ")");
    if (static_cast<std::int64_t>(array->size()) > kMaxListValues) {
      fail(*n, key,
           std::to_string(array->size()) + " values, above the limit " +
               std::to_string(kMaxListValues) + " of a list" + kLimitsSection);
    }
    std::vector<T> values;
    for (const toml::node& element : *array)
      values.push_back(value<T>(element, key, rule, ok));
    return values;
  }
  /// A non-empty list of distinct T, each checked; a repeat is refused where it appears.
  template <class T>
  std::vector<T> distinct_list(std::string_view key, const std::string& rule,
                               bool (*ok)(const T&) = nullptr) const {
    std::vector<T> values = list<T>(key, rule, ok);
    const toml::array& array = *table_.get(key)->as_array();
    std::set<T> seen;
    for (std::size_t k = 0; k < values.size(); ++k) {
      if (!seen.insert(values[k]).second)
        fail(array[k], key, shown(array[k]) + " appears twice (" + rule + ")");
    }
    return values;
  }

  /// `value` of `key` (read before), refused above `limit`.
  template <class T>
  T at_most(std::string_view key, T value, T limit) const {
    if (value <= limit) return value;
    const std::string message =
        "'" + number(value) + "' is above the limit " + number(limit) + kLimitsSection;
    const toml::node* n = table_.get(key);
    if (n == nullptr) fail_table(key_path(key) + ": " + message);
    fail(*n, key, message);
  }

  [[noreturn]] void fail(const toml::node& n, std::string_view key,
                         const std::string& message) const;
  [[noreturn]] void fail_table(const std::string& message) const;

  /// "section.key", a long key cut short (quoted()).
  std::string key_path(std::string_view key) const {
    const std::string k = quoted(key).substr(1);
    return (section_.empty() ? "" : section_ + ".") + k.substr(0, k.size() - 1);
  }
  const std::string& file() const { return file_; }
  const std::string& section() const { return section_; }

  /// The value as the message quotes it: 'text' for strings, the TOML spelling otherwise, cut
  /// short as quoted() does.
  static std::string shown(const toml::node& n);
  /// 'text', or its first kMaxShown characters and "..." if longer: a message never echoes a
  /// long bad value whole.
  static std::string quoted(std::string_view text);
  static constexpr std::size_t kMaxShown = 60;
  /// A number as messages write it (the shortest decimal that reads back as it).
  template <class T>
  static std::string number(T value) {
    char buffer[64];
    const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
    return std::string(buffer, error == std::errc{} ? end : buffer);
  }
  /// Where the limits are documented, as messages cite it.
  static constexpr const char* kLimitsSection = " (docs/job-file.md, \"Limits\")";

 private:
  template <class T>
  T value(const toml::node& n, std::string_view key, const std::string& rule,
          bool (*ok)(const T&)) const {
    T result{};
    if constexpr (std::is_same_v<T, bool>) {
      if (!n.is_boolean()) fail(n, key, "expected true or false, got " + shown(n));
      result = n.as_boolean()->get();
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (!n.is_string()) fail(n, key, "expected a string (" + rule + "), got " + shown(n));
      result = n.as_string()->get();
    } else if constexpr (std::is_floating_point_v<T>) {
      if (n.is_integer()) {
        result = static_cast<T>(n.as_integer()->get());
      } else if (n.is_floating_point()) {
        result = static_cast<T>(n.as_floating_point()->get());
      } else {
        fail(n, key, "expected a number (" + rule + "), got " + shown(n));
      }
    } else {
      if (!n.is_integer()) fail(n, key, "expected a whole number (" + rule + "), got " + shown(n));
      const std::int64_t v = n.as_integer()->get();
      if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) {
        fail(n, key, shown(n) + " is out of range (" + rule + ")");
      }
      result = static_cast<T>(v);
    }
    if (ok != nullptr && !ok(result)) fail(n, key, shown(n) + " is not allowed (" + rule + ")");
    return result;
  }

  const toml::table& table_;
  std::string section_;
  const std::string& file_;
};

/// The table under `key` of the job file's root; a JobError if it is missing or not a table.
const toml::table& section(const toml::table& root, std::string_view key, const std::string& file);

/// The product of factors, or nullopt if it is above `limit` or would overflow int64.
inline std::optional<std::int64_t> product_at_most(std::initializer_list<std::int64_t> factors,
                                                   std::int64_t limit) {
  std::int64_t product = 1;
  for (std::int64_t f : factors) {
    if (__builtin_mul_overflow(product, f, &product) || product > limit) return std::nullopt;
  }
  return product;
}

// Rules of values, for Reader's `ok`.
bool positive_int(const int& v);
bool positive_int64(const std::int64_t& v);
bool non_negative_int64(const std::int64_t& v);
bool probability(const double& v);
bool positive_number(const double& v);
bool non_negative_number(const double& v);
bool below_one(const double& v);
bool open_fraction(const double& v);

}  // namespace dropperc
