#!/usr/bin/python3
"""Draws every figure of an analysed merged job file (`dropperc run`, then `dropperc analyze`).

  plot_all.py JOB.h5 [--out DIR]        PNGs into DIR (default: figures), created if missing

Figures, one file each (<model> as in task names, e.g. site, bond, sitebond, lattice_site):
  theta_<model>_<spanning>.png   theta(p) from /analysis/curves, one panel per depth, points with
                                 their 95 % Clopper-Pearson band per width, exact theta as a line;
                                 2D lattices (spanning top-bottom): one panel, theta(q) per size L
  <collapse fit>.png             theta against (p - p_c) S^b with the fitted p_c, b (title: values,
                                 bootstrap errors, Houdayer-Hartmann quality Q)
  collapse_lattice_<model>_Lmin<L>.png
                                 2D lattice: theta against (q - p_c) L^b for the sizes >= L_min
                                 with the fitted p_c, nu = 1/b against the published values, and
                                 theta(q) uncollapsed near the crossing
  kappa_<model>_<spanning>.png   ln(-ln theta) - ln L against ln p per width with its line, and the
                                 per-width slopes against W (log-log) with the fitted c W^kappa,
                                 the same fit on exact theta and the local exponents; theta of
                                 every task against x = ln L + c W^kappa ln p and exp(-e^x)
  p_half_<model>.png             p_1/2 against depth per width, bootstrap error bars, exact p_1/2;
                                 2D lattices: q_1/2 against L with the published p_c
  training_<model>.png           zero-gradient fraction, final test loss and accuracy against
                                 exact theta
  loss_curves_<model>.png        batch loss under dropout per step, mean over replicas, per task
  steps_to_target_<model>.png    steps to the target loss against exact theta per (bias,
                                 activation), with the fitted T0 theta^-gamma and T0 / theta
  critical_<model>_<spanning>_keep_a<a>[_in<k>].png
                                 DropConnect at keep fraction c/W (a keep law): theta(c) per
                                 width, theta W^a against (c - c_c) W^b with the widest fit, and
                                 the fitted c_c, b, a against W_min with mean field
  extinction_depth_<model>_a<a>[_in<k>].png
                                 mean extinction depth against W per keep scale c, with the fitted
                                 power law and the same fit on the exact chain

Every figure reads what a fit is from the columns of /analysis/fits and draws what analyze stored
(collapse points, kappa lines); nothing is fitted here. Fits that are not results (column valid,
docs/theory.md §10.8) are drawn hollow and faded, with "(not a result: reason)".
A figure with nothing to draw is skipped with a note on stdout, and so is every fit of
/analysis/fits that no figure draws (e.g. a kind of fit newer than this script). Colours mean the
same width, and marker shapes the same depth, in every figure; 2D lattice sizes have colours of
their own.
Prints the files written.
Exit codes: 0 drawn; 2 missing or unreadable file, or no /analysis (run dropperc analyze first).
"""
import argparse
import collections
import os
import sys
import textwrap

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402 (after choosing the backend)
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FormatStrFormatter, LogFormatter, NullFormatter  # noqa: E402
import numpy as np  # noqa: E402

import dropperc_h5  # noqa: E402

DPI = 130
PANEL_SIZE = (4.8, 3.9)  # inches per panel
MARKERS = "osD^vPX*<>"
LINE_STYLES = ("-", "--", ":", "-.")
EXACT_STYLE = {"color": "0.2", "lw": 1.2}
BAND_ALPHA = 0.25
# A fit that is not a result (docs/theory.md §10.8): hollow faded markers, grey lines.
INVALID_COLOUR = "0.6"
INVALID_ALPHA = 0.6
DRAWN_FAMILIES = ("threshold", "collapse", "lattice_collapse", "kappa", "keep_collapse",
                  "theta_at_keep_1", "extinction_depth", "steps_to_target", "survival")
LATTICE_PREFIX = "lattice_"  # model of the 2D square-lattice tasks: lattice_site, lattice_bond

# What every figure is drawn from: the file, its /analysis (dropperc_h5.load_analysis), the
# output directory, and the styles shared by all figures (width -> colour, depth -> marker and
# depth -> colour for collapses over depth, all of layered networks; 2D lattice size -> colour).
Context = collections.namedtuple(
    "Context", "path analysis out width_colours depth_markers depth_colours lattice_colours")


def note(figure, reason):
    """Tells that `figure` is skipped and why."""
    print(f"plot_all: no {figure} figure: {reason}")


def groups(table, *fields):
    """[(key, rows)] for each distinct combination `key` (a tuple) of the values of `fields` in the
    structured array `table`, keys in ascending order."""
    keys = sorted(set(zip(*(table[field].tolist() for field in fields))))
    return [(key, table[np.logical_and.reduce([table[f] == v for f, v in zip(fields, key)])])
            for key in keys]


def lattice_mask(table):
    """Boolean mask of the rows of `table` that belong to 2D lattice tasks (model lattice_*)."""
    return np.array([m.startswith(LATTICE_PREFIX) for m in table["model"].tolist()], dtype=bool)


def all_values(analysis, field, lattice):
    """Sorted distinct values of `field` over the tables curves, thresholds and training, in the
    rows of 2D lattice tasks if `lattice`, else in the others."""
    return sorted({v for name in ("curves", "thresholds", "training")
                   for v in analysis[name][lattice_mask(analysis[name]) == lattice][field]
                   .tolist()})


def rank_colours(values):
    """value -> colour by rank with tab10 (tab20 past 10 values)."""
    colour_map = matplotlib.colormaps["tab10" if len(values) <= 10 else "tab20"]
    return {v: colour_map(i % colour_map.N) for i, v in enumerate(values)}


