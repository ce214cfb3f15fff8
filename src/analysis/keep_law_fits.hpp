#pragma once
// Fits of keep laws p = 1 - c W^power with depth laws L = a W^power (§10.7): DropConnect's
// critical point from thresholds and the growth of the mean extinction depth.

#include "contents.hpp"
#include "fit_table.hpp"

namespace dropperc::detail {

// §10.7 on the thresholds tasks of a keep law p = 1 - c W^power with L tied to W by a depth
// law: per (model, spanning, input width, depth scale), the collapse
// theta = W^-a F((c - c_c) W^b) over the widths >= W_min, for every W_min leaving 3 widths, and
// theta at c = 1 against W.
void critical_fits(const Contents& c, Fits& fits);

// §10.7: the mean extinction depth of percolation tasks of a keep law against W,
// D = amplitude W^exponent, per (model, input width, keep scale, depth scale) with 3 widths or
// more; weighted least squares on ln D with the tasks' standard errors. The exact comparison is
// the same fit on E[min(D, L + 1)] of the reachable-count chain (§5).
void extinction_fits(const Contents& c, Fits& fits);

}  // namespace dropperc::detail
