"""scipy reference for optkit's `core.spmv` benchmark: y = A @ x for a CSR matrix.

Inputs (see common.py): indptr.i32, indices.i32 (int32) and values.f64, x.f64 (float64) describe
A in CSR form exactly as optkit holds it, so both sides multiply the same matrix. scipy builds
`csr_matrix((values, indices, indptr))` without copying or re-sorting; the timed call is `A @ x`
(it allocates y, as optkit's timed call into a preallocated y does not; scipy's raw `csr_matvec`
into a preallocated y measured the same, PERF-BASELINE.md section 3).

Output: {"ms": median ms per product, "timesMs": every timed call (so the caller can pool several
runs), "nnz", "canonical", "cpuPerWall" (process CPU time per wall time while timing: below 1.0,
other load took the core), versions, "outputs": ["y"]} and y.f64.
With --dia, "dia": {"ms", "timesMs", "diagonals", "maxAbsDiff" (against the CSR product)} times
scipy's DIA storage of the same matrix (`A.todia()`, converted outside the timing) for context.
Run with OPENBLAS_NUM_THREADS=1 (SpMV does not use BLAS, but the setting keeps runs comparable).
"""
import time

from common import parser, load, save, emit, skip

p = parser("scipy CSR SpMV reference")
p.add_argument("--rows", type=int, required=True)
p.add_argument("--cols", type=int, required=True)
p.add_argument("--repeats", type=int, default=20, help="timed calls (at least)")
p.add_argument("--warmup", type=int, default=5)
p.add_argument("--min-seconds", type=float, default=0.3, help="keep timing until this much time has passed")
p.add_argument("--dia", action="store_true", help="also time A.todia() @ x (scipy's DIA storage, converted untimed)")
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
for _ in range(a.warmup):
    A @ x
times = []
cpu0, wall0 = time.process_time(), time.perf_counter()
while len(times) < a.repeats or time.perf_counter() - wall0 < a.min_seconds:
    t0 = time.perf_counter()
    A @ x
    times.append(time.perf_counter() - t0)
cpu_per_wall = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
save(np, a.dir, "y", y)
ordered = sorted(times)
extra = {}
if a.dia:
    D = A.todia()
    y_dia = D @ x
    for _ in range(a.warmup):
        D @ x
    dia_times = []
    wall1 = time.perf_counter()
    while len(dia_times) < a.repeats or time.perf_counter() - wall1 < a.min_seconds:
        t0 = time.perf_counter()
        D @ x
        dia_times.append(time.perf_counter() - t0)
    dia_times.sort()
    extra["dia"] = {
        "ms": dia_times[len(dia_times) // 2] * 1e3,
        "timesMs": [t * 1e3 for t in dia_times],
        "diagonals": int(D.offsets.size),
        "maxAbsDiff": float(np.max(np.abs(y_dia - y))) if y.size else 0.0,
    }
emit({
    **extra,
    "ms": ordered[len(ordered) // 2] * 1e3,
    "timesMs": [t * 1e3 for t in times],
    "nnz": int(A.nnz),
    "canonical": canonical,
    "cpuPerWall": cpu_per_wall,
    "indexDtype": str(A.indices.dtype),
    "scipy": scipy.__version__,
    "numpy": np.__version__,
    "outputs": ["y"],
})
