#pragma once
// What built this program: recorded in every merged result (/job).

#include <string_view>

namespace dropperc {

inline constexpr std::string_view kVersion = "0.1.0";
/// `git describe --always --dirty` of the sources at build time, or "unknown (...)".
std::string_view git_revision();
/// Compiler, version and build type.
std::string_view build_description();

}  // namespace dropperc
