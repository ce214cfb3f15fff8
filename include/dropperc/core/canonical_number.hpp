#pragma once
// Numbers as they appear in task names, fit names and fingerprints.

#include <string>

namespace dropperc {

/// "0.5" -> "0.500": the shortest decimal that reads back as the same double, padded to at least
/// three decimals. Distinct values give distinct text.
std::string canonical_number(double value);

}  // namespace dropperc
