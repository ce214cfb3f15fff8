#pragma once
// Writing /analysis (docs/hdf5-layout.md): the tables and the resample sets.

#include "fit_table.hpp"

#include "dropperc/analysis/analysis.hpp"
#include "dropperc/io/h5.hpp"

namespace dropperc::detail {

/// Replaces root's /analysis with `a` and the resample sets of `fits`.
void write_analysis(h5::Group& root, const Analysis& a, const Fits& fits, int resamples);

}  // namespace dropperc::detail
