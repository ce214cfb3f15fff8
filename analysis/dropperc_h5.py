#!/usr/bin/python3
"""Loads a merged dropperc job file (<output>/<name>.h5) into numpy, strings decoded to str.

Run with Debian's /usr/bin/python3 (h5py, numpy). The layout (docs/hdf5-layout.md):

  /job                 attributes: name, seed, job_file, dropperc_version, git_revision, ...
  /summary             compound table, one row per task: name, kind, model, width, depth, p,
                       bias, activation, theta, theta_low, theta_high, test_loss, test_accuracy,
                       spanning_fraction, zero_gradient_fraction (NaN where a column does not apply)
  /tasks/<task>        group attributes = the task's parameters (kind, model, width, depth, p,
                       bias, activation, depth_scale and keep_scale of width laws, ...);
                       datasets per kind, e.g. a training task has
                       step [S], loss / spanning_fraction / zero_gradient_samples [replica, step],
                       evaluation_step [E], test_loss / test_accuracy [replica, E]
  /analysis            written by `dropperc analyze FILE`; attributes created, dropperc_version,
                       git_revision, resample_count; compound tables
      curves           theta(p) of every thresholds task at 41 points across its transition:
                       task, model, spanning, width, depth, p, theta, theta_low, theta_high,
                       theta_exact (NaN where unknown)
      thresholds       task, model, spanning, width, depth, samples, p_half, p_half_error,
                       p_half_low, p_half_high, transition_width, transition_width_error,
                       p_half_exact, deviation
      fits             fit, model, observable, parameter, value, error, low, high, exact, quality,
                       failures, held (one row per fitted parameter); what the fit is: family,
                       spanning, scaling, fixed_size, depth_scale, keep_scale, input_width,
                       min_size, correction ("" or NaN where not applicable); its verdict: valid (0/1),
                       reason, dof, chi2_per_dof (docs/theory.md §10.8)
      fit_tasks        fit, task: the tasks each fit used
      collapse_points  fit, task, size, p, value, x, y, error: every collapse's points on its
                       master curve at the fitted parameters (kappa fits: the collapse in x)
      kappa_slopes     fit, width, slope, slope_error, intercept, ln_p_low, ln_p_high: the
                       per-width lines of kappa fits
      training         task, model, activation, width, depth, bias, replicas, diverged, p,
                       theta, test_loss(_error), test_accuracy(_error), zero_gradient_fraction,
                       zero_gradient_error, steps_to_target(_error): means over the replicas
                       that did not diverge
      survival         task, model, width, depth, input_width, samples, t, p, survival,
                       survival_low, survival_high: P(t; p) of thresholds tasks with survival
                       depths (docs/theory.md §12.2)
      resamples/<fit>  float64 [resample, parameter] (a '/' in the fit name stored as ':'),
                       attribute "parameters" = comma-separated parameter names

Example:

    import dropperc_h5
    summary = dropperc_h5.load_summary("smoke.data/smoke.h5")
    bond = summary[summary["model"] == "bond"]
    a = dropperc_h5.load_analysis("smoke.data/smoke.h5")
    kappa = a["fits"][a["fits"]["fit"] == "kappa_bond_directed"]
    names, values = a["resamples"]["kappa_bond_directed"]      # values: [resample, parameter]
    task = dropperc_h5.load_task("smoke.data/smoke.h5", "train_bond_W2_L3_p0.300_nobias_relu")
    mean_loss = task["loss"].mean(axis=0)                        # over replicas, per step
    print(task["attrs"]["p"], task["timing/compute_seconds"])

Every loader raises DroppercFileError, whose message names the file, when the file cannot be
opened, has a root attribute dropperc_format_version other than those of FORMAT_VERSIONS (or
none), or lacks what is asked for.
"""
import h5py
import numpy as np

ANALYSIS_TABLES = ("curves", "thresholds", "fits", "fit_tasks", "collapse_points", "kappa_slopes",
                   "training", "survival")
FORMAT_VERSIONS = (1,)  # the values of the root attribute dropperc_format_version read here


class DroppercFileError(Exception):
    """A file that cannot be read as a merged job file, or lacks a group or table asked for."""


