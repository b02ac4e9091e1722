"""numpy reference for optkit's BLAS-1 benchmark (packages/core/src/benchmarks/dense.ts).

Reads x.f64 and y.f64 (equal lengths) from --dir and times np.dot(x, y) and np.linalg.norm(x)
(median over --repeats calls after 2 warm-ups, at least --min-seconds each). Prints one JSON line:
{"n", "dot_seconds", "norm_seconds", "dot", "norm", "threads", "blas"}. Note that numpy's norm of a
1-D float array is sqrt(dot(x, x)): fast, but not protected against overflow and underflow the way
BLAS dnrm2 (and optkit's nrm2) are.
"""
from common import emit, load, median_time, parser, skip
from matmul import blas_info


def main():
    p = parser("numpy dot and norm times on the given vectors")
    p.add_argument("--repeats", type=int, default=9, help="timed calls (median), default 9")
    p.add_argument("--min-seconds", type=float, default=0.2, help="keep timing at least this long")
    args = p.parse_args()
    try:
        import numpy as np
    except ImportError:
        skip("numpy is not installed")
    x = load(np, args.dir, "x")
    y = load(np, args.dir, "y")
    if x.size != y.size:
        raise SystemExit(f"blas1.py: x has {x.size} values and y {y.size}; expected equal lengths")
    dot_seconds = median_time(lambda: np.dot(x, y), args.repeats, warmup=2, min_seconds=args.min_seconds)
    norm_seconds = median_time(lambda: np.linalg.norm(x), args.repeats, warmup=2, min_seconds=args.min_seconds)
    out = {
        "n": int(x.size),
        "dot_seconds": dot_seconds,
        "norm_seconds": norm_seconds,
        "dot": float(np.dot(x, y)),
        "norm": float(np.linalg.norm(x)),
        "numpy": np.__version__,
    }
    out.update(blas_info(np))
    emit(out)


if __name__ == "__main__":
    main()
