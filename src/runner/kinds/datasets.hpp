#pragma once
// Writers of a merged job file's /tasks/<name> that the kinds share: numbers with their
// description and units, theta curves from per-sample thresholds, and a network task's
// parameters (docs/hdf5-layout.md).

#include <string>
#include <string_view>
#include <vector>

#include "kinds.hpp"

#include "dropperc/io/h5.hpp"
#include "dropperc/runner/job.hpp"

namespace dropperc::kinds {

/// A dataset name made of schema parts, e.g. "curve_" "theta" "_low".
std::string joined(std::string_view a, std::string_view b, std::string_view c = {});

/// One number as a scalar dataset with its description and units.
void scalar(h5::Group& g, std::string_view name, double value, std::string_view description,
            std::string_view units = "1");
void vector(h5::Group& g, std::string_view name, const std::vector<double>& values,
            std::string_view description, std::string_view units = "1");
/// Rows as a [rows, columns] dataset; short rows are padded with NaN.
void matrix(h5::Group& g, std::string_view name, const std::vector<std::vector<double>>& rows,
            std::string_view description, std::string_view units = "1");

/// Where a sample spans relative to its threshold: at p < p* for dropout's drop probability p,
/// at q > q* for a lattice's occupation probability q.
enum class SpansWhen { below, above };

/// theta on `grid` from per-sample thresholds: the fraction of samples spanning at each value,
/// with 95 % Clopper-Pearson intervals, as <prefix>theta, <prefix>theta_low, <prefix>theta_high.
void write_curve(h5::Group& g, std::string_view prefix, const std::vector<double>& thresholds,
                 const std::vector<double>& grid, SpansWhen when, std::string_view description);

/// The attributes of a network task (percolation, thresholds, training): its network (with its
/// topology unless it is the dense MLP), its input dropout, the scales of the laws that gave its
/// depth and p, and p unless `with_p` is false.
void write_network_parameters(h5::Group& g, const Task& task, bool with_p);
/// The summary row's parameters of a network task.
SummaryRow network_row(const Task& task, bool with_p);

}  // namespace dropperc::kinds
