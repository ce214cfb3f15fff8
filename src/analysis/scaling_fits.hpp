#pragma once
// Finite-size scaling over families of sizes (§10.3, §10.4, §10.6): data collapses of layered
// networks and of 2D lattices, and the critical-width exponent kappa.

#include <string>
#include <vector>

#include "contents.hpp"
#include "fit_table.hpp"

namespace dropperc::detail {

// Whether the tasks' depths are a function of their widths, increasing with them (a grid whose
// skip rules keep one L per W, e.g. L = W^2, or one scale of a depth law): then S = W with L
// following it is a family too.
bool tied(std::vector<const ThresholdTask*> tasks);

// Per model and spanning: the kappa fit over all widths, and collapses of every family of 3 or
// more sizes (W at a fixed depth, L at a fixed width, W with L tied to it).
void layered_fits(const Contents& c, Fits& fits);

/// Sets fit.lower, fit.upper and fit.free from the parameters (p_c, b, a, in this order) that
/// `spec` fits and their bounds; a collapse has a quality and a chi^2 (quality x terms).
void collapse_bounds(const CollapseSpec& spec, FitSpec& fit);

/// The points of `curves` (of `tasks`) on the master curve of a collapse at `best`, into
/// fits.points.
void add_collapse_points(Fits& fits, const std::string& fit, const std::vector<std::string>& tasks,
                         const std::vector<SizeCurve>& curves, const ScalingParameters& best);

/// Per 2D lattice model: the collapse over the sizes >= L_min, for every L_min leaving 3 sizes.
void lattice_fits(const Contents& c, Fits& fits);

}  // namespace dropperc::detail