def make_context(path, analysis, out):
    """The Context of one file: widths coloured by rank with tab10 (tab20 past 10 widths), depths
    given markers by rank and colours from viridis; 2D lattice sizes coloured by rank apart."""
    widths, depths = all_values(analysis, "width", False), all_values(analysis, "depth", False)
    depth_map = matplotlib.colormaps["viridis"]
    return Context(
        path=path, analysis=analysis, out=out,
        width_colours=rank_colours(widths),
        depth_markers={d: MARKERS[i % len(MARKERS)] for i, d in enumerate(depths)},
        depth_colours={d: depth_map(0.9 * i / max(1, len(depths) - 1))
                       for i, d in enumerate(depths)},
        lattice_colours=rank_colours(all_values(analysis, "width", True)))


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
    return "".join(c for c in name if c.isascii() and (c.isalnum() or c in "_.-"))


def canonical_number(value):
    """A number as dropperc writes it in names: the shortest round-trip form, with at least three
    decimals unless it has an exponent (2 -> 2.000, 0.25 -> 0.250)."""
    text = repr(float(value))
    if "e" in text:
        return text
    decimals = len(text) - text.index(".") - 1
    return text + "0" * max(0, 3 - decimals)


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
    """The rows of fit `name` in /analysis/fits as a dict: parameter -> row (in table order)."""
    return {row["parameter"]: row for row in fits[fits["fit"] == name]}


def fit_names(fits, family):
    """The names of the fits of `family` (the column family of /analysis/fits), sorted."""
    return sorted(set(fits[fits["family"] == family]["fit"].tolist()))


def first_row(fits, name):
    """The first row of fit `name`: its columns that say what it is and its verdict."""
    return fits[fits["fit"] == name][0]


def fit_tasks(analysis, name):
    """The names of the tasks that fit `name` used (/analysis/fit_tasks)."""
    table = analysis["fit_tasks"]
    return set(table[table["fit"] == name]["task"].tolist())


def is_result(row):
    """Whether the fit of a fits row is a result (its verdict, docs/theory.md §10.8)."""
    return bool(row["valid"])


def threshold_is_result(fits, task, spanning):
    """Whether the p_half of `task` for `spanning` is a result: its fit "<task>/<spanning>" in
    /analysis/fits is valid (docs/theory.md §10.8); one without a fits row counts as a result."""
    return all(is_result(row) for row in fits[fits["fit"] == f"{task}/{spanning}"])


def verdict_note(row, width=80):
    """"" for a result, else "\n(not a result: <reason>)" wrapped to lines of `width`."""
    if is_result(row):
        return ""
    return "\n" + textwrap.fill(f"(not a result: {row['reason']})", width)


def fit_style(row, colour):
    """Marker colours of the points of a fit: `colour`, or hollow markers edged in it, faded, if
    the fit is not a result."""
    if is_result(row):
        return {"color": colour}
    return {"color": colour, "markerfacecolor": "none", "alpha": INVALID_ALPHA}


def line_colour(row, colour):
    """The colour of a line a fit drew: `colour`, or grey if the fit is not a result."""
    return colour if is_result(row) else INVALID_COLOUR


def known_value(row):
    """The `exact` column of a fits row (published value, or the fit on exact theta); NaN where
    none is known or the file predates the column."""
    return float(row["exact"]) if "exact" in row.dtype.names else np.nan


def parameter_text(symbol, row, known="exact"):
    """"b = 0.7357 ± 0.0035" from a fits row, then " (published 0.75, -4.2σ)" where the row has a
    known value (`known` names it)."""
    text = f"{symbol} = {with_error(row['value'], row['error'])}"
    exact = known_value(row)
    if np.isfinite(exact):
        deviation = (row["value"] - exact) / row["error"] if row["error"] > 0 else np.nan
        text += f" ({known} {exact:.6g}" + (f", {deviation:+.1f}σ)" if np.isfinite(deviation)
                                             else ")")
    return text


def legend(ax, extra=(), **options):
    """A legend of the labelled artists of `ax`, then the proxy handles `extra`."""
    handles, _ = ax.get_legend_handles_labels()
    ax.legend(handles=handles + list(extra), fontsize="small", **options)


def legend_beside(fig, ax):
    """The legend of a one-panel figure at the right of its axes, clear of every point; the
    figure widened by the legend's measured width, so the axes keep their size."""
    legend(ax, loc="center left", bbox_to_anchor=(1.02, 0.5))
    fig.draw_without_rendering()
    width = ax.get_legend().get_window_extent().width / fig.dpi
    fig.set_figwidth(PANEL_SIZE[0] + width + 0.2)


def size_ticks(ax, sizes):
    """Log-scaled x axis with one plain tick per size (depth or width)."""
    ax.set_xscale("log")
    ax.set_xticks(sizes, labels=[str(s) for s in sizes])
    ax.xaxis.set_minor_formatter(NullFormatter())


def plain_log_y(ax):
    """Log-scaled y axis whose ticks read as plain numbers (0.5, 2, 30); minor ticks are all
    labelled over at most a decade, some (2, 5) over up to three, none over more."""
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(LogFormatter(labelOnlyBase=False, minor_thresholds=(3, 1)))


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
    """theta_<model>_<spanning>.png: one panel per depth, one curve per width; for a 2D lattice
    model one panel with a curve per size."""
    curves = context.analysis["curves"]
    if not curves.size:
        note("theta(p)", "no thresholds tasks in the job (/analysis/curves is empty)")
        return []
    paths = []
    for (model, spanning), rows in groups(curves, "model", "spanning"):
        if model.startswith(LATTICE_PREFIX):
            paths.append(plot_lattice_theta(context, model, spanning, rows))
            continue
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


def lattice_title(model):
    """"2D square lattice, site percolation" for the model lattice_site."""
    return f"2D square lattice, {model[len(LATTICE_PREFIX):]} percolation"


