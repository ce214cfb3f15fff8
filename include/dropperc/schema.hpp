#pragma once
// Every group, dataset and attribute name that dropperc reads or writes in HDF5 files, in one
// place (docs/hdf5-layout.md describes the layout they make).

#include <cstdint>
#include <string_view>

namespace dropperc::schema {

/// Version of the layout dropperc writes; readers refuse files of a newer version.
inline constexpr std::int64_t kFormatVersion = 1;
inline constexpr std::string_view kFormatVersionAttribute = "dropperc_format_version";

// Data sets for training (dataset.hpp): features n x d, labels n or targets n x k.
inline constexpr std::string_view kFeatures = "X";
inline constexpr std::string_view kLabels = "y";
inline constexpr std::string_view kTestFeatures = "X_test";
inline constexpr std::string_view kTestLabels = "y_test";

}  // namespace dropperc::schema
