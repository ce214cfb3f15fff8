#include "blocks.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "dropperc/io/schema.hpp"

namespace dropperc::kinds {

std::pair<std::int64_t, std::int64_t> block_of(std::int64_t samples, std::int64_t block,
                                               std::int64_t index) {
  const std::int64_t first = index * block;
  return {first, std::min(samples, first + block)};
}

void write_range(h5::Group& unit, std::int64_t first, std::int64_t last) {
  unit.set_attribute(schema::kFirstSample, first);
  unit.set_attribute(schema::kLastSample, last);
}

bool holds_range(const h5::Group& unit, std::int64_t first, std::int64_t last) {
  return unit.integer_attribute(schema::kFirstSample) == first &&
         unit.integer_attribute(schema::kLastSample) == last;
}

void check_length(const h5::Group& unit, std::size_t values, std::int64_t first,
                  std::int64_t last) {
  if (values != static_cast<std::size_t>(last - first)) {
    throw h5::Error(unit.file_name() + ": holds " + std::to_string(values) + " thresholds, not " +
                    std::to_string(last - first));
  }
}

void check_probabilities(const h5::Group& unit, const std::vector<double>& values,
                         std::string_view what, bool infinite_allowed) {
  for (std::size_t k = 0; k < values.size(); ++k) {
    const bool infinite = values[k] == std::numeric_limits<double>::infinity();
    if (!(values[k] >= 0.0 && values[k] <= 1.0) && !(infinite && infinite_allowed)) {
      throw h5::Error(unit.file_name() + ": " + std::string(what) + " " + std::to_string(k) +
                      " is " + std::to_string(values[k]) + ", not a probability in [0, 1]" +
                      (infinite_allowed ? " or +inf" : ""));
    }
  }
}

}  // namespace dropperc::kinds
