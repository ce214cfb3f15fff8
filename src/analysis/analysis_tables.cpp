#include "analysis_tables.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "dropperc/io/provenance.hpp"
#include "dropperc/io/schema.hpp"

namespace dropperc::detail {

namespace {

template <class Row, class Field>
std::vector<Field> column(const std::vector<Row>& rows, Field Row::*field) {
  std::vector<Field> values;
  for (const Row& r : rows)
    values.push_back(r.*field);
  return values;
}

}  // namespace

void write_analysis(h5::Group& root, const Analysis& a, const Fits& fits, int resamples) {
  if (root.contains(schema::kAnalysis)) root.remove(schema::kAnalysis);
  h5::Group g = root.create_group(schema::kAnalysis);
  g.set_attribute(schema::kCreated, std::string_view(utc_now()));
  g.set_attribute(schema::kDroppercVersion, kVersion);
  g.set_attribute(schema::kGitRevision, git_revision());
  g.set_attribute(schema::kResampleCount, std::int64_t{resamples});
  using C = CurveRow;
  g.write_table(schema::kCurves,
                {{"task", column(a.curves, &C::task)},
                 {"model", column(a.curves, &C::model)},
                 {"spanning", column(a.curves, &C::spanning)},
                 {"width", column(a.curves, &C::width)},
                 {"depth", column(a.curves, &C::depth)},
                 {"p", column(a.curves, &C::p)},
                 {"theta", column(a.curves, &C::theta)},
                 {"theta_low", column(a.curves, &C::theta_low)},
                 {"theta_high", column(a.curves, &C::theta_high)},
                 {"theta_exact", column(a.curves, &C::theta_exact)}},
                {"theta(p) of every thresholds task across its transition, 95% Clopper-Pearson "
                 "intervals, exact theta (directed; NaN otherwise)",
                 "1"});
  using T = ThresholdRow;
  g.write_table(schema::kAnalysisThresholds,
                {{"task", column(a.thresholds, &T::task)},
                 {"model", column(a.thresholds, &T::model)},
                 {"spanning", column(a.thresholds, &T::spanning)},
                 {"width", column(a.thresholds, &T::width)},
                 {"depth", column(a.thresholds, &T::depth)},
                 {"samples", column(a.thresholds, &T::samples)},
                 {"p_half", column(a.thresholds, &T::p_half)},
                 {"p_half_error", column(a.thresholds, &T::p_half_error)},
                 {"p_half_low", column(a.thresholds, &T::p_half_low)},
                 {"p_half_high", column(a.thresholds, &T::p_half_high)},
                 {"transition_width", column(a.thresholds, &T::transition_width)},
                 {"transition_width_error", column(a.thresholds, &T::transition_width_error)},
                 {"p_half_exact", column(a.thresholds, &T::p_half_exact)},
                 {"deviation", column(a.thresholds, &T::deviation)}},
                {"per thresholds task and spanning: p where theta = 1/2 and the width between "
                 "theta = 0.9 and 0.1, bootstrap errors and 95% intervals; exact p_half where "
                 "known and the deviation from it in errors",
                 "1"});
  using S = SurvivalRow;
  g.write_table(schema::kSurvival,
                {{"task", column(a.survival, &S::task)},
                 {"model", column(a.survival, &S::model)},
                 {"width", column(a.survival, &S::width)},
                 {"depth", column(a.survival, &S::depth)},
                 {"input_width", column(a.survival, &S::input_width)},
                 {"samples", column(a.survival, &S::samples)},
                 {"t", column(a.survival, &S::t)},
                 {"p", column(a.survival, &S::p)},
                 {"survival", column(a.survival, &S::survival)},
                 {"survival_low", column(a.survival, &S::survival_low)},
                 {"survival_high", column(a.survival, &S::survival_high)}},
                {"P(t; p): the fraction of samples reaching hidden layer t at drop probability p, "
                 "per thresholds task with survival depths, at its depths and the grid's p at or "
                 "above its floor, with 95% Clopper-Pearson intervals",
                 "1"});
  using F = FitRow;
  g.write_table(schema::kFits,
                {{"fit", column(a.fits, &F::fit)},
                 {"model", column(a.fits, &F::model)},
                 {"observable", column(a.fits, &F::observable)},
                 {"parameter", column(a.fits, &F::parameter)},
                 {"value", column(a.fits, &F::value)},
                 {"error", column(a.fits, &F::error)},
                 {"low", column(a.fits, &F::low)},
                 {"high", column(a.fits, &F::high)},
                 {"exact", column(a.fits, &F::exact)},
                 {"quality", column(a.fits, &F::quality)},
                 {"failures", column(a.fits, &F::failures)},
                 {"held", column(a.fits, &F::held)},
                 {"family", column(a.fits, &F::family)},
                 {"spanning", column(a.fits, &F::spanning)},
                 {"scaling", column(a.fits, &F::scaling)},
                 {"fixed_size", column(a.fits, &F::fixed_size)},
                 {"depth_scale", column(a.fits, &F::depth_scale)},
                 {"keep_scale", column(a.fits, &F::keep_scale)},
                 {"input_width", column(a.fits, &F::input_width)},
                 {"min_size", column(a.fits, &F::min_size)},
                 {"correction", column(a.fits, &F::correction)},
                 {"valid", column(a.fits, &F::valid)},
                 {"reason", column(a.fits, &F::reason)},
                 {"dof", column(a.fits, &F::dof)},
                 {"chi2_per_dof", column(a.fits, &F::chi2_per_dof)}},
                {"one row per fitted parameter: value on the data, bootstrap standard error and "
                 "95% percentile interval, the known value (published, or the fit on exact "
                 "theta; NaN if none), fit quality (collapse) and failed resamples; what the "
                 "fit is (family, spanning, scaling variable, fixed size, depth and keep scales, "
                 "input width, smallest size, correction to scaling; empty or NaN where not "
                 "applicable) and its verdict "
                 "(valid 0/1, the reason it is not a result, dof, chi2 per dof)",
                 "1"});
  g.write_table(schema::kFitTasks,
                {{"fit", column(a.fit_tasks, &FitTaskRow::fit)},
                 {"task", column(a.fit_tasks, &FitTaskRow::task)}},
                {"the tasks each fit used", "1"});
  using P = CollapsePoint;
  g.write_table(schema::kCollapsePoints,
                {{"fit", column(a.collapse_points, &P::fit)},
                 {"task", column(a.collapse_points, &P::task)},
                 {"size", column(a.collapse_points, &P::size)},
                 {"p", column(a.collapse_points, &P::p)},
                 {"value", column(a.collapse_points, &P::value)},
                 {"x", column(a.collapse_points, &P::x)},
                 {"y", column(a.collapse_points, &P::y)},
                 {"error", column(a.collapse_points, &P::error)}},
                {"points of every collapse at its fitted parameters: the observable at p of "
                 "size S, x = (p - p_c) S^b, y = S^a value with error S^a sigma; for kappa fits "
                 "x = ln L + c W^kappa ln p, y = theta",
                 "1"});
  using K = KappaSlope;
  g.write_table(schema::kKappaSlopes,
                {{"fit", column(a.kappa_slopes, &K::fit)},
                 {"width", column(a.kappa_slopes, &K::width)},
                 {"slope", column(a.kappa_slopes, &K::slope)},
                 {"slope_error", column(a.kappa_slopes, &K::slope_error)},
                 {"intercept", column(a.kappa_slopes, &K::intercept)},
                 {"ln_p_low", column(a.kappa_slopes, &K::ln_p_low)},
                 {"ln_p_high", column(a.kappa_slopes, &K::ln_p_high)}},
                {"per kappa fit and width: the weighted line ln(-ln theta) - ln L = intercept + "
                 "slope ln p over [ln_p_low, ln_p_high]",
                 "1"});
  using R = TrainingRow;
  g.write_table(schema::kAnalysisTraining,
                {{"task", column(a.training, &R::task)},
                 {"model", column(a.training, &R::model)},
                 {"activation", column(a.training, &R::activation)},
                 {"width", column(a.training, &R::width)},
                 {"depth", column(a.training, &R::depth)},
                 {"bias", column(a.training, &R::bias)},
                 {"replicas", column(a.training, &R::replicas)},
                 {"diverged", column(a.training, &R::diverged)},
                 {"p", column(a.training, &R::p)},
                 {"theta", column(a.training, &R::theta)},
                 {"test_loss", column(a.training, &R::test_loss)},
                 {"test_loss_error", column(a.training, &R::test_loss_error)},
                 {"test_accuracy", column(a.training, &R::test_accuracy)},
                 {"test_accuracy_error", column(a.training, &R::test_accuracy_error)},
                 {"zero_gradient_fraction", column(a.training, &R::zero_gradient_fraction)},
                 {"zero_gradient_error", column(a.training, &R::zero_gradient_error)},
                 {"steps_to_target", column(a.training, &R::steps_to_target)},
                 {"steps_to_target_error", column(a.training, &R::steps_to_target_error)}},
                {"per training task: exact theta of its network, means and standard errors over "
                 "the replicas that did not diverge (diverged: how many did)",
                 "1"});
  h5::Group sets = g.create_group(schema::kResamples);
  for (const Fits::Set& set : fits.sets) {
    std::vector<double> flat;
    for (const auto& r : set.resamples)
      flat.insert(flat.end(), r.begin(), r.end());
    std::string names;
    for (const std::string& p : set.parameters)
      names += (names.empty() ? "" : ",") + p;
    std::string dataset = set.fit;
    std::replace(dataset.begin(), dataset.end(), '/', ':');
    sets.write<double>(dataset, flat, {set.resamples.size(), set.parameters.size()},
                       {"bootstrap resamples [resample, parameter] of fit " + set.fit, "1"});
    sets.set_dataset_attribute(dataset, schema::kParameterNames, names);
  }
}

}  // namespace dropperc::detail
