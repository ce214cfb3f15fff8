#pragma once
// Training against exact theta (§6, §10.5): per task means over replicas, and per (model, bias,
// activation) the steps to target against theta.

#include <vector>

#include "contents.hpp"
#include "fit_table.hpp"

namespace dropperc::detail {

/// A row per training task.
std::vector<TrainingRow> training_rows(const Contents& c);

// §10.5 per (model, bias, activation): steps to target against the exact theta.
void gamma_fits(const Contents& c, const std::vector<TrainingRow>& rows, Fits& fits);

}  // namespace dropperc::detail
