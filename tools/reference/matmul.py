"""numpy reference for optkit's dense gemm benchmark (packages/core/src/benchmarks/dense.ts).

Reads A.f64 and B.f64 (n*n row-major float64 each) from --dir, times np.matmul(A, B, out=C)
(median over --repeats calls after 2 warm-up calls, and at least --min-seconds in all), and prints
one JSON line: {"n", "seconds", "gflops", "threads", "blas"}. The thread count is the one OpenBLAS
really uses (queried from the loaded library), so set OPENBLAS_NUM_THREADS in the environment to
choose it. With --write-c the product is written back as C.f64 for a correctness check.
"""
import ctypes
import os

from common import emit, load, median_time, parser, save, skip


def blas_info(np):
    """The BLAS numpy uses and its current thread count (None when it cannot be queried)."""
    info = {"blas": None, "threads": None}
    try:
        deps = np.__config__.CONFIG.get("Build Dependencies", {}).get("blas", {})
        info["blas"] = f"{deps.get('name', '?')} {deps.get('version', '?')}"
    except Exception:  # numpy without a CONFIG dict
        pass
    # Make sure the BLAS library is loaded, then find it among the mapped files.
    np.dot(np.ones((2, 2)), np.ones((2, 2)))
    try:
        with open("/proc/self/maps") as maps:
            libs = sorted({line.split()[-1] for line in maps if "openblas" in line.lower() and ".so" in line})
    except OSError:
        libs = []
    names = [
        "scipy_openblas_get_num_threads64_",
        "scipy_openblas_get_num_threads",
        "openblas_get_num_threads64_",
        "openblas_get_num_threads",
    ]
    for path in libs:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in names:
            fn = getattr(lib, name, None)
            if fn is not None:
                fn.restype = ctypes.c_int
                info["threads"] = int(fn())
                return info
    env = os.environ.get("OPENBLAS_NUM_THREADS")
    if env and env.isdigit():
        info["threads"] = int(env)
    return info


def main():
    p = parser("numpy matmul GFLOP/s on the given square matrices")
    p.add_argument("--n", type=int, required=True, help="matrix order")
    p.add_argument("--repeats", type=int, default=7, help="timed calls (median), default 7")
    p.add_argument("--min-seconds", type=float, default=0.3, help="keep timing at least this long")
    p.add_argument("--write-c", action="store_true", help="write the product as C.f64")
    args = p.parse_args()
    try:
        import numpy as np
    except ImportError:
        skip("numpy is not installed")
    n = args.n
    A = load(np, args.dir, "A")
    B = load(np, args.dir, "B")
    if A.size != n * n or B.size != n * n:
        raise SystemExit(f"matmul.py: A has {A.size} and B {B.size} values; expected n*n = {n * n}")
    A = A.reshape(n, n)
    B = B.reshape(n, n)
    C = np.empty((n, n))
    seconds = median_time(lambda: np.matmul(A, B, out=C), args.repeats, warmup=2, min_seconds=args.min_seconds)
    out = {"n": n, "seconds": seconds, "gflops": 2.0 * n**3 / seconds / 1e9, "numpy": np.__version__}
    out.update(blas_info(np))
    if args.write_c:
        save(np, args.dir, "C", C)
        out["outputs"] = ["C"]
    emit(out)


if __name__ == "__main__":
    main()