def decode(value):
    """Returns `value` with bytes turned into str: a bytes scalar, a numpy bytes scalar, an array
    of bytes (fixed or variable length) or a structured array with such fields. Anything else
    (numbers, numeric arrays) comes back unchanged, numpy scalars as Python numbers."""
    if isinstance(value, (bytes, np.bytes_)):
        return value.decode("utf-8")
    if isinstance(value, np.generic):
        return value.item()
    if not isinstance(value, np.ndarray):
        return value
    if value.dtype.names:
        return _decode_table(value)
    if value.dtype.kind in "SO":
        return np.array([decode(v) for v in value.ravel()], dtype=str).reshape(value.shape)
    return value


def _decode_table(table):
    """A copy of the structured array `table` with every bytes field as a str field."""
    columns = {name: decode(table[name]) for name in table.dtype.names}
    dtype = [(name, columns[name].dtype) for name in table.dtype.names]
    decoded = np.empty(table.shape, dtype=dtype)
    for name, column in columns.items():
        decoded[name] = column
    return decoded


def _attributes(node):
    """The attributes of an h5py group or dataset as a dict of str / Python numbers / arrays."""
    return {key: decode(value) for key, value in node.attrs.items()}


def _open(path):
    """Opens `path` read-only; DroppercFileError naming it if it is missing, not HDF5, or of a
    dropperc_format_version other than FORMAT_VERSIONS (or none)."""
    try:
        f = h5py.File(path, "r")
    except OSError as error:
        raise DroppercFileError(f"{path}: cannot open as an HDF5 file ({error})") from None
    version = f.attrs.get("dropperc_format_version")
    if version is None or int(version) not in FORMAT_VERSIONS:
        f.close()
        supported = ", ".join(map(str, FORMAT_VERSIONS))
        found = ("no attribute dropperc_format_version" if version is None
                 else f"dropperc_format_version = {int(version)}")
        raise DroppercFileError(f"{path}: {found}, not a version this reader knows "
                                f"(supported: {supported})")
    return f


def _member(group, name, path, hint):
    """group[name], or DroppercFileError naming `path`, the member and `hint`."""
    if name not in group:
        raise DroppercFileError(f"{path}: no {group.name.rstrip('/')}/{name}: {hint}")
    return group[name]


def load_summary(path):
    """The /summary table of the merged job file `path`: one row per task, a numpy structured
    array with str string fields (name, kind, model, activation) and numeric columns."""
    with _open(path) as f:
        table = _member(f, "summary", path, "not a merged job file (dropperc merge writes it)")
        return decode(table[()])


def load_task(path, name):
    """Everything of /tasks/<name> in `path`: a dict mapping each dataset's path relative to the
    task group (e.g. "loss", "timing/compute_seconds") to a numpy array, plus "attrs": the
    group's attributes (the task's parameters) as a dict."""
    with _open(path) as f:
        tasks = _member(f, "tasks", path, "not a merged job file")
        group = _member(tasks, name, path, "no such task")
        task = {"attrs": _attributes(group)}

        def read(key, node):
            if isinstance(node, h5py.Dataset):
                task[key] = decode(node[()])

        group.visititems(read)
        return task


def load_task_parameters(path):
    """The attributes of every /tasks/<name> group in `path` (the tasks' parameters: kind, model,
    width, depth, p, depth_scale, keep_scale, ...), as {name: dict}, without reading datasets."""
    with _open(path) as f:
        tasks = _member(f, "tasks", path, "not a merged job file")
        return {name: _attributes(group) for name, group in tasks.items()}


def load_analysis(path):
    """The /analysis group of `path`, as written by `dropperc analyze`: a dict with the tables of
    ANALYSIS_TABLES (numpy structured arrays, str string fields;
    empty arrays when there was nothing to analyse), "attrs" (created, dropperc_version,
    git_revision, resample_count) and "resamples": fit name -> (parameter names, float64 array
    [resample, parameter]), keyed by the fit column of "fits" ('/' restored from ':').
    DroppercFileError if the file has no /analysis or lacks one of its tables."""
    hint = f"run `dropperc analyze {path}` first"
    with _open(path) as f:
        group = _member(f, "analysis", path, hint)
        analysis = {name: decode(_member(group, name, path, hint)[()])
                    for name in ANALYSIS_TABLES}
        analysis["attrs"] = _attributes(group)
        sets = group["resamples"] if "resamples" in group else {}
        analysis["resamples"] = {
            key.replace(":", "/"): (tuple(decode(sets[key].attrs["parameters"]).split(",")),
                                    sets[key][()])
            for key in sets
        }
        return analysis
