#include "datasets.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>

#include "dropperc/core/statistics.hpp"
#include "dropperc/io/schema.hpp"

namespace dropperc::kinds {

std::string joined(std::string_view a, std::string_view b, std::string_view c) {
  return std::string(a).append(b).append(c);
}

void scalar(h5::Group& g, std::string_view name, double value, std::string_view description,
            std::string_view units) {
  g.write<double>(name, std::span<const double>(&value, 1), {}, {description, units});
}

void vector(h5::Group& g, std::string_view name, const std::vector<double>& values,
            std::string_view description, std::string_view units) {
  g.write<double>(name, values, h5::Meta{description, units});
}

void matrix(h5::Group& g, std::string_view name, const std::vector<std::vector<double>>& rows,
            std::string_view description, std::string_view units) {
  std::size_t columns = 0;
  for (const auto& r : rows)
    columns = std::max(columns, r.size());
  std::vector<double> flat;
  for (const auto& r : rows) {
    flat.insert(flat.end(), r.begin(), r.end());
    flat.insert(flat.end(), columns - r.size(), std::numeric_limits<double>::quiet_NaN());
  }
  g.write<double>(name, flat, {rows.size(), columns}, {description, units});
}

void write_curve(h5::Group& g, std::string_view prefix, const std::vector<double>& thresholds,
                 const std::vector<double>& grid, SpansWhen when, std::string_view description) {
  std::vector<double> theta, low, high;
  const auto n = static_cast<std::int64_t>(thresholds.size());
  for (double x : grid) {
    const auto spans = std::count_if(thresholds.begin(), thresholds.end(), [&](double t) {
      return when == SpansWhen::below ? x < t : x > t;
    });
    const Interval ci = clopper_pearson(spans, n);
    theta.push_back(static_cast<double>(spans) / static_cast<double>(n));
    low.push_back(ci.low);
    high.push_back(ci.high);
  }
  vector(g, joined(prefix, schema::kTheta), theta, description);
  vector(g, joined(prefix, schema::kTheta, schema::kLowSuffix), low,
         "lower end of the 95% Clopper-Pearson interval");
  vector(g, joined(prefix, schema::kTheta, schema::kHighSuffix), high,
         "upper end of the 95% Clopper-Pearson interval");
}

namespace {

// schema.hpp's topology attributes.
void write_topology(h5::Group& g, const Topology& t) {
  g.set_attribute(schema::kTopology, std::string_view(topology_text(t)));
  g.set_attribute(schema::kConnectivity, name(t.connectivity));
  if (t.connectivity == Connectivity::local) {
    g.set_attribute(schema::kKernel, std::int64_t{t.kernel});
    g.set_attribute(schema::kBoundary, name(t.boundary));
    g.set_attribute(schema::kDimensions, std::int64_t{t.dimensions});
    g.set_attribute(schema::kChannels, std::int64_t{t.channels});
  }
  g.set_attribute(schema::kResidual, std::int64_t{t.residual});
  if (t.residual > 0) g.set_attribute(schema::kResidualDropout, std::int64_t{t.residual_dropout});
}

}  // namespace

void write_network_parameters(h5::Group& g, const Task& t, bool with_p) {
  // A layered network's width is -1: its widths attribute lists them.
  g.set_attribute(schema::kWidth, std::int64_t{t.arch.width_or(-1)});
  if (!t.arch.is_uniform())
    g.set_attribute(schema::kHiddenWidths, std::string_view(hidden_widths_text(t.arch)));
  g.set_attribute(schema::kDepth, std::int64_t{t.arch.depth()});
  g.set_attribute(schema::kInputWidth, std::int64_t{t.arch.input_width});
  g.set_attribute(schema::kOutputWidth, std::int64_t{t.arch.output_width});
  if (t.p_input > 0.0) g.set_attribute(schema::kInputDropout, t.p_input);
  if (!t.topology.is_dense_mlp()) write_topology(g, t.topology);
  if (!std::isnan(t.depth_scale)) g.set_attribute(schema::kDepthScale, t.depth_scale);
  if (!with_p) return;
  g.set_attribute(schema::kP, t.p);
  if (!std::isnan(t.keep)) g.set_attribute(schema::kKeepScale, t.keep);
}

SummaryRow network_row(const Task& task, bool with_p) {
  SummaryRow row;
  row.model = std::string(name(task.model));
  row.width = task.arch.width_or(-1);
  row.depth = task.arch.depth();
  if (with_p) row.p = task.p;
  return row;
}

}  // namespace dropperc::kinds
