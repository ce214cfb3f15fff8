#!/usr/bin/python3
"""Writes scikit-learn's bundled digits data set (8x8 images of handwritten digits, 1797
samples, 10 classes) in dropperc's data-set format (docs/training.md):

  /X       float32, n_train x 64   pixel intensities scaled to [0, 1]
  /y       int64,   n_train        the digit
  /X_test  float32, n_test x 64
  /y_test  int64,   n_test

The split is stratified and fixed by --seed, so the same command writes the same file.

  scripts/make_digits.py digits.h5 [--test-fraction 0.25] [--seed 1]
  build/release/dropperc train --dataset digits.h5 --width 64 --depth 2 --model site --p 0.2
"""
import argparse
import sys

try:
    import h5py
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
except ImportError as error:  # pragma: no cover - depends on the machine
    sys.exit(f"make_digits: {error}; install Debian's python3-sklearn and python3-h5py "
             "(scripts/setup.sh does) and run with /usr/bin/python3")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", help="HDF5 file to write")
    parser.add_argument("--test-fraction", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not 0.0 < args.test_fraction < 1.0:
        parser.error(f"--test-fraction: {args.test_fraction} is not in (0, 1)")

    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)  # pixels are 0..16
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=args.test_fraction, random_state=args.seed, stratify=y)
    with h5py.File(args.output, "w") as f:
        f["X"], f["y"], f["X_test"], f["y_test"] = x_train, y_train, x_test, y_test
        f.attrs["source"] = "sklearn.datasets.load_digits"
    print(f"make_digits: wrote {args.output}: {len(y_train)} training and {len(y_test)} test "
          f"samples, {x.shape[1]} features, {len(np.unique(y))} classes")


if __name__ == "__main__":
    main()
