#!/usr/bin/python3
"""End to end test of analysis/: runs jobs/smoke.toml, a small job made for data collapses and a
small 2D lattice job with dropperc, analyses them, draws every figure with analysis/plot_all.py
and checks that each figure is a non-trivial PNG, that fits no figure draws get a note, that
analysis/dropperc_h5.py loads what dropperc wrote, and that plot_all refuses bad input with exit
code 2.

  test_plots.py DROPPERC SOURCE_DIR        (CTest: python.plots; about 20 s)
"""
import contextlib
import io
import os
import subprocess
import sys
import tempfile
import unittest

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.image  # noqa: E402 (after choosing the backend)
import numpy as np  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MIN_BYTES = 10_000
MIN_DISTINCT_PIXELS = 50
RESAMPLES = 20

# Three widths and three depths, one p: per model, collapses over W at each depth and over L at
# each width (both need 3 sizes); no training.
COLLAPSE_JOB = """\
[job]
name = "collapse"
seed = 7

[grid]
models = ["site", "bond"]
widths = [2, 3, 4]
depths = [4, 8, 16]
p = [0.5]

[percolation]
samples = 1000
method = "fast"
undirected = false
block = 500
thresholds = true
"""

# Small jobs and the figures each must give, every fit of theirs drawn. Depths as a law of the
# width with two scales, L = a W: one collapse over W per scale a. DropConnect at keep fraction
# c / W (docs/theory.md §10.7): thresholds from one input unit and extinction depths from a full
# input layer, W in {16, 32, 64} with L = 2 W^(1/2). Training that reaches its target loss at two
# p: steps to target.
SMALL_JOBS = {
    "law": """\
[job]
name = "law"
seed = 13

[grid]
models = ["site"]
widths = [2, 3, 4]
depths = { scale = [1, 2], power = 1 }
p = [0.5]

[percolation]
samples = 1000
method = "fast"
undirected = false
block = 1000
thresholds = true
""",
    "critical": """\
[job]
name = "critical"
seed = 13

[grid]
models = ["bond"]
widths = [16, 32, 64]
input_width = 1
depths = { scale = [2], power = 0.5 }
p = { keep = [0.8, 0.9, 1.0, 1.1, 1.2], power = -1 }

[percolation]
samples = 1000
method = "fast"
undirected = false
thresholds = true
per_p = false
""",
    "survival": """\
[job]
name = "survival"
seed = 14

[grid]
models = ["bond"]
widths = [16, 32, 64]
depths = { scale = [2], power = 0.5 }
p = { keep = [0.9, 1.0], power = -1 }

[percolation]
samples = 500
method = "fast"
undirected = false
""",
    "steps": """\
[job]
name = "steps"
seed = 15

[grid]
models = ["site"]
widths = [8]
depths = [2]
p = [0.1, 0.6]
activations = ["tanh"]

[training]
steps = 1000
batch = 16
replicas = 2
eval_interval = 20
target_loss = 0.3

[training.teacher]
features = 4
outputs = 2
train_size = 256
test_size = 128
""",
    "seed": """\
[job]
name = "seed"
seed = 16

[grid]
models = ["bond"]
widths = [128]
depths = [100]
p = { start = 0.345, stop = 0.365, num = 5 }
input_width = 1
connectivity = "local"
kernel = 2

[percolation]
samples = 3000
thresholds = true
per_p = false
undirected = false
survival_per_decade = 10
floor = 0.345
"""}
SMALL_JOB_FIGURES = {"law": ["collapse_site_directed_W_with_L_a1.000",
                             "collapse_site_directed_W_with_L_a2.000"],
                     "critical": ["critical_bond_directed_keep_a2.000_in1"],
                     "survival": ["extinction_depth_bond_a2.000"],
                     "steps": ["steps_to_target_site"],
                     "seed": ["survival_bond_W128_L100_K2_in1_thresholds",
                              "survival_drift_bond_W128_L100_K2_in1_thresholds"]}