def plot_lattice_theta(context, model, spanning, rows):
    """theta_<model>_<spanning>.png of a 2D lattice model: theta(q) of every size L x L."""
    fig, (ax,) = panels(1)
    for (size,), curve in groups(rows, "width"):
        draw_theta_curve(ax, curve, context.lattice_colours[size], f"L = {size}")
    ax.set(xlabel="occupation probability q", ylabel="spanning probability θ",
           ylim=(-0.03, 1.03))
    legend(ax, [Patch(color="0.5", alpha=BAND_ALPHA, label="95 % interval")])
    ax.set_title(f"θ(q): {lattice_title(model)}, L × L,\n{spanning} crossing "
                 "(from per-sample thresholds)", fontsize="medium")
    return save(context, fig, f"theta_{model}_{spanning}")


# (b) collapses ----------------------------------------------------------------------------------


def error_bars(curve):
    """The asymmetric error bars of theta: to the ends of its 95 % interval."""
    return [curve["theta"] - curve["theta_low"], curve["theta_high"] - curve["theta"]]


def collapse_points(context, name):
    """The points of collapse fit `name` on its master curve (/analysis/collapse_points)."""
    points = context.analysis["collapse_points"]
    return points[points["fit"] == name]


def plot_collapse(context, name):
    """<name>.png: theta of the curves of collapse fit `name` against x = (p - p_c) S^b, the
    points as analyze stored them at the fitted parameters."""
    fits = context.analysis["fits"]
    parameters = fit_parameters(fits, name)
    p_c, b, about = parameters["p_c"], parameters["b"], first_row(fits, name)
    by_width = about["scaling"] == "width"
    colours = context.width_colours if by_width else context.depth_colours
    symbol = "W" if by_width else "L"
    points = collapse_points(context, name)
    fig, (ax,) = panels(1)
    for (size,), curve in groups(points, "size"):
        size = int(size)
        ax.errorbar(curve["x"], curve["y"], yerr=curve["error"], fmt="o", ms=3, elinewidth=0.7,
                    label=f"{symbol} = {size}", **fit_style(about, colours[size]))
    ax.set(xlabel=rf"$(p - p_c)\,{symbol}^{{b}}$", ylabel="spanning probability θ",
           ylim=(-0.03, 1.03))
    curves = context.analysis["curves"]
    depths = sorted(set(curves[np.isin(curves["task"], list(fit_tasks(context.analysis, name)))]
                        ["depth"].tolist()))
    if np.isfinite(about["fixed_size"]):
        where = f"at {'L' if by_width else 'W'} = {int(about['fixed_size'])}"
    elif np.isfinite(about["depth_scale"]):
        where = (f"with L = {', '.join(str(d) for d in depths)} "
                 f"(depth law, a = {canonical_number(about['depth_scale'])})")
    else:
        where = "with L tied to W"
    ax.set_title(f"{about['model']}, {about['spanning']}: collapse over {symbol} {where}\n"
                 f"{parameter_text('$p_c$', p_c)}, {parameter_text('b', b)}, "
                 f"Q = {p_c['quality']:.3g}" + verdict_note(about, 60), fontsize="medium")
    legend(ax)
    return save(context, fig, name)


def draw_p_c_lines(ax, p_c, symbol):
    """Vertical lines at the fitted p_c (with its ±1σ band) and at the published one, each where
    it is finite."""
    if np.isfinite(p_c["value"]):
        if np.isfinite(p_c["error"]):
            ax.axvspan(p_c["value"] - p_c["error"], p_c["value"] + p_c["error"], color="0.5",
                       alpha=BAND_ALPHA, lw=0)
        ax.axvline(p_c["value"], color=line_colour(p_c, "0.2"), lw=1,
                   label=f"fitted {symbol} (band ±1σ)")
    if np.isfinite(known_value(p_c)):
        ax.axvline(known_value(p_c), color="0.2", lw=1.2, ls="--",
                   label=f"published {symbol} = {known_value(p_c):.6g}")


def plot_lattice_collapse(context, name):
    """<name>.png for a 2D lattice collapse fit: theta against x = (q - p_c) L^b over the sizes
    L >= L_min (the stored points), and theta(q) of the same sizes near the crossing."""
    fits = context.analysis["fits"]
    parameters = fit_parameters(fits, name)
    p_c, b, nu = parameters["p_c"], parameters["b"], parameters["nu"]
    about = first_row(fits, name)
    model, l_min = about["model"], int(about["min_size"])
    curves = context.analysis["curves"]
    family = curves[np.isin(curves["task"], list(fit_tasks(context.analysis, name)))]
    by_size = groups(family, "width")
    sizes = [size for (size,), _ in by_size]
    fig, (collapsed, near) = panels(2)
    for (size,), points in groups(collapse_points(context, name), "size"):
        size = int(size)
        collapsed.errorbar(points["x"], points["y"], yerr=points["error"], fmt="o", ms=3,
                           elinewidth=0.7, label=f"L = {size}",
                           **fit_style(about, context.lattice_colours[size]))
    for (size,), curve in by_size:
        curve = np.sort(curve, order="p")
        near.errorbar(curve["p"], curve["theta"], yerr=error_bars(curve), fmt="o-", ms=3,
                      elinewidth=0.7, lw=0.8, color=context.lattice_colours[size])
    collapsed.axvline(0, color="0.6", lw=0.8, zorder=0)
    collapsed.set(xlabel=r"$(q - p_c)\,L^{b}$, fitted $p_c$ and $b = 1/\nu$",
                  ylabel="spanning probability θ", ylim=(-0.03, 1.03),
                  title=f"collapse over L = {', '.join(map(str, sizes))}")
    legend(collapsed)
    # Near the crossing: the q range of the largest size (its 5 % to 95 % quantiles), widened.
    largest = family[family["width"] == sizes[-1]]["p"] if sizes else np.array([0.0, 1.0])
    middle, half = (largest.max() + largest.min()) / 2, 0.6 * (largest.max() - largest.min())
    draw_p_c_lines(near, p_c, "$p_c$")
    near.set(xlim=(middle - half, middle + half), xlabel="occupation probability q",
             ylabel="spanning probability θ", ylim=(-0.03, 1.03),
             title="uncollapsed, near the crossing")
    legend(near)
    fig.suptitle(f"{lattice_title(model)}, top-bottom crossing: collapse over L ≥ {l_min}, "
                 f"quality Q = {p_c['quality']:.3g}{verdict_note(about)}\n"
                 f"{parameter_text('$p_c$', p_c, 'published')}\n"
                 f"{parameter_text('ν', nu, 'published')},   "
                 f"{parameter_text('b', b, 'published')}")
    return save(context, fig, name)


