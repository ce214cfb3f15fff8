#!/usr/bin/python3
"""Draws every figure of an analysed merged job file (`dropperc run`, then `dropperc analyze`).

  plot_all.py JOB.h5 [--out DIR]        PNGs into DIR (default: figures), created if missing

Figures, one file each (<model> as in task names, e.g. site, bond, sitebond):
  theta_<model>_<spanning>.png   theta(p) from /analysis/curves, one panel per depth, points with
                                 their 95 % Clopper-Pearson band per width, exact theta as a line
  <collapse fit>.png             theta against (p - p_c) S^b with the fitted p_c, b (title: values,
                                 bootstrap errors, Houdayer-Hartmann quality Q)
  kappa_<model>_<spanning>.png   ln(-ln theta) - ln L against ln p per width with its line, and the
                                 per-width slopes against W (log-log) with the fitted c W^kappa
  p_half_<model>.png             p_1/2 against depth per width, bootstrap error bars, exact p_1/2
  training_<model>.png           final test loss and zero-gradient fraction against exact theta
  loss_curves_<model>.png        batch loss under dropout per step, mean over replicas, per task

A figure with nothing to draw is skipped with a note on stdout. Colours mean the same width, and
marker shapes the same depth, in every figure. Prints the files written.
Exit codes: 0 drawn; 2 missing or unreadable file, or no /analysis (run dropperc analyze first).
"""
import argparse
import collections
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402 (after choosing the backend)
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FormatStrFormatter, NullFormatter  # noqa: E402
import numpy as np  # noqa: E402

import dropperc_h5  # noqa: E402

DPI = 130
PANEL_SIZE = (4.8, 3.9)  # inches per panel
MARKERS = "osD^vPX*<>"
LINE_STYLES = ("-", "--", ":", "-.")
EXACT_STYLE = {"color": "0.2", "lw": 1.2}
BAND_ALPHA = 0.25
COLLAPSE_FIT = re.compile(
    r"^collapse_.+_(?P<spanning>directed|undirected)_(?P<size>[WL])_at_[LW](?P<fixed>\d+)$")
KAPPA_FIT = re.compile(r"^kappa_.+_(?P<spanning>directed|undirected)$")

# What every figure is drawn from: the file, its /analysis (dropperc_h5.load_analysis), the
# output directory, and the styles shared by all figures (width -> colour, depth -> marker and
# depth -> colour for collapses over depth).
Context = collections.namedtuple(
    "Context", "path analysis out width_colours depth_markers depth_colours")


def note(figure, reason):
    """Tells that `figure` is skipped and why."""
    print(f"plot_all: no {figure} figure: {reason}")


def groups(table, *fields):
    """[(key, rows)] for each distinct combination `key` (a tuple) of the values of `fields` in the
    structured array `table`, keys in ascending order."""
    keys = sorted(set(zip(*(table[field].tolist() for field in fields))))
    return [(key, table[np.logical_and.reduce([table[f] == v for f, v in zip(fields, key)])])
            for key in keys]


def all_values(analysis, field):
    """Sorted distinct values of `field` over the tables curves, thresholds and training."""
    return sorted({v for name in ("curves", "thresholds", "training")
                   for v in analysis[name][field].tolist()})


def make_context(path, analysis, out):
    """The Context of one file: widths coloured by rank with tab10 (tab20 past 10 widths), depths
    given markers by rank and colours from viridis."""
    widths, depths = all_values(analysis, "width"), all_values(analysis, "depth")
    width_map = matplotlib.colormaps["tab10" if len(widths) <= 10 else "tab20"]
    depth_map = matplotlib.colormaps["viridis"]
    return Context(
        path=path, analysis=analysis, out=out,
        width_colours={w: width_map(i % width_map.N) for i, w in enumerate(widths)},
        depth_markers={d: MARKERS[i % len(MARKERS)] for i, d in enumerate(depths)},
        depth_colours={d: depth_map(0.9 * i / max(1, len(depths) - 1))
                       for i, d in enumerate(depths)})