# Site and bond square lattices of 3 sizes: per model one collapse over L >= 8 (3 sizes needed).
LATTICE_JOB = """\
[job]
name = "lattice"
seed = 11

[lattice]
models = ["site", "bond"]
sizes = [8, 16, 32]
samples = 1000
block = 500
"""

SMOKE_FIGURES = [f"{kind}_{model}_{spanning}" for kind in ("theta", "kappa")
                 for model in ("site", "bond") for spanning in ("directed", "undirected")] + [
    f"{kind}_{model}" for kind in ("p_half", "training", "loss_curves")
    for model in ("site", "bond")]
COLLAPSE_FIGURES = [f"collapse_{model}_directed_{family}"
                    for model in ("site", "bond")
                    for family in ("W_at_L4", "W_at_L8", "W_at_L16", "L_at_W2", "L_at_W3",
                                   "L_at_W4")]
LATTICE_FIGURES = [f"{kind}_lattice_{model}{suffix}"
                   for kind, suffix in (("collapse", "_Lmin8"), ("theta", "_top-bottom"),
                                        ("p_half", ""))
                   for model in ("site", "bond")]

COLUMNS = {
    "curves": ("task", "model", "spanning", "width", "depth", "p", "theta", "theta_low",
               "theta_high", "theta_exact"),
    "thresholds": ("task", "model", "spanning", "width", "depth", "samples", "p_half",
                   "p_half_error", "p_half_low", "p_half_high", "transition_width",
                   "transition_width_error", "p_half_exact", "deviation"),
    "fits": ("fit", "model", "observable", "parameter", "value", "error", "low", "high", "exact",
             "quality", "failures", "held", "family", "spanning", "scaling", "fixed_size",
             "depth_scale", "keep_scale", "input_width", "min_size", "correction", "valid",
             "reason", "dof", "chi2_per_dof"),
    "fit_tasks": ("fit", "task"),
    "collapse_points": ("fit", "task", "size", "p", "value", "x", "y", "error"),
    "kappa_slopes": ("fit", "width", "slope", "slope_error", "intercept", "ln_p_low",
                     "ln_p_high"),
    "training": ("task", "model", "activation", "width", "depth", "bias", "replicas", "diverged",
                 "p", "theta", "test_loss", "test_loss_error", "test_accuracy",
                 "test_accuracy_error", "zero_gradient_fraction", "zero_gradient_error",
                 "steps_to_target", "steps_to_target_error"),
    "survival": ("task", "model", "width", "depth", "input_width", "samples", "t", "p",
                 "survival", "survival_low", "survival_high"),
}

# Set by main() from the command line, and by setUpModule.
DROPPERC = SOURCE = None
WORK = SMOKE = COLLAPSE = LATTICE = None


def run(*command):
    """Runs `command`; returns (exit code, stdout, stderr)."""
    done = subprocess.run(command, capture_output=True, text=True, timeout=240)
    return done.returncode, done.stdout, done.stderr


def check_run(*command):
    """Runs `command` and fails with its output unless it exits 0; returns its stdout."""
    code, out, err = run(*command)
    if code != 0:
        raise AssertionError(f"{' '.join(command)} exited {code}\n{out}\n{err}")
    return out


def plot_all(*arguments):
    return run(sys.executable, os.path.join(SOURCE, "analysis", "plot_all.py"), *arguments)


def run_job(job_file, output, analyse=True):
    """`dropperc run`, then unless told not to `dropperc analyze`, of `job_file` into `output`;
    the merged file."""
    check_run(DROPPERC, "run", job_file, "--output", output, "--quiet")
    name = os.path.splitext(os.path.basename(job_file))[0]
    merged = os.path.join(output, f"{name}.h5")
    if analyse:
        check_run(DROPPERC, "analyze", merged, "--resamples", str(RESAMPLES))
    return merged


def write_job(name, text):
    """Writes the job file <WORK>/<name>.toml; returns its path."""
    job_file = os.path.join(WORK.name, f"{name}.toml")
    with open(job_file, "w") as f:
        f.write(text)
    return job_file