def plot_collapses(context):
    """One figure per collapse fit of /analysis/fits: of layered networks over width or depth,
    and of 2D lattices over the sizes from L_min up."""
    fits = context.analysis["fits"]
    layered, lattice = fit_names(fits, "collapse"), fit_names(fits, "lattice_collapse")
    if not layered and not lattice:
        note("collapse", "no collapse fits (they need 3 widths at one depth, 3 depths at one "
             "width or 3 lattice sizes)")
    return ([plot_collapse(context, name) for name in layered]
            + [plot_lattice_collapse(context, name) for name in lattice])


# (c) the critical-width exponent ----------------------------------------------------------------


def kappa_points(curves):
    """x = ln p, y = ln(-ln theta) - ln L and its error (docs/theory.md §10.4) for the points with
    0 < theta < 1; the error of theta is half the 95 % interval over 1.96."""
    inside = curves[(curves["theta"] > 0) & (curves["theta"] < 1)]
    theta = inside["theta"]
    theta_error = (inside["theta_high"] - inside["theta_low"]) / (2 * 1.96)
    y = np.log(-np.log(theta)) - np.log(inside["depth"])
    return inside, np.log(inside["p"]), y, theta_error / (theta * -np.log(theta))


def draw_kappa_width(context, ax, width, inside, x, y, line, about):
    """Points of one width (marker per depth) and the line analyze fitted to them (§10.4)."""
    colour = context.width_colours[width]
    for depth in np.unique(inside["depth"]):
        at = inside["depth"] == depth
        ax.plot(x[at], y[at], context.depth_markers[depth], ms=3.5,
                **dict({"alpha": 0.8}, **fit_style(about, colour)))
    ends = np.array([line["ln_p_low"], line["ln_p_high"]])
    ax.plot(ends, line["slope"] * ends + line["intercept"], color=line_colour(about, colour),
            lw=1.5,
            label=f"W = {width}: slope {with_error(line['slope'], line['slope_error'])}")


def draw_kappa_law(context, ax, slopes, parameters):
    """Per-width slopes against W on log-log axes, the fitted c W^kappa, the same law fitted to
    exact theta where known, and the local exponents between consecutive widths."""
    widths = sorted(slopes)
    kappa, c = parameters["kappa"], parameters["c"]
    for width in widths:
        ax.errorbar(width, slopes[width][0], yerr=slopes[width][1], fmt="o", ms=6,
                    **fit_style(kappa, context.width_colours[width]))
    grid = np.geomspace(widths[0] / 1.2, widths[-1] * 1.2, 50)
    ax.plot(grid, c["value"] * grid ** kappa["value"],
            **dict(EXACT_STYLE, color=line_colour(kappa, EXACT_STYLE["color"])),
            label=rf"$c\,W^\kappa$: κ = {with_error(kappa['value'], kappa['error'])}, "
                  f"c = {with_error(c['value'], c['error'])}" + verdict_note(kappa, 50))
    if np.isfinite(known_value(kappa)) and np.isfinite(known_value(c)):
        ax.plot(grid, known_value(c) * grid ** known_value(kappa), color="tab:red", lw=1,
                ls="--", label=f"fit on exact θ: κ = {known_value(kappa):.5g}, "
                               f"c = {known_value(c):.5g}")
    draw_local_exponents(ax, slopes, parameters)
    plain_log_y(ax)
    size_ticks(ax, widths)
    ax.set(xlabel="width W", ylabel=r"slope $s_W$ of $\ln(-\ln\theta) - \ln L$ vs $\ln p$",
           title="slopes against width")
    ax.legend(fontsize="small", loc="upper left")


def draw_local_exponents(ax, slopes, parameters):
    """Next to the segment between consecutive widths a and b, the local exponent
    ln(s_b / s_a) / ln(b / a) (the fit's parameters after kappa and c, in width order) with its
    error and, where known, its value on exact theta."""
    widths = sorted(slopes)
    local = list(parameters.values())[2:]
    if len(local) != len(widths) - 1:
        return  # a width without a slope: the local exponents are NaN
    for a, b, row in zip(widths, widths[1:], local):
        if not np.isfinite(row["value"]):
            continue
        text = f"κ$_{{{a},{b}}}$ = {with_error(row['value'], row['error'])}"
        if np.isfinite(known_value(row)):
            text += f"\n(exact θ: {known_value(row):.4g})"
        ax.annotate(text, (np.sqrt(a * b), np.sqrt(slopes[a][0] * slopes[b][0])),
                    xytext=(6, -6), textcoords="offset points", ha="left", va="top",
                    fontsize="x-small", color="0.25")


def draw_kappa_collapse(context, ax, name, about):
    """θ of every task against x = ln L + c W^kappa ln p with the fitted c and kappa (the points
    analyze stored), and the master curve exp(-e^x) that site's (1 - p^W)^L approaches
    (docs/theory.md §10.4)."""
    points = collapse_points(context, name)
    depths = {}
    curves = context.analysis["curves"]
    for task, depth in zip(curves["task"].tolist(), curves["depth"].tolist()):
        depths[task] = depth
    for task in sorted(set(points["task"].tolist())):
        at = points[points["task"] == task]
        ax.errorbar(at["x"], at["y"], yerr=at["error"], fmt=context.depth_markers[depths[task]],
                    ms=3, elinewidth=0.6,
                    **fit_style(about, context.width_colours[int(at["size"][0])]))
    grid = np.linspace(*ax.get_xlim(), 200)
    ax.plot(grid, np.exp(-np.exp(grid)), **EXACT_STYLE, label=r"$\exp(-e^{x})$")
    ax.set(xlabel=r"$x = \ln L + c\,W^\kappa \ln p$", ylabel="spanning probability θ",
           ylim=(-0.03, 1.03), title="collapse in x")
    legend(ax)


