"""scipy reference for optkit's `linalg.lsqr` benchmark and the LSQR known-answer test.

Inputs (see common.py): A.f64 (row-major rows x cols float64) and b.f64. The script runs
`scipy.sparse.linalg.lsqr(A, b, atol, btol, conlim, iter_lim)` on the dense ndarray A (products are
numpy dgemv through OpenBLAS; run with OPENBLAS_NUM_THREADS=1 to compare with optkit's one thread).
With --sparse the inputs are instead the CSR arrays indptr.i32, indices.i32, data.f64 (canonical, as
optkit's CsrMatrix holds them) and b.f64, and A is a scipy.sparse.csr_matrix (products by scipy's
csr_matvec / csr_matvecs). --cond is ignored for sparse A.

Modes:
- default: one solve; outputs x.f64 and {itn, istop, r1norm, r2norm, anorm, acond, arnorm, xnorm}.
- --time: additionally the median wall time of the whole solve over --repeats calls ("ms"), and, with
  --per-iter K > 0, the median time of a fixed K-iteration run (atol = btol = conlim = 0, so no test can
  stop it early) divided by K ("msPerIter").
Also reports cond(A) from numpy's SVD when --cond is given, and the numpy/scipy versions.
"""
import time

from common import parser, load, save, emit, skip, median_time

p = parser("scipy.sparse.linalg.lsqr reference")
p.add_argument("--rows", type=int, required=True)
p.add_argument("--cols", type=int, required=True)
p.add_argument("--atol", type=float, default=1e-6)
p.add_argument("--btol", type=float, default=1e-6)
p.add_argument("--conlim", type=float, default=1e8)
p.add_argument("--iter-lim", type=int, default=0, help="0: scipy's default 2*cols")
p.add_argument("--damp", type=float, default=0.0)
p.add_argument("--time", action="store_true")
p.add_argument("--repeats", type=int, default=3)
p.add_argument("--per-iter", type=int, default=0)
p.add_argument("--cond", action="store_true")
p.add_argument("--sparse", action="store_true")
a = p.parse_args()

try:
    import numpy as np
    import scipy
    from scipy.sparse import csr_matrix
    from scipy.sparse.linalg import lsqr
except ImportError as e:  # pragma: no cover - depends on the machine
    skip(f"scipy not available: {e}")

if a.sparse:
    A = csr_matrix(
        (load(np, a.dir, "data"), load(np, a.dir, "indices", "i32"), load(np, a.dir, "indptr", "i32")),
        shape=(a.rows, a.cols),
    )
else:
    A = load(np, a.dir, "A").reshape(a.rows, a.cols)
b = load(np, a.dir, "b")
iter_lim = a.iter_lim if a.iter_lim > 0 else None


def solve():
    return lsqr(A, b, damp=a.damp, atol=a.atol, btol=a.btol, conlim=a.conlim, iter_lim=iter_lim)


x, istop, itn, r1norm, r2norm, anorm, acond, arnorm, xnorm, _var = solve()
save(np, a.dir, "x", x)
out = {
    "itn": int(itn),
    "istop": int(istop),
    "r1norm": float(r1norm),
    "r2norm": float(r2norm),
    "anorm": float(anorm),
    "acond": float(acond),
    "arnorm": float(arnorm),
    "xnorm": float(xnorm),
    "trueResidual": float(np.linalg.norm(b - A @ x)),
    "scipy": scipy.__version__,
    "numpy": np.__version__,
    "outputs": ["x"],
}
if a.time:
    cpu0, wall0 = time.process_time(), time.perf_counter()
    out["ms"] = median_time(solve, a.repeats, warmup=1) * 1e3
    if a.per_iter > 0:
        k = a.per_iter
        fixed = lambda: lsqr(A, b, damp=a.damp, atol=0, btol=0, conlim=0, iter_lim=k)
        itn_fixed = fixed()[2]
        out["perIterRun"] = int(itn_fixed)
        out["msPerIter"] = median_time(fixed, a.repeats, warmup=1) * 1e3 / max(itn_fixed, 1)
    out["cpuPerWall"] = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
if a.cond and not a.sparse:
    s = np.linalg.svd(A, compute_uv=False)
    out["cond"] = float(s[0] / s[-1])
emit(out)
