#pragma once
// Thresholds of every curve (§10.1, §10.2): theta(p) across the transition and p_half with the
// transition width, each against exact theory where it is affordable.

#include <string>
#include <vector>

#include "contents.hpp"
#include "fit_table.hpp"

namespace dropperc::detail {

// Whether exact theta of a network is cheap enough to evaluate at every curve point: the closed
// form for site dropout; otherwise the chain of §3, O((L + 1) W^2), at most 1e8 steps (about
// 0.1 s). Curves, p_half and kappa fits of larger networks have no exact counterpart.
bool exact_is_affordable(const Architecture& arch, const std::string& model);

/// Exact theta of a stored task's network at `dropout`: theory.hpp's for the dense MLP when
/// affordable, topology_theory's for local and residual networks when it exists and takes at
/// most 0.05 s; NaN otherwise (no exact counterpart is printed).
double exact_theta(const Architecture& arch, const Topology& topology, const std::string& model,
                   const Dropout& dropout);
/// The exact p at which theta = 1/2 along the line: theory.hpp's p_half for the dense MLP, a
/// bisection on exact_theta otherwise (when one evaluation takes at most 1 ms); NaN where theta
/// does not cross 1/2 or has no exact value.
double exact_p_half(const Architecture& arch, const Topology& topology, const std::string& model,
                    const ScanLine& line);

/// A row per (thresholds task, spanning) and per lattice task; their fits go to `fits`.
std::vector<ThresholdRow> threshold_rows(const Contents& c, Fits& fits);

/// theta at 41 points across the transition of every curve, with Clopper-Pearson intervals.
std::vector<CurveRow> curve_rows(const Contents& c);

}  // namespace dropperc::detail