def plot_kappa(context, name):
    """<name>.png: the two steps of the kappa fit `name` (docs/theory.md §10.4), as analyze
    fitted them: per-width lines (/analysis/kappa_slopes) and the law of their slopes."""
    fits = context.analysis["fits"]
    parameters = fit_parameters(fits, name)
    about = first_row(fits, name)
    model = about["model"]
    curves = context.analysis["curves"]
    rows = curves[np.isin(curves["task"], list(fit_tasks(context.analysis, name)))
                  & (curves["spanning"] == about["spanning"])]
    lines = context.analysis["kappa_slopes"]
    lines = {int(line["width"]): line for line in lines[lines["fit"] == name]}
    fig, (per_width, law, collapse) = panels(3)
    for (width,), at_width in groups(rows, "width"):
        if width in lines:
            inside, x, y, _ = kappa_points(at_width)
            draw_kappa_width(context, per_width, width, inside, x, y, lines[width], about)
    slopes = {w: (line["slope"], line["slope_error"]) for w, line in lines.items()}
    depths = np.unique(rows["depth"]).tolist()
    markers = [Line2D([], [], ls="none", marker=context.depth_markers[d], color="0.4",
                      label=f"L = {d}") for d in depths]
    per_width.set(xlabel=r"$\ln p$", ylabel=r"$\ln(-\ln\theta) - \ln L$",
                  title="per width: points with 0 < θ < 1 and weighted lines")
    legend(per_width, markers)
    if slopes:
        draw_kappa_law(context, law, slopes, parameters)
    if collapse_points(context, name).size:
        draw_kappa_collapse(context, collapse, name, about)
    quality = parameters["kappa"]["quality"]
    fig.suptitle(rf"Critical-width exponent: {model} dropout, {about['spanning']} spanning,"
                 r" $\ln(-\ln\theta) - \ln L = c\,W^\kappa \ln p + d_W$"
                 + verdict_note(about)
                 + ("\n" + rf"θ against $x = \ln L + c\,W^\kappa \ln p$ over every task: "
                    f"collapse quality Q = {quality:.3g}" if np.isfinite(quality) else ""))
    return save(context, fig, name)


def plot_kappa_fits(context):
    """One figure per kappa fit of /analysis/fits."""
    names = fit_names(context.analysis["fits"], "kappa")
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
        if model.startswith(LATTICE_PREFIX):
            paths.append(plot_lattice_p_half(context, model, rows))
            continue
        by_spanning = groups(rows, "spanning")
        fig, axes = panels(len(by_spanning), sharey=True)
        for ax, ((spanning,), at) in zip(axes, by_spanning):
            for (width,), series in groups(at, "width"):
                series = np.sort(series, order="depth")
                colour = context.width_colours[width]
                results = np.array([threshold_is_result(context.analysis["fits"], task, spanning)
                                    for task in series["task"]])
                for drawn, style in ((results, {"color": colour}),
                                     (~results, {"color": colour, "markerfacecolor": "none",
                                                 "alpha": INVALID_ALPHA})):
                    if drawn.any():
                        ax.errorbar(series["depth"][drawn], series["p_half"][drawn],
                                    yerr=series["p_half_error"][drawn], fmt="o", ms=5, capsize=3,
                                    label=f"W = {width}" + ("" if drawn is results
                                                            else " (hollow: not a result)"),
                                    **style)
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


def published_p_c(fits, model):
    """The published p_c of a 2D lattice model: the exact column of its collapse fits; NaN if
    there are none or it is unknown."""
    rows = fits[(fits["model"] == model) & (fits["parameter"] == "p_c")]
    known = [known_value(row) for row in rows if row["family"] == "lattice_collapse"]
    known = [value for value in known if np.isfinite(value)]
    return known[0] if known else np.nan


def plot_lattice_p_half(context, model, rows):
    """p_half_<model>.png of a 2D lattice model: q_1/2 against L, the exact q_1/2 where known
    (bond: 1/2 at every L by self-duality) and the published p_c."""
    fig, (ax,) = panels(1)
    rows = np.sort(rows, order="width")
    for row in rows:
        ax.errorbar(row["width"], row["p_half"], yerr=row["p_half_error"], fmt="o", ms=5,
                    capsize=3, color=context.lattice_colours[row["width"]],
                    label=f"L = {row['width']}")
    sizes = rows["width"].tolist()
    p_c = published_p_c(context.analysis["fits"], model)
    exact = rows["p_half_exact"]
    if np.isfinite(exact).any():
        same = np.isfinite(p_c) and np.allclose(exact, p_c)
        ax.plot(sizes, exact, ls="--", **EXACT_STYLE,
                label=r"exact $q_{1/2}$" + (r" = published $p_c$" if same else ""))
        if same:
            p_c = np.nan
    if np.isfinite(p_c):
        ax.axhline(p_c, ls=":", label=f"published $p_c$ = {p_c:.6g}", **EXACT_STYLE)
    size_ticks(ax, sizes)
    ax.set(xlabel="lattice size L (L × L)", ylabel=r"$q_{1/2}$ where θ = 1/2")
    ax.set_title(f"Threshold $q_{{1/2}}$ against size (bars: bootstrap ±1σ)\n"
                 f"{lattice_title(model)}, {rows['spanning'][0]} crossing", fontsize="medium")
    legend(ax)
    return save(context, fig, f"p_half_{model}")


# (e) training -----------------------------------------------------------------------------------