def panels(count, **subplot_options):
    """A figure with `count` panels in rows of at most 3, and the list of its `count` axes."""
    columns = min(count, 3)
    rows = -(-count // columns)
    fig = Figure(figsize=(PANEL_SIZE[0] * columns, PANEL_SIZE[1] * rows), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False, **subplot_options).ravel()
    for unused in axes[count:]:
        unused.set_visible(False)
    return fig, list(axes[:count])


def file_stem(name):
    """`name` with every character other than letters, digits, '_', '-' and '.' dropped
    (site+bond -> sitebond, as in task names)."""
    return re.sub(r"[^A-Za-z0-9_.-]", "", name)


def save(context, fig, name):
    """Writes `fig` as <out>/<name>.png and returns the path."""
    path = os.path.join(context.out, file_stem(name) + ".png")
    fig.savefig(path, dpi=DPI)
    return path


def with_error(value, error):
    """"0.412 ± 0.012": the value to the error's second significant digit."""
    if not (np.isfinite(error) and error > 0):
        return f"{value:.4g}"
    digits = max(0, 1 - int(np.floor(np.log10(error))))
    return f"{value:.{digits}f} ± {error:.{digits}f}"


def fit_parameters(fits, name):
    """The rows of fit `name` in /analysis/fits as a dict: parameter -> row."""
    return {row["parameter"]: row for row in fits[fits["fit"] == name]}


def legend(ax, extra=(), **options):
    """A legend of the labelled artists of `ax`, then the proxy handles `extra`."""
    handles, _ = ax.get_legend_handles_labels()
    ax.legend(handles=handles + list(extra), fontsize="small", **options)


def size_ticks(ax, sizes):
    """Log-scaled x axis with one plain tick per size (depth or width)."""
    ax.set_xscale("log")
    ax.set_xticks(sizes, labels=[str(s) for s in sizes])
    ax.xaxis.set_minor_formatter(NullFormatter())


def plain_log_y(ax):
    """Log-scaled y axis whose major and minor ticks read as plain numbers (0.5, 2, 30)."""
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(FormatStrFormatter("%g"))


# (a) theta(p) -----------------------------------------------------------------------------------


def draw_theta_curve(ax, curve, colour, label):
    """Points theta(p) with their 95 % band in `colour`; the exact theta as a line where known."""
    curve = np.sort(curve, order="p")
    ax.fill_between(curve["p"], curve["theta_low"], curve["theta_high"], color=colour,
                    alpha=BAND_ALPHA, lw=0)
    ax.plot(curve["p"], curve["theta"], "o", color=colour, ms=3, label=label)
    if np.isfinite(curve["theta_exact"]).any():
        ax.plot(curve["p"], curve["theta_exact"], color=colour, lw=1.2)


def plot_theta_curves(context):
    """theta_<model>_<spanning>.png: one panel per depth, one curve per width."""
    curves = context.analysis["curves"]
    if not curves.size:
        note("theta(p)", "no thresholds tasks in the job (/analysis/curves is empty)")
        return []
    paths = []
    for (model, spanning), rows in groups(curves, "model", "spanning"):
        by_depth = groups(rows, "depth")
        fig, axes = panels(len(by_depth), sharey=True)
        for ax, ((depth,), at_depth) in zip(axes, by_depth):
            for (width,), curve in groups(at_depth, "width"):
                draw_theta_curve(ax, curve, context.width_colours[width], f"W = {width}")
            ax.set(title=f"depth L = {depth}", xlabel="drop probability p",
                   ylabel="spanning probability θ", ylim=(-0.03, 1.03))
            extra = [Patch(color="0.5", alpha=BAND_ALPHA, label="95 % interval")]
            if np.isfinite(at_depth["theta_exact"]).any():
                extra.append(Line2D([], [], label="exact θ", **EXACT_STYLE))
            legend(ax, extra)
        fig.suptitle(f"θ(p): {model} dropout, {spanning} spanning (from per-sample thresholds)")
        paths.append(save(context, fig, f"theta_{model}_{spanning}"))
    return paths


# (b) collapses ----------------------------------------------------------------------------------


def plot_collapse(context, name):
    """<name>.png: theta of the curves of collapse fit `name` against x = (p - p_c) S^b."""
    match = COLLAPSE_FIT.match(name)
    parameters = fit_parameters(context.analysis["fits"], name)
    p_c, b = parameters["p_c"], parameters["b"]
    by_width = match["size"] == "W"
    size, fixed_field = ("width", "depth") if by_width else ("depth", "width")
    curves = context.analysis["curves"]
    family = curves[(curves["model"] == p_c["model"]) & (curves["spanning"] == match["spanning"])
                    & (curves[fixed_field] == int(match["fixed"]))]
    colours = context.width_colours if by_width else context.depth_colours
    symbol = "W" if by_width else "L"
    fig, (ax,) = panels(1)
    for (s,), curve in groups(family, size):
        x = (curve["p"] - p_c["value"]) * float(s) ** b["value"]
        bars = [curve["theta"] - curve["theta_low"], curve["theta_high"] - curve["theta"]]
        ax.errorbar(x, curve["theta"], yerr=bars, fmt="o", ms=3, elinewidth=0.7,
                    color=colours[s], label=f"{symbol} = {s}")
    ax.set(xlabel=rf"$(p - p_c)\,{symbol}^{{b}}$", ylabel="spanning probability θ",
           ylim=(-0.03, 1.03))
    fixed_symbol = "L" if by_width else "W"
    ax.set_title(f"{p_c['model']}, {match['spanning']}: collapse over {symbol} at "
                 f"{fixed_symbol} = {match['fixed']}\n"
                 f"$p_c$ = {with_error(p_c['value'], p_c['error'])}, "
                 f"b = {with_error(b['value'], b['error'])}, Q = {p_c['quality']:.3g}",
                 fontsize="medium")
    legend(ax)
    return save(context, fig, name)


def plot_collapses(context):
    """One figure per collapse fit of /analysis/fits."""
    names = sorted({name for name in context.analysis["fits"]["fit"] if COLLAPSE_FIT.match(name)})
    if not names:
        note("collapse", "no collapse fits (they need 3 widths at one depth or 3 depths at one "
             "width)")
    return [plot_collapse(context, name) for name in names]


# (c) the critical-width exponent ----------------------------------------------------------------


def kappa_points(curves):
    """x = ln p, y = ln(-ln theta) - ln L and its error (docs/theory.md §10.4) for the points with
    0 < theta < 1; the error of theta is half the 95 % interval over 1.96."""
    inside = curves[(curves["theta"] > 0) & (curves["theta"] < 1)]
    theta = inside["theta"]
    theta_error = (inside["theta_high"] - inside["theta_low"]) / (2 * 1.96)
    y = np.log(-np.log(theta)) - np.log(inside["depth"])
    return inside, np.log(inside["p"]), y, theta_error / (theta * -np.log(theta))


def line_fit(x, y, sigma):
    """Weighted least-squares line (numpy.polyfit, weights 1/sigma): slope, intercept and the
    slope's standard error from sigma."""
    (slope, intercept), covariance = np.polyfit(x, y, 1, w=1 / sigma, cov="unscaled")
    return slope, intercept, np.sqrt(covariance[0, 0])


def draw_kappa_width(context, ax, width, inside, x, y, sigma):
    """Points of one width (marker per depth) and their fitted line; returns (slope, error)."""
    colour = context.width_colours[width]
    for depth in np.unique(inside["depth"]):
        at = inside["depth"] == depth
        ax.plot(x[at], y[at], context.depth_markers[depth], color=colour, ms=3.5, alpha=0.8)
    slope, intercept, error = line_fit(x, y, sigma)
    ends = np.array([x.min(), x.max()])
    ax.plot(ends, slope * ends + intercept, color=colour, lw=1.5,
            label=f"W = {width}: slope {with_error(slope, error)}")
    return slope, error


def draw_kappa_law(context, ax, slopes, parameters):
    """Per-width slopes against W on log-log axes, and the fitted c W^kappa."""
    widths = sorted(slopes)
    for width in widths:
        ax.errorbar(width, slopes[width][0], yerr=slopes[width][1], fmt="o", ms=6,
                    color=context.width_colours[width])
    kappa, c = parameters["kappa"], parameters["c"]
    grid = np.geomspace(widths[0] / 1.2, widths[-1] * 1.2, 50)
    ax.plot(grid, c["value"] * grid ** kappa["value"], **EXACT_STYLE,
            label=rf"$c\,W^\kappa$: κ = {with_error(kappa['value'], kappa['error'])}, "
                  f"c = {with_error(c['value'], c['error'])}")
    plain_log_y(ax)
    size_ticks(ax, widths)
    ax.set(xlabel="width W", ylabel=r"slope $s_W$ of $\ln(-\ln\theta) - \ln L$ vs $\ln p$",
           title="slopes against width")
    ax.legend(fontsize="small")


def plot_kappa(context, name):
    """<name>.png: the two steps of the kappa fit `name` (docs/theory.md §10.4)."""
    match = KAPPA_FIT.match(name)
    parameters = fit_parameters(context.analysis["fits"], name)
    model = parameters["kappa"]["model"]
    curves = context.analysis["curves"]
    rows = curves[(curves["model"] == model) & (curves["spanning"] == match["spanning"])]
    fig, (per_width, law) = panels(2)
    slopes = {}
    for (width,), at_width in groups(rows, "width"):
        inside, x, y, sigma = kappa_points(at_width)
        if len(x) >= 2:
            slopes[width] = draw_kappa_width(context, per_width, width, inside, x, y, sigma)
    depths = np.unique(rows["depth"]).tolist()
    markers = [Line2D([], [], ls="none", marker=context.depth_markers[d], color="0.4",
                      label=f"L = {d}") for d in depths]
    per_width.set(xlabel=r"$\ln p$", ylabel=r"$\ln(-\ln\theta) - \ln L$",
                  title="per width: points with 0 < θ < 1 and weighted lines")
    legend(per_width, markers)
    draw_kappa_law(context, law, slopes, parameters)
    fig.suptitle(rf"Critical-width exponent: {model} dropout, {match['spanning']} spanning,"
                 r" $\ln(-\ln\theta) - \ln L = c\,W^\kappa \ln p + d_W$")
    return save(context, fig, name)


def plot_kappa_fits(context):
    """One figure per kappa fit of /analysis/fits."""
    names = sorted({name for name in context.analysis["fits"]["fit"] if KAPPA_FIT.match(name)})
    if not names:
        note("kappa", "no kappa fits (they need thresholds tasks of at least 2 widths)")
    return [plot_kappa(context, name) for name in names]


# (d) p_1/2 against depth ------------------------------------------------------------------------


def plot_p_half(context):
    """p_half_<model>.png: one panel per kind of spanning, one series per width."""
    thresholds = context.analysis["thresholds"]
    if not thresholds.size:
        note("p_1/2", "no thresholds tasks in the job (/analysis/thresholds is empty)")
        return []
    paths = []
    for (model,), rows in groups(thresholds, "model"):
        by_spanning = groups(rows, "spanning")
        fig, axes = panels(len(by_spanning), sharey=True)
        for ax, ((spanning,), at) in zip(axes, by_spanning):
            for (width,), series in groups(at, "width"):
                series = np.sort(series, order="depth")
                colour = context.width_colours[width]
                ax.errorbar(series["depth"], series["p_half"], yerr=series["p_half_error"],
                            fmt="o", ms=5, capsize=3, color=colour, label=f"W = {width}")
                ax.plot(series["depth"], series["p_half_exact"], color=colour, lw=1.2, ls="--")
            size_ticks(ax, np.unique(at["depth"]).tolist())
            ax.set(xlabel="depth L (hidden layers)", ylabel=r"$p_{1/2}$ where θ = 1/2",
                   title=f"{spanning} spanning")
            extra = []
            if np.isfinite(at["p_half_exact"]).any():
                extra.append(Line2D([], [], ls="--", label=r"exact $p_{1/2}$", **EXACT_STYLE))
            legend(ax, extra)
        fig.suptitle(f"Threshold $p_{{1/2}}$ against depth: {model} dropout "
                     f"(bars: bootstrap ±1σ)")
        paths.append(save(context, fig, f"p_half_{model}"))
    return paths


# (e) training -----------------------------------------------------------------------------------


def variant_label(rows, bias, activation):
    """", bias, tanh" when the tasks `rows` differ in bias or activation, else ""."""
    if len(set(zip(rows["bias"].tolist(), rows["activation"].tolist()))) < 2:
        return ""
    return f", {'bias' if bias else 'no bias'}, {activation}"


def plot_training_points(context):
    """training_<model>.png: final test loss and zero-gradient fraction against exact theta."""
    training = context.analysis["training"]
    if not training.size:
        note("training", "no training tasks in the job (/analysis/training is empty)")
        return []
    paths = []
    for (model,), rows in groups(training, "model"):
        fig, (loss_ax, zero_ax) = panels(2, sharex=True)
        variants = sorted(set(zip(rows["bias"].tolist(), rows["activation"].tolist())))
        for (width, depth, bias, activation), series in groups(
                rows, "width", "depth", "bias", "activation"):
            series = np.sort(series, order="theta")
            style = dict(color=context.width_colours[width], marker=context.depth_markers[depth],
                         ms=5, lw=0.8, capsize=2,
                         ls=LINE_STYLES[variants.index((bias, activation)) % len(LINE_STYLES)])
            label = f"W = {width}, L = {depth}" + variant_label(rows, bias, activation)
            loss_ax.errorbar(series["theta"], series["test_loss"], yerr=series["test_loss_error"],
                             label=label, **style)
            zero_ax.errorbar(series["theta"], series["zero_gradient_fraction"],
                             yerr=series["zero_gradient_error"], **style)
        theta = np.linspace(0, 1, 101)
        zero_ax.plot(theta, 1 - theta, ls="--", label="1 − θ", **EXACT_STYLE)
        loss_ax.set(xlabel="exact spanning probability θ", ylabel="final test loss (no dropout)",
                    title="test loss (mean ± s.e. over replicas)")
        zero_ax.set(xlabel="exact spanning probability θ",
                    ylabel="fraction of samples with zero gradient",
                    title="zero-gradient fraction (mean ± s.e.)", ylim=(-0.03, 1.03))
        legend(loss_ax)
        legend(zero_ax)
        fig.suptitle(f"Training against θ: {model} dropout")
        paths.append(save(context, fig, f"training_{model}"))
    return paths


def replica_mean(matrix):
    """Mean over replicas (axis 0) of the finite entries, NaN where a step has none (runs that
    stopped early are padded with NaN)."""
    finite = np.isfinite(matrix)
    counts = finite.sum(axis=0)
    sums = np.where(finite, matrix, 0).sum(axis=0)
    return np.divide(sums, counts, out=np.full(sums.shape, np.nan), where=counts > 0)


def spans_decade(arrays):
    """Whether the positive finite values in `arrays` range over more than a factor of 10."""
    values = np.concatenate(arrays)
    values = values[np.isfinite(values) & (values > 0)]
    return values.size > 0 and values.max() > 10 * values.min()


def plot_loss_curves(context):
    """loss_curves_<model>.png: per-step batch loss of every training task, one panel per depth,
    colour by width, line style by p; log y axis when the losses span more than a decade."""
    training = context.analysis["training"]
    if not training.size:
        note("loss curve", "no training tasks in the job (/analysis/training is empty)")
        return []
    paths = []
    for (model,), rows in groups(training, "model"):
        p_values = sorted(set(rows["p"].tolist()))
        by_depth = groups(rows, "depth")
        fig, axes = panels(len(by_depth), sharey=True)
        means = []
        for ax, ((depth,), at_depth) in zip(axes, by_depth):
            for row in np.sort(at_depth, order=["width", "p", "bias", "activation"]):
                task = dropperc_h5.load_task(context.path, row["task"])
                means.append(replica_mean(task["loss"]))
                ax.plot(task["step"], means[-1], lw=1,
                        color=context.width_colours[row["width"]],
                        ls=LINE_STYLES[p_values.index(row["p"]) % len(LINE_STYLES)],
                        label=f"W = {row['width']}, p = {row['p']:.3g}"
                              + variant_label(rows, row["bias"], row["activation"]))
            ax.set(xlabel="SGD step", ylabel="batch loss under dropout",
                   title=f"depth L = {depth}")
            legend(ax, ncol=2 if len(at_depth) > 6 else 1)
        if spans_decade(means):
            plain_log_y(axes[0])
        fig.suptitle(f"Loss curves: {model} dropout (mean over replicas)")
        paths.append(save(context, fig, f"loss_curves_{model}"))
    return paths


# ------------------------------------------------------------------------------------------------

FIGURES = (plot_theta_curves, plot_collapses, plot_kappa_fits, plot_p_half, plot_training_points,
           plot_loss_curves)


def parse_arguments(argv):
    parser = argparse.ArgumentParser(
        description="Draw the figures (PNG) of a merged job file analysed by `dropperc analyze`.")
    parser.add_argument("file", help="the merged job file, <output>/<name>.h5")
    parser.add_argument("--out", default="figures", help="output directory (default: figures)")
    return parser.parse_args(argv)


def main(argv=None):
    """Draws every figure; returns the exit code (0, or 2 with a message on stderr)."""
    arguments = parse_arguments(argv)
    try:
        analysis = dropperc_h5.load_analysis(arguments.file)
        os.makedirs(arguments.out, exist_ok=True)
        context = make_context(arguments.file, analysis, arguments.out)
        written = [path for draw in FIGURES for path in draw(context)]
    except (dropperc_h5.DroppercFileError, OSError) as error:
        print(f"plot_all: {error}", file=sys.stderr)
        return 2
    print(f"plot_all: wrote {len(written)} figures:")
    for path in written:
        print(f"  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
