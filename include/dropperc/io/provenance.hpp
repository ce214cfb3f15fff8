#pragma once
// What built this program and when a file was written: recorded in every merged result (/job)
// and analysis (/analysis).

#include <string>
#include <string_view>

namespace dropperc {

inline constexpr std::string_view kVersion = "0.1.0";
/// `git describe --always --dirty` of the sources at build time, or "unknown (...)".
std::string_view git_revision();
/// Compiler, version and build type.
std::string_view build_description();
/// The current time as ISO 8601 in UTC, e.g. "2026-11-24T04:15:25Z".
std::string utc_now();

}  // namespace dropperc
