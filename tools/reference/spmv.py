"""scipy reference for optkit's `core.spmv` benchmark: y = A @ x for a CSR matrix.

Inputs (see common.py): indptr.i32, indices.i32 (int32) and values.f64, x.f64 (float64) describe
A in CSR form exactly as optkit holds it, so both sides multiply the same matrix. scipy builds
`csr_matrix((values, indices, indptr))` without copying or re-sorting; the timed call is `A @ x`
(it allocates y, as optkit's timed call into a preallocated y does not; scipy's raw `csr_matvec`
into a preallocated y measured the same, PERF-BASELINE.md section 3).

Output: {"ms": median ms per product, "nnz", "canonical", versions, "outputs": ["y"]} and y.f64.
Run with OPENBLAS_NUM_THREADS=1 (SpMV does not use BLAS, but the setting keeps runs comparable).
"""
from common import parser, load, save, emit, skip, median_time

p = parser("scipy CSR SpMV reference")
p.add_argument("--rows", type=int, required=True)
p.add_argument("--cols", type=int, required=True)
p.add_argument("--repeats", type=int, default=50, help="timed calls (at least)")
p.add_argument("--warmup", type=int, default=5)
p.add_argument("--min-seconds", type=float, default=0.3, help="keep timing until this much time has passed")
a = p.parse_args()

try:
    import numpy as np
    import scipy
    import scipy.sparse as sp
except ImportError as e:  # pragma: no cover - depends on the machine
    skip(f"scipy not available: {e}")

indptr = load(np, a.dir, "indptr", "i32")
indices = load(np, a.dir, "indices", "i32")
values = load(np, a.dir, "values", "f64")
x = load(np, a.dir, "x", "f64")

A = sp.csr_matrix((values, indices, indptr), shape=(a.rows, a.cols), copy=False)
canonical = bool(A.has_canonical_format)
y = A @ x
seconds = median_time(lambda: A @ x, a.repeats, warmup=a.warmup, min_seconds=a.min_seconds)
save(np, a.dir, "y", y)
emit({
    "ms": seconds * 1e3,
    "nnz": int(A.nnz),
    "canonical": canonical,
    "indexDtype": str(A.indices.dtype),
    "scipy": scipy.__version__,
    "numpy": np.__version__,
    "outputs": ["y"],
})