def variant_label(rows, bias, activation):
    """", bias, tanh" when the tasks `rows` differ in bias or activation, else ""."""
    if len(set(zip(rows["bias"].tolist(), rows["activation"].tolist()))) < 2:
        return ""
    return f", {'bias' if bias else 'no bias'}, {activation}"


def plot_training_points(context):
    """training_<model>.png: zero-gradient fraction, final test loss and (classification) test
    accuracy against exact theta. A series per (W, L, bias, activation): with one width, colour
    tells the variant (bias, activation) and line style nothing; with several, colour tells the
    width and line style the variant. Markers tell the depth. Loss on a log axis when it spans
    more than two decades. Means over the replicas that did not diverge (/analysis/training)."""
    training = context.analysis["training"]
    if not training.size:
        note("training", "no training tasks in the job (/analysis/training is empty)")
        return []
    paths = []
    for (model,), rows in groups(training, "model"):
        accuracy = np.isfinite(rows["test_accuracy"]).any()
        fig, axes = panels(3 if accuracy else 2, sharex=True)
        zero_ax, loss_ax = axes[0], axes[1]
        variants = sorted(set(zip(rows["bias"].tolist(), rows["activation"].tolist())))
        one_width = len(set(rows["width"].tolist())) == 1
        for (width, depth, bias, activation), series in groups(
                rows, "width", "depth", "bias", "activation"):
            series = np.sort(series, order="theta")
            variant = variants.index((bias, activation))
            style = dict(color=f"C{variant}" if one_width else context.width_colours[width],
                         marker=context.depth_markers[depth], ms=5, lw=0.8, capsize=2,
                         ls="-" if one_width else LINE_STYLES[variant % len(LINE_STYLES)])
            for ax, field in zip(axes, ("zero_gradient", "test_loss", "test_accuracy")):
                column = "zero_gradient_fraction" if field == "zero_gradient" else field
                ax.errorbar(series["theta"], series[column], yerr=series[f"{field}_error"],
                            **style)
        theta = np.linspace(0, 1, 101)
        zero_ax.plot(theta, 1 - theta, ls="--", **EXACT_STYLE)
        losses = rows["test_loss"][np.isfinite(rows["test_loss"]) & (rows["test_loss"] > 0)]
        if losses.size and losses.max() > 100 * losses.min():
            plain_log_y(loss_ax)
        zero_ax.set(xlabel="exact spanning probability θ",
                    ylabel="fraction of samples with zero gradient",
                    title="zero-gradient fraction (dashed: 1 − θ)", ylim=(-0.03, 1.03))
        loss_ax.set(xlabel="exact spanning probability θ", ylabel="final test loss (no dropout)",
                    title="test loss")
        if accuracy:
            axes[2].set(xlabel="exact spanning probability θ", ylabel="final test accuracy",
                        title="test accuracy")
        handles = [Line2D([], [], ls="none", marker=context.depth_markers[d], color="0.4",
                          label=f"L = {d}") for d in sorted(set(rows["depth"].tolist()))]
        for index, (bias, activation) in enumerate(variants):
            handles.append(Line2D([], [], color=f"C{index}" if one_width else "0.4",
                                  ls="-" if one_width else LINE_STYLES[index % len(LINE_STYLES)],
                                  label=f"{'biases' if bias else 'no biases'}, {activation}"))
        if not one_width:
            handles += [Patch(color=context.width_colours[w], label=f"W = {w}")
                        for w in sorted(set(rows["width"].tolist()))]
        axes[-1].legend(handles=handles, loc="center left", bbox_to_anchor=(1.02, 0.5),
                        fontsize="small")
        fig.suptitle(f"Training against θ: {model} dropout (mean ± s.e. over the replicas that "
                     "did not diverge)")
        paths.append(save(context, fig, f"training_{model}"))
    return paths


def plot_steps_to_target(context):
    """steps_to_target_<model>.png: steps to the target loss against exact theta, one series per
    fit (a bias and activation) with its fitted T0 theta^-gamma (line) and theta^-1 through the
    same T0 (dotted), docs/theory.md §10.5."""
    fits = context.analysis["fits"]
    names = fit_names(fits, "steps_to_target")
    paths = []
    training = context.analysis["training"]
    for model in sorted({first_row(fits, n)["model"] for n in names}):
        fig, (ax,) = panels(1)
        for index, name in enumerate(n for n in names if first_row(fits, n)["model"] == model):
            rows = training[np.isin(training["task"], list(fit_tasks(context.analysis, name)))
                            & np.isfinite(training["steps_to_target"])]
            rows = np.sort(rows, order="theta")
            bias, activation = int(rows["bias"][0]), rows["activation"][0]
            gamma, t0 = (fit_parameters(fits, name)[k] for k in ("gamma", "T0"))
            colour = f"C{index}"
            ax.errorbar(rows["theta"], rows["steps_to_target"], yerr=rows["steps_to_target_error"],
                        fmt="o", ms=4, capsize=3, **fit_style(gamma, colour),
                        label=f"{'biases' if bias else 'no biases'}, {activation}: "
                              + parameter_text("γ", gamma) + verdict_note(gamma, 50))
            theta = np.linspace(rows["theta"].min(), rows["theta"].max(), 50)
            line = colour if is_result(gamma) else INVALID_COLOUR
            ax.plot(theta, t0["value"] * theta ** -gamma["value"], color=line, lw=1)
            ax.plot(theta, t0["value"] / theta, color=line, lw=1, ls=":")
        ax.set_xscale("log")
        plain_log_y(ax)
        ax.set(xlabel="exact spanning probability θ", ylabel="steps to the target test loss",
               title=f"{model}: steps to target (mean ± s.e.)\n"
                     "lines: fitted T0 θ^-γ; dotted: T0 / θ")
        legend_beside(fig, ax)
        paths.append(save(context, fig, f"steps_to_target_{model}"))
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


