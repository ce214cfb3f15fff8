#include "dropperc/core/canonical_number.hpp"

#include <charconv>

namespace dropperc {

std::string canonical_number(double value) {
  char buffer[64];
  const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
  std::string text(buffer, end);
  const auto dot = text.find('.');
  if (dot == std::string::npos && text.find('e') == std::string::npos)
    text += ".000";
  else if (dot != std::string::npos && text.find('e') == std::string::npos && text.size() - dot < 4)
    text.append(4 - (text.size() - dot), '0');
  return text;
}

}  // namespace dropperc
