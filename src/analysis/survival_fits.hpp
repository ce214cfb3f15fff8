#pragma once
// Survival of seeds with depth in local networks (§12.3): P(t; p) of every thresholds task with
// survival depths, and the scaling-form fits of single-seed tasks for p_c, delta and nu_par,
// with and without the correction to scaling, at a range of smallest depths t_min.

#include <vector>

#include "contents.hpp"
#include "fit_table.hpp"

namespace dropperc::detail {

/// P(t; p) at every stored depth and every grid p at or above the task's floor.
std::vector<SurvivalRow> survival_rows(const Contents& c);

/// Per thresholds task of one seed (input width 1) with survival depths and at least 3 grid p
/// at or above its floor: fits at t_min = 10, 30, 100, ... while 4 depths at least 3 t_min
/// apart remain, each without and with the correction b / t; published values where the
/// network is the directed square lattice (1-D, K = 2, periodic).
void survival_fits(const Contents& c, Fits& fits);

/// Per model and topology, over thresholds tasks of full input layers (input width W) of 3 or
/// more widths with survival depths: ln T(p, W) of the median survival depth fitted as
/// z ln W + g(x), x = (p - p_c) W^(1/nu_perp), for every smallest width leaving 3 widths, without
/// and (with 4 widths or more) with a 1/W correction (§12.4).
void depth_scaling_fits(const Contents& c, Fits& fits);

}  // namespace dropperc::detail