# (g) DropConnect's critical point (docs/theory.md §10.7) ----------------------------------------


def input_suffix(row):
    """"_in<k>" for fits of networks fed by k input units (not the width), else "", as in names."""
    return f"_in{int(row['input_width'])}" if np.isfinite(row["input_width"]) else ""


def family_key(row):
    """(model, spanning, depth scale, input suffix): the family of a keep-law fit (§10.7)."""
    return (row["model"], row["spanning"], canonical_number(row["depth_scale"]), input_suffix(row))


def draw_critical_drift(ax, fits, names):
    """c_c, b and a of the collapses `names` against their W_min, with mean field as lines;
    hollow grey markers for the fits that are not results."""
    w_min = [int(first_row(fits, n)["min_size"]) for n in names]
    for symbol, colour in (("c_c", "C0"), ("b", "C1"), ("a", "C2")):
        rows = [fit_parameters(fits, n)[symbol] for n in names]
        ax.plot(w_min, [r["value"] for r in rows], "-", color=colour, lw=1)
        for x, r in zip(w_min, rows):
            ax.errorbar(x, r["value"], yerr=r["error"], fmt="o", ms=4, capsize=3,
                        **fit_style(r, colour))
        ax.plot([], [], "o-", color=colour, label=symbol)
        if np.isfinite(known_value(rows[0])):
            ax.axhline(known_value(rows[0]), color=colour, ls="--", lw=1)
    invalid = [n for n in names if not is_result(first_row(fits, n))]
    size_ticks(ax, sorted(set(w_min)))
    ax.set(xlabel=r"smallest width $W_{min}$ of the fit", ylabel="fitted value",
           title="fits over W ≥ W_min (dashed: mean field)"
                 + ("\nhollow: not a result" if invalid else ""))
    legend(ax)


def plot_critical(context, key, names):
    """critical_<model>_<spanning>_keep_a<a>[_in<k>].png: theta(c) per width, the collapse
    theta W^a against (c - c_c) W^b of the widest family (the points analyze stored), and the
    fitted values against W_min."""
    model, spanning, scale, suffix = key
    fits = context.analysis["fits"]
    names = sorted(names, key=lambda n: first_row(fits, n)["min_size"])
    parameters, about = fit_parameters(fits, names[0]), first_row(fits, names[0])
    points = collapse_points(context, names[0])
    fig, (raw, collapse, drift) = panels(3)
    widths = sorted({int(w) for w in points["size"].tolist()})
    colours = rank_colours(widths)
    for (width,), at in groups(points, "size"):
        width = int(width)
        order = np.argsort(at["p"])
        at = at[order]
        error = at["error"] / width ** parameters["a"]["value"]  # back from y = theta W^a
        raw.errorbar(at["p"], at["value"], yerr=error, fmt="o", ms=3, elinewidth=0.7,
                     color=colours[width], label=f"W = {width}")
        collapse.errorbar(at["x"], at["y"], yerr=at["error"], fmt="o", ms=3, elinewidth=0.7,
                          **fit_style(about, colours[width]))
    raw.axvline(1.0, **EXACT_STYLE, ls=":")
    raw.set(xlabel="keep scale c (keep fraction c / W)", ylabel="spanning probability θ",
            title=f"θ(c), L = {float(scale):g} W^(1/2)")
    legend(raw)
    collapse.set(xlabel=r"$(c - c_c)\,W^{b}$", ylabel=r"$\theta\,W^{a}$",
                 title=f"W ≥ {int(about['min_size'])}: Q = "
                       f"{parameters['c_c']['quality']:.3g}" + verdict_note(about, 50))
    draw_critical_drift(drift, fits, names)
    title = (f"DropConnect at keep fraction c/W: {model}, {spanning}, "
             f"{'one input unit' if suffix == '_in1' else 'input ' + (suffix or 'W')}\n"
             f"{parameter_text('$c_c$', parameters['c_c'], 'mean field')}, "
             f"{parameter_text('b', parameters['b'], 'mean field')}, "
             f"{parameter_text('a', parameters['a'], 'mean field')}")
    at_one = [n for n in fit_names(fits, "theta_at_keep_1")
              if family_key(first_row(fits, n)) == key]
    if at_one:
        exponent = fit_parameters(fits, at_one[0])["exponent"]
        title += ("\nθ(c = 1) ∝ W^-x: " + parameter_text("x", exponent, "exact chain")
                  + verdict_note(exponent))
    fig.suptitle(title)
    return save(context, fig, f"critical_{model}_{spanning}_keep_a{scale}{suffix}")


def plot_critical_fits(context):
    """One figure per family of critical collapses (§10.7) in /analysis/fits."""
    fits = context.analysis["fits"]
    families = collections.defaultdict(list)
    for name in fit_names(fits, "keep_collapse"):
        families[family_key(first_row(fits, name))].append(name)
    return [plot_critical(context, key, names) for key, names in sorted(families.items())]


