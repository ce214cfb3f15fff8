#include "training_trends.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>
#include <numeric>
#include <set>
#include <tuple>

#include "threshold_estimates.hpp"

#include "dropperc/core/mask.hpp"
#include "dropperc/core/theory.hpp"

namespace dropperc::detail {

namespace {

// Mean and standard error of the finite values.
std::pair<double, double> mean_and_error(const std::vector<double>& v) {
  std::vector<double> finite;
  std::copy_if(v.begin(), v.end(), std::back_inserter(finite),
               [](double x) { return std::isfinite(x); });
  if (finite.empty()) return {kNaN, kNaN};
  const double n = static_cast<double>(finite.size());
  const double mean = std::accumulate(finite.begin(), finite.end(), 0.0) / n;
  double squares = 0;
  for (double x : finite)
    squares += (x - mean) * (x - mean);
  return {mean, finite.size() > 1 ? std::sqrt(squares / (n - 1) / n) : kNaN};
}

// Steps to target: NaN unless every chosen replica reached the target (-1 marks "never").
double mean_steps(const std::vector<double>& steps, const std::vector<std::size_t>& at) {
  double sum = 0;
  for (std::size_t i : at) {
    if (!(steps[i] >= 0)) return kNaN;
    sum += steps[i];
  }
  return sum / static_cast<double>(at.size());
}

// The replicas of `t` that did not diverge (all, in files written before diverged_at existed): a
// diverged replica's final loss is not finite and its accuracy that of a broken network, so it is
// counted, not averaged.
std::vector<std::size_t> converged_replicas(const TrainingTask& t) {
  std::vector<std::size_t> kept;
  for (std::size_t r = 0; r < t.test_loss.size(); ++r) {
    if (r < t.diverged_at.size() && t.diverged_at[r] > 0) continue;
    kept.push_back(r);
  }
  return kept;
}

}  // namespace

std::vector<TrainingRow> training_rows(const Contents& c) {
  std::vector<TrainingRow> rows;
  for (const TrainingTask& t : c.training) {
    TrainingRow row{t.name,
                    t.model,
                    t.activation,
                    t.arch.width_or(-1),
                    t.arch.depth(),
                    t.bias,
                    static_cast<std::int64_t>(t.test_loss.size())};
    row.p = t.p;
    const Dropout dropout = scan_line(t.model, t.p_input).at(t.p);
    row.theta = t.topology.is_dense_mlp() ? spanning_probability(t.arch, dropout).theta
                                          : exact_theta(t.arch, t.topology, t.model, dropout);
    const std::vector<std::size_t> kept = converged_replicas(t);
    row.diverged = row.replicas - static_cast<std::int64_t>(kept.size());
    std::tie(row.test_loss, row.test_loss_error) = mean_and_error(pick(t.test_loss, kept));
    std::tie(row.test_accuracy, row.test_accuracy_error) =
        mean_and_error(pick(t.test_accuracy, kept));
    std::tie(row.zero_gradient_fraction, row.zero_gradient_error) =
        mean_and_error(pick(t.zero_gradient, kept));
    const std::vector<double> steps = pick(t.steps_to_target, kept);
    std::vector<std::size_t> all(steps.size());
    std::iota(all.begin(), all.end(), std::size_t{0});
    if (!steps.empty() && mean_steps(steps, all) >= 0)
      std::tie(row.steps_to_target, row.steps_to_target_error) = mean_and_error(steps);
    else
      row.steps_to_target = row.steps_to_target_error = kNaN;
    rows.push_back(row);
  }
  return rows;
}

// §10.5 per (model, bias, activation): steps to target against the exact theta.
void gamma_fits(const Contents& c, const std::vector<TrainingRow>& rows, Fits& fits) {
  std::map<std::string, std::vector<std::size_t>> groups;
  for (std::size_t k = 0; k < rows.size(); ++k) {
    if (std::isfinite(rows[k].steps_to_target)) {
      groups[rows[k].model + (rows[k].bias ? "_bias_" : "_nobias_") + rows[k].activation].push_back(
          k);
    }
  }
  for (const auto& group : groups) {
    const std::string& key = group.first;
    const std::vector<std::size_t>& members = group.second;  // captured below (Clang 14)
    std::set<double> thetas;
    for (std::size_t k : members)
      thetas.insert(rows[k].theta);
    if (thetas.size() < 2) continue;
    // Resampled over the replicas that did not diverge, as the table's means are.
    std::vector<std::vector<double>> steps_of;
    std::vector<std::size_t> replicas;
    for (std::size_t k : members) {
      steps_of.push_back(pick(c.training[k].steps_to_target, converged_replicas(c.training[k])));
      replicas.push_back(steps_of.back().size());
    }
    FitSpec about = describe("steps_to_target_" + key, rows[members.front()].model,
                             "steps_to_target", "steps_to_target", "", {"gamma", "T0"});
    about.about.scaling = "theta";
    about.about.input_width = c.training[members.front()].arch.input_width;
    for (std::size_t k : members) {
      about.tasks.push_back(rows[k].task);
      if (c.training[k].arch.input_width != about.about.input_width) about.about.input_width = kNaN;
    }
    about.free = 2;
    about.chi2 = true;
    fits.add(about, replicas, [&](const Resample& r) {
      std::vector<double> theta, steps, errors;
      for (std::size_t g = 0; g < members.size(); ++g) {
        const std::vector<double>& all = steps_of[g];
        const std::vector<double> chosen = pick(all, r[g]);
        const auto [mean, error] = mean_and_error(chosen);
        if (!(mean_steps(all, r[g]) >= 0)) continue;
        theta.push_back(rows[members[g]].theta);
        steps.push_back(mean);
        // One replica, or identical ones: fall back to a relative error of 10 %.
        errors.push_back(error > 0 ? error : 0.1 * mean);
      }
      const PowerLawFit f = fit_power_law(theta, steps, errors);
      return std::vector<double>{f.exponent, f.amplitude, f.chi2, static_cast<double>(f.points)};
    });
  }
}

}  // namespace dropperc::detail
