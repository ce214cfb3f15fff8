#pragma once
// A table of numbers printed either aligned for people (text) or as CSV for programs.

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "dropperc/core/mask.hpp"

namespace dropperc::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> columns) : columns_(std::move(columns)) {}

  void add_row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }

  /// CSV: a header row, then one row per line. Text: right-aligned columns.
  void print(std::FILE* out, bool csv) const {
    if (csv) {
      print_csv_row(out, columns_);
      for (const auto& row : rows_)
        print_csv_row(out, row);
      return;
    }
    std::vector<std::size_t> widths;
    for (const auto& c : columns_)
      widths.push_back(c.size());
    for (const auto& row : rows_) {
      for (std::size_t c = 0; c < row.size(); ++c)
        widths[c] = std::max(widths[c], row[c].size());
    }
    print_aligned_row(out, columns_, widths);
    for (const auto& row : rows_)
      print_aligned_row(out, row, widths);
  }

 private:
  // RFC 4180: a cell with a comma, quote or line break in quotes, its quotes doubled.
  static std::string csv_cell(const std::string& cell) {
    if (cell.find_first_of(",\"\n") == std::string::npos) return cell;
    std::string quoted = "\"";
    for (char ch : cell)
      quoted += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    return quoted + "\"";
  }
  static void print_csv_row(std::FILE* out, const std::vector<std::string>& cells) {
    for (std::size_t c = 0; c < cells.size(); ++c) {
      std::fprintf(out, "%s%s", c == 0 ? "" : ",", csv_cell(cells[c]).c_str());
    }
    std::fputc('\n', out);
  }
  static void print_aligned_row(std::FILE* out, const std::vector<std::string>& cells,
                                const std::vector<std::size_t>& widths) {
    for (std::size_t c = 0; c < cells.size(); ++c) {
      std::fprintf(out, "%s%*s", c == 0 ? "" : "  ", static_cast<int>(widths[c]), cells[c].c_str());
    }
    std::fputc('\n', out);
  }

  std::vector<std::string> columns_;
  std::vector<std::vector<std::string>> rows_;
};

/// printf "%.*g": `digits` significant digits, "nan" and "inf" spelled as such, and always as a
/// floating-point number: zero without a sign (never "-0", e.g. for 1 - theta at theta = 1) and a
/// whole number with ".0" ("1.0", not "1"), NaN as "nan" whatever its sign bit, so that a column
/// whose values are all 0 or 1 still reads as floating point (pandas would type it as integer).
inline std::string number(double value, int digits = 15) {
  if (std::isnan(value)) return "nan";  // printf may say "-nan"
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*g", digits, value == 0.0 ? 0.0 : value);
  std::string text = buffer;
  if (text.find_first_not_of("-0123456789") == std::string::npos) text += ".0";
  return text;
}

/// The line parameter as printed: nan when the line scans nothing and p means nothing.
inline double shown_p(const ScanLine& line, double p) {
  return line.scans() ? p : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace dropperc::cli
