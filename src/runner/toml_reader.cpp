#include "toml_reader.hpp"

#include <cmath>
#include <sstream>

namespace dropperc {

void Reader::only(std::initializer_list<std::string_view> allowed) const {
  for (const auto& [key, node] : table_) {
    if (std::find(allowed.begin(), allowed.end(), key.str()) != allowed.end()) continue;
    std::string list;
    for (std::string_view a : allowed)
      list += (list.empty() ? "" : ", ") + std::string(a);
    fail(node, key.str(), "unknown key (allowed here: " + list + ")");
  }
}

void Reader::fail(const toml::node& n, std::string_view key, const std::string& message) const {
  const auto& at = n.source().begin;
  throw JobError(file_ + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) + ": " +
                 key_path(key) + ": " + message);
}

void Reader::fail_table(const std::string& message) const {
  const auto& at = table_.source().begin;
  throw JobError(file_ + ":" + std::to_string(at.line) + ": [" + section_ + "]: " + message);
}

std::string Reader::shown(const toml::node& n) {
  if (n.is_string()) return quoted(n.as_string()->get());
  std::ostringstream out;
  n.visit([&](auto&& v) { out << v; });
  return quoted(out.str());
}

std::string Reader::quoted(std::string_view text) {
  if (text.size() <= kMaxShown) return "'" + std::string(text) + "'";
  return "'" + std::string(text.substr(0, kMaxShown)) + "...'";
}

const toml::table& section(const toml::table& root, std::string_view key, const std::string& file) {
  const toml::node* n = root.get(key);
  if (n == nullptr) throw JobError(file + ": missing section [" + std::string(key) + "]");
  if (!n->is_table())
    Reader(root, "", file).fail(*n, key, "expected a section [" + std::string(key) + "]");
  return *n->as_table();
}

bool positive_int(const int& v) {
  return v >= 1;
}
bool positive_int64(const std::int64_t& v) {
  return v >= 1;
}
bool non_negative_int64(const std::int64_t& v) {
  return v >= 0;
}
bool probability(const double& v) {
  return v >= 0.0 && v <= 1.0;
}
bool positive_number(const double& v) {
  return std::isfinite(v) && v > 0.0;
}
bool non_negative_number(const double& v) {
  return std::isfinite(v) && v >= 0.0;
}
bool below_one(const double& v) {
  return v >= 0.0 && v < 1.0;
}
bool open_fraction(const double& v) {
  return v > 0.0 && v < 1.0;
}

}  // namespace dropperc