def plot_extinction_depths(context):
    """extinction_depth_<model>_a<a>[_in<k>].png: the mean extinction depth against W per keep
    scale c, with the fitted power law (line) and the same fit on the exact chain (dashed)."""
    fits = context.analysis["fits"]
    families = collections.defaultdict(list)
    for name in fit_names(fits, "extinction_depth"):
        about = first_row(fits, name)
        families[(about["model"], canonical_number(about["depth_scale"]),
                  input_suffix(about))].append(name)
    paths = []
    for (model, scale, suffix), names in sorted(families.items()):
        fig, (ax,) = panels(1)
        widths = set()
        for index, name in enumerate(sorted(names, key=lambda n: first_row(fits, n)["keep_scale"])):
            colour = f"C{index}"
            points = sorted((dropperc_h5.load_task(context.path, n)
                             for n in fit_tasks(context.analysis, name)),
                            key=lambda t: t["attrs"]["width"])
            w = np.array([t["attrs"]["width"] for t in points], dtype=float)
            widths.update(int(x) for x in w)
            depth = np.array([t["extinction_depth"] for t in points], dtype=float).ravel()
            error = np.array([t["extinction_depth_stderr"] for t in points], dtype=float).ravel()
            fit = fit_parameters(fits, name)
            ax.errorbar(w, depth, yerr=error, fmt="o", ms=4, capsize=3,
                        **fit_style(fit["exponent"], colour),
                        label=f"c = {canonical_number(first_row(fits, name)['keep_scale'])}: "
                              + parameter_text("x", fit["exponent"], "exact chain")
                              + verdict_note(fit["exponent"], 50))
            line = colour if is_result(fit["exponent"]) else INVALID_COLOUR
            ax.plot(w, fit["amplitude"]["value"] * w ** fit["exponent"]["value"], color=line,
                    lw=1)
            ax.plot(w, known_value(fit["amplitude"]) * w ** known_value(fit["exponent"]),
                    color=line, lw=1, ls="--")
        size_ticks(ax, sorted(widths))
        plain_log_y(ax)
        ax.set(xlabel="width W", ylabel="mean extinction depth min(D, L + 1)",
               title=f"{model}, L = {float(scale):g} W^(1/2): D ∝ W^x\n"
                     "(lines: fit; dashed: the same fit on the exact chain)")
        legend_beside(fig, ax)
        paths.append(save(context, fig, f"extinction_depth_{model}_a{scale}{suffix}"))
    return paths


def plot_survival(context):
    """survival_<task>.png: P(t; p) of a task with survival depths against t, one curve per p,
    with 95 % Clopper-Pearson bars; for a single seed, the published t^-delta as a guide
    (dashed, through the middle p at the largest t; not a fit). survival_drift_<task>.png: p_c,
    delta and nu_par of its survival fits against t_min, with and without the 1/t correction,
    against the published values (docs/theory.md §12.3)."""
    table = context.analysis["survival"]
    fits = context.analysis["fits"]
    paths = []
    for task in sorted(set(table["task"].tolist())):
        rows = table[table["task"] == task]
        ps = sorted(set(rows["p"].tolist()))
        fig, (ax,) = panels(1)
        for index, p in enumerate(ps):
            curve = rows[rows["p"] == p]
            curve = curve[np.argsort(curve["t"])]
            shown = curve["survival"] > 0
            curve = curve[shown]
            error = np.vstack([curve["survival"] - curve["survival_low"],
                               curve["survival_high"] - curve["survival"]])
            ax.errorbar(curve["t"], curve["survival"], yerr=error, fmt="o-", ms=2, lw=0.8,
                        capsize=1, color=matplotlib.colormaps["viridis"](index / max(1, len(ps) - 1)),
                        label=f"p = {canonical_number(p)}")
        names = [n for n in fit_names(fits, "survival") if task in fit_tasks(context.analysis, n)]
        delta = [known_value(fit_parameters(fits, n)["delta"]) for n in names]
        if names and np.isfinite(delta[0]):
            middle = rows[rows["p"] == ps[len(ps) // 2]]
            t_max = middle["t"].max()
            anchor = middle[middle["t"] == t_max]["survival"][0]
            t = np.array(sorted(set(rows["t"].tolist())), dtype=float)
            ax.plot(t, anchor * (t / t_max) ** -delta[0], "k--", lw=1,
                    label=f"t^-δ, published δ = {delta[0]:.6g} (guide)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set(xlabel="depth t (hidden layer)", ylabel="P(t; p): fraction reaching layer t",
               title=f"{task}: survival from the input layer")
        legend_beside(fig, ax)
        paths.append(save(context, fig, f"survival_{file_stem(task)}"))
        if not names:
            continue
        fig, axes = panels(3)
        for ax, parameter, symbol in zip(axes, ("p_c", "delta", "nu_par"), ("p_c", "δ", "ν_∥")):
            for correction, colour, shift in (("", "C0", 0.97), ("1/t", "C1", 1.03)):
                chosen = [n for n in names if first_row(fits, n)["correction"] == correction]
                chosen.sort(key=lambda n: first_row(fits, n)["min_size"])
                for n in chosen:
                    row = fit_parameters(fits, n)[parameter]
                    ax.errorbar([first_row(fits, n)["min_size"] * shift], [row["value"]],
                                yerr=[row["error"]], fmt="o", ms=4, capsize=3,
                                **fit_style(row, colour))
                ax.plot([], [], "o", color=colour,
                        label="with b/t" if correction else "without correction")
            known = known_value(fit_parameters(fits, names[0])[parameter])
            if np.isfinite(known):
                ax.axhline(known, color="k", ls="--", lw=1, label="published")
            ax.set_xscale("log")
            ax.set(xlabel="smallest depth t_min", ylabel=symbol)
        legend(axes[0])
        fig.suptitle(f"{task}: survival fits against t_min (hollow: not a result)")
        paths.append(save(context, fig, f"survival_drift_{file_stem(task)}"))
    return paths


# (f) what no figure draws ------------------------------------------------------------------------


def note_undrawn_fits(context):
    """A note for every fit of /analysis/fits whose family no figure draws (e.g. a kind of fit
    newer than this script); draws nothing."""
    fits = context.analysis["fits"]
    for name in sorted(set(fits["fit"].tolist())):
        if first_row(fits, name)["family"] not in DRAWN_FAMILIES:
            parameters = ", ".join(fits[fits["fit"] == name]["parameter"].tolist())
            note(f"{name} ({parameters})", "no figure draws this fit; its values are in "
                 "/analysis/fits and the table of `dropperc analyze`")
    return []


# ------------------------------------------------------------------------------------------------

FIGURES = (plot_theta_curves, plot_collapses, plot_kappa_fits, plot_p_half, plot_training_points,
           plot_loss_curves, plot_steps_to_target, plot_critical_fits, plot_extinction_depths,
           plot_survival, note_undrawn_fits)


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
