"""Shared helpers for optkit's reference scripts.

Protocol (see packages/core/src/reference.ts): inputs arrive as raw little-endian float64 (`.f64`) or
int32 (`.i32`) files in the folder given by --dir; the script prints ONE JSON object as its last line
of stdout. A script that cannot run its reference prints {"skipped": "<why>"} and exits 0.
Outputs, if any, are written back as `<name>.f64` and listed under "outputs".
"""
import argparse
import json
import os
import sys
import time


def parser(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--dir", required=True, help="folder holding the input .f64/.i32 files")
    return p


def skip(reason):
    print(json.dumps({"skipped": reason}))
    sys.exit(0)


def load(np, d, name, dtype="f64"):
    path = os.path.join(d, f"{name}.{dtype}")
    return np.fromfile(path, dtype=np.float64 if dtype == "f64" else np.int32)


def save(np, d, name, arr):
    np.ascontiguousarray(arr, dtype=np.float64).tofile(os.path.join(d, f"{name}.f64"))


def median_time(fn, repeats, warmup=2, min_seconds=0.0):
    """Median wall time in seconds of `fn()` over `repeats` calls after `warmup` calls."""
    for _ in range(warmup):
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < repeats or (time.perf_counter() - start) < min_seconds:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2]


def emit(obj):
    print(json.dumps(obj))
