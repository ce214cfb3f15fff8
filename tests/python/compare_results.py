#!/usr/bin/python3
"""Compares two merged job files bit for bit: every dataset and attribute under /tasks and the
/summary table, skipping groups named "timing" (measured times) and /job (run facts).

  compare_results.py a.h5 b.h5      exit 0 identical, 1 different (differences printed)
"""
import sys

import h5py
import numpy as np


def same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.names:  # compound: compare field by field
        return all(same(a[n], b[n]) for n in a.dtype.names)
    if a.dtype.kind == "f":  # bit for bit: -0.0 differs from 0.0, NaN equals the same NaN
        return a.tobytes() == b.tobytes()
    return np.array_equal(a, b)


def compare(a, b, path, differences):
    if set(a.attrs) != set(b.attrs):
        differences.append(f"{path}: attributes {sorted(a.attrs)} vs {sorted(b.attrs)}")
    for key in a.attrs:
        if key in b.attrs and not same(a.attrs[key], b.attrs[key]):
            differences.append(f"{path}: attribute {key}: {a.attrs[key]} vs {b.attrs[key]}")
    if isinstance(a, h5py.Dataset):
        if not same(a[()], b[()]):
            differences.append(f"{path}: data differ")
        return
    names_a = {n for n in a if n != "timing"}
    names_b = {n for n in b if n != "timing"}
    if names_a != names_b:
        differences.append(f"{path}: members differ: {sorted(names_a ^ names_b)}")
    for name in sorted(names_a & names_b):
        compare(a[name], b[name], f"{path}/{name}", differences)


def main():
    differences = []
    with h5py.File(sys.argv[1]) as a, h5py.File(sys.argv[2]) as b:
        for top in ("tasks", "summary"):
            compare(a[top], b[top], "/" + top, differences)
    for d in differences[:50]:
        print(d)
    sys.exit(1 if differences else 0)


if __name__ == "__main__":
    main()