def setUpModule():
    global WORK, SMOKE, COLLAPSE, LATTICE
    WORK = tempfile.TemporaryDirectory(prefix="dropperc_plots_")
    SMOKE = run_job(os.path.join(SOURCE, "jobs", "smoke.toml"), os.path.join(WORK.name, "smoke"))
    COLLAPSE = run_job(write_job("collapse", COLLAPSE_JOB), os.path.join(WORK.name, "collapse"),
                       analyse=False)  # its test analyses it
    LATTICE = run_job(write_job("lattice", LATTICE_JOB), os.path.join(WORK.name, "lattice"))


def tearDownModule():
    WORK.cleanup()


def distinct_colours(png):
    """How many distinct pixel values (RGB or RGBA) the image file `png` has."""
    pixels = np.round(matplotlib.image.imread(png) * 255).astype(np.uint8)
    channels = pixels.shape[-1]
    return np.unique(pixels.reshape(-1, channels).view(f"V{channels}")).size


class PlotAllTest(unittest.TestCase):
    def assert_figures(self, directory, names):
        """Every <directory>/<name>.png is a PNG of more than MIN_BYTES bytes and more than
        MIN_DISTINCT_PIXELS distinct colours."""
        for name in names:
            with self.subTest(figure=name):
                path = os.path.join(directory, name + ".png")
                self.assertTrue(os.path.isfile(path), f"{path} was not written")
                with open(path, "rb") as f:
                    self.assertEqual(f.read(len(PNG_MAGIC)), PNG_MAGIC, f"{path} is not a PNG")
                self.assertGreater(os.path.getsize(path), MIN_BYTES, path)
                self.assertGreater(distinct_colours(path), MIN_DISTINCT_PIXELS, path)

    def test_smoke_job_gives_every_figure_but_collapses(self):
        out = os.path.join(WORK.name, "smoke_figures")
        code, stdout, stderr = plot_all(SMOKE, "--out", out)
        self.assertEqual(code, 0, stdout + stderr)
        self.assertIn("no collapse figure", stdout)
        self.assert_figures(out, SMOKE_FIGURES)
        for name in SMOKE_FIGURES:
            self.assertIn(os.path.join(out, name + ".png"), stdout)

    def test_collapse_job_gives_collapse_figures(self):
        out = os.path.join(WORK.name, "collapse_figures")
        code, stdout, stderr = plot_all(COLLAPSE, "--out", out)
        self.assertEqual(code, 2, stdout + stderr)  # not analysed yet
        self.assertIn(f"dropperc analyze {COLLAPSE}", stderr)
        check_run(DROPPERC, "analyze", COLLAPSE, "--resamples", str(RESAMPLES))
        code, stdout, stderr = plot_all(COLLAPSE, "--out", out)
        self.assertEqual(code, 0, stdout + stderr)
        self.assertIn("no training figure", stdout)
        self.assert_figures(out, COLLAPSE_FIGURES)

    def test_small_jobs_give_their_figures(self):
        for name, text in SMALL_JOBS.items():
            with self.subTest(job=name):
                merged = run_job(write_job(name, text), os.path.join(WORK.name, name))
                out = os.path.join(WORK.name, f"{name}_figures")
                code, stdout, stderr = plot_all(merged, "--out", out)
                self.assertEqual(code, 0, stdout + stderr)
                self.assert_figures(out, SMALL_JOB_FIGURES[name])
                self.assertNotIn("no figure draws", stdout)  # every fit of the file is drawn

    def test_lattice_job_gives_lattice_collapse_figures(self):
        out = os.path.join(WORK.name, "lattice_figures")
        code, stdout, stderr = plot_all(LATTICE, "--out", out)
        self.assertEqual(code, 0, stdout + stderr)
        self.assertNotIn("no collapse figure", stdout)
        self.assertIn("no kappa figure", stdout)
        self.assert_figures(out, LATTICE_FIGURES)
        for name in LATTICE_FIGURES:
            self.assertIn(os.path.join(out, name + ".png"), stdout)
        self.assertNotIn("no figure draws", stdout)  # every fit of the file is drawn

    def test_lattice_collapse_fits_carry_published_values(self):
        fits = dropperc_h5.load_analysis(LATTICE)["fits"]
        for model, p_c in (("bond", 0.5), ("site", 0.59274621)):
            with self.subTest(model=model):
                rows = fits[fits["fit"] == f"collapse_lattice_{model}_Lmin8"]
                self.assertEqual(rows["parameter"].tolist(), ["p_c", "b", "nu"])
                np.testing.assert_allclose(rows["exact"], [p_c, 0.75, 4 / 3])
                self.assertTrue(np.isfinite(rows["value"]).all(), rows)

    def test_fits_no_figure_draws_get_a_note(self):
        import plot_all as module
        fits = np.array([("kappa_bond_directed", "kappa", "kappa"),
                         ("task_W2_L3/directed", "p_half", "threshold"),
                         ("collapse_lattice_bond_Lmin8", "p_c", "lattice_collapse"),
                         ("steps_to_target_bond_nobias_relu", "gamma", "steps_to_target"),
                         ("steps_to_target_bond_nobias_relu", "T0", "steps_to_target"),
                         ("something_new", "y", "new_family"),
                         ("collapse_something_new", "x", "other_family")],
                        dtype=[("fit", "U40"), ("parameter", "U10"), ("family", "U20")])
        context = module.Context(None, {"fits": fits}, None, {}, {}, {}, {})
        with contextlib.redirect_stdout(io.StringIO()) as printed:
            self.assertEqual(module.note_undrawn_fits(context), [])
        lines = printed.getvalue().splitlines()
        self.assertEqual(len(lines), 2, lines)
        self.assertIn("something_new (y)", lines[1])
        self.assertIn("collapse_something_new (x)", lines[0])

    def test_fits_that_are_not_results_are_drawn_grey_or_hollow(self):
        import plot_all as module
        fits = np.array([("t/directed", 1), ("u/directed", 0)],
                        dtype=[("fit", "U20"), ("valid", "i8")])
        self.assertTrue(module.threshold_is_result(fits, "t", "directed"))
        self.assertFalse(module.threshold_is_result(fits, "u", "directed"))
        self.assertTrue(module.threshold_is_result(fits, "v", "directed"))  # no fits row
        self.assertEqual(module.line_colour(fits[0], "tab:blue"), "tab:blue")
        self.assertEqual(module.line_colour(fits[1], "tab:blue"), module.INVALID_COLOUR)

    def test_plot_all_reads_columns_and_never_fits(self):
        """Python only draws (docs/architecture.md): no regular expressions on fit names and no
        fitting of its own in plot_all.py; what a figure shows as fitted comes from analyze."""
        with open(os.path.join(SOURCE, "analysis", "plot_all.py")) as f:
            source = f.read()
        for forbidden in ("import re", "re.compile", "re.match", "re.fullmatch", "polyfit",
                          "curve_fit", "lstsq", "linalg", "scipy", "optimize", "Polynomial"):
            with self.subTest(forbidden=forbidden):
                self.assertNotIn(forbidden, source)

    def test_fits_that_are_not_results_are_marked(self):
        import plot_all as module
        rows = np.array([(1, ""), (0, "dof = 0: 2 points for 2 parameters")],
                        dtype=[("valid", "i8"), ("reason", "U60")])
        self.assertEqual(module.verdict_note(rows[0]), "")
        self.assertEqual(module.verdict_note(rows[1]),
                         "\n(not a result: dof = 0: 2 points for 2 parameters)")
        self.assertEqual(module.fit_style(rows[0], "C1"), {"color": "C1"})
        self.assertEqual(module.fit_style(rows[1], "C1"),
                         {"color": "C1", "markerfacecolor": "none",
                          "alpha": module.INVALID_ALPHA})
        # In the smoke job the kappa fits go through their two widths: not results.
        fits = dropperc_h5.load_analysis(SMOKE)["fits"]
        kappa = fits[fits["family"] == "kappa"]
        self.assertTrue(kappa.size)
        self.assertFalse(kappa["valid"].any())
        self.assertEqual(set(kappa["reason"]), {"dof = 0: 2 points for 2 parameters"})
        self.assertTrue(fits[fits["family"] == "threshold"]["valid"].all())

    def test_missing_or_bad_file_exits_2(self):
        not_hdf5 = os.path.join(WORK.name, "not.h5")
        with open(not_hdf5, "w") as f:
            f.write("not HDF5\n")
        bare = os.path.join(WORK.name, "bare.h5")
        with h5py.File(bare, "w") as f:
            f.create_group("tasks")
        for path in (os.path.join(WORK.name, "missing.h5"), not_hdf5, bare):
            with self.subTest(path=path):
                code, stdout, stderr = plot_all(path, "--out", os.path.join(WORK.name, "none"))
                self.assertEqual(code, 2, stdout + stderr)
                self.assertIn(path, stderr)

    def test_load_analysis_gives_the_tables_and_resamples(self):
        analysis = dropperc_h5.load_analysis(SMOKE)
        for table, columns in COLUMNS.items():
            with self.subTest(table=table):
                self.assertEqual(analysis[table].dtype.names, columns)
                if table != "survival":  # the smoke job has no survival depths
                    self.assertGreater(analysis[table].size, 0)
        self.assertEqual(analysis["curves"]["model"].dtype.kind, "U")
        self.assertEqual(set(analysis["curves"]["spanning"]), {"directed", "undirected"})
        self.assertEqual(analysis["attrs"]["resample_count"], RESAMPLES)
        self.assertEqual(set(analysis["resamples"]), set(analysis["fits"]["fit"]))
        names, values = analysis["resamples"]["kappa_bond_directed"]
        self.assertEqual(names, ("kappa", "c", "kappa_W2_W4", "quality"))
        self.assertEqual(values.shape, (RESAMPLES, 4))

    def test_unknown_format_version_is_refused(self):
        newer = os.path.join(WORK.name, "newer.h5")
        with open(SMOKE, "rb") as source, open(newer, "wb") as copy:
            copy.write(source.read())
        with h5py.File(newer, "a") as f:
            f.attrs["dropperc_format_version"] = np.int64(5)
        for load in (dropperc_h5.load_analysis, dropperc_h5.load_summary):
            with self.subTest(load=load.__name__):
                with self.assertRaisesRegex(dropperc_h5.DroppercFileError,
                                            "newer.h5: dropperc_format_version = 5, .*"
                                            r"\(supported: 1\)"):
                    load(newer)
        code, stdout, stderr = plot_all(newer, "--out", os.path.join(WORK.name, "newer"))
        self.assertEqual(code, 2, stdout + stderr)
        self.assertIn("dropperc_format_version = 5", stderr)

    def test_load_summary_and_task(self):
        summary = dropperc_h5.load_summary(SMOKE)
        training = summary[summary["kind"] == "training"]
        self.assertEqual(len(training), 16)
        task = dropperc_h5.load_task(SMOKE, training["name"][0])
        self.assertEqual(task["attrs"]["kind"], "training")
        self.assertEqual(task["loss"].shape, (2, task["step"].size))
        self.assertIn("timing/compute_seconds", task)
        with self.assertRaisesRegex(dropperc_h5.DroppercFileError, "no such task"):
            dropperc_h5.load_task(SMOKE, "no_such_task")


def main():
    global DROPPERC, SOURCE, dropperc_h5
    if len(sys.argv) != 3:
        sys.exit(f"usage: {sys.argv[0]} DROPPERC SOURCE_DIR")
    DROPPERC, SOURCE = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    sys.path.insert(0, os.path.join(SOURCE, "analysis"))
    import dropperc_h5
    unittest.main(argv=sys.argv[:1], verbosity=2)


if __name__ == "__main__":
    main()
