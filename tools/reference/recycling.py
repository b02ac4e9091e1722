"""scipy reference for optkit's `linalg.recycling` benchmark: a sequence of sparse systems solved with
scipy.sparse.linalg.gmres (restart m, independent solves) and scipy.sparse.linalg.gcrotmk (GCROT(m, k),
the closest scipy analogue of GCRO-DR), without recycling and recycling its `CU` list across the
sequence (discard_C=True, since A changes), in input order and in the order optkit's SKR sorted.

Inputs (see common.py): the systems as CSR arrays, concatenated: indptr.i32 (count·(n+1)), indices.i32
and values.f64 (all nonzeros, system after system), nnz.i32 (count), b.f64 (count·n), order.i32 (count,
the SKR order). Every solve starts from x0 = 0 with rtol given, atol = 0.

Output: {"methods": {name: {"seconds", "secondsRuns", "iterations", "matvecs", "maxRelRes", "converged"}},
versions}. `seconds` is the median over --repeats runs of the whole sequence (plain CSR operator);
matvecs (every product with A, counted by a wrapper in one extra run), iterations (scipy gmres: inner
iterations via callback_type='pr_norm'; gcrotmk: outer iterations via callback) and the residuals
come from the counting run. Run with OPENBLAS_NUM_THREADS=1.
"""
import time

from common import parser, load, emit, skip

p = parser("scipy gmres / gcrotmk over a sequence of systems")
p.add_argument("--n", type=int, required=True)
p.add_argument("--count", type=int, required=True)
p.add_argument("--rtol", type=float, default=1e-8)
p.add_argument("--m", type=int, default=40, help="GMRES restart")
p.add_argument("--gcrot-m", type=int, default=20, help="gcrotmk inner GMRES steps")
p.add_argument("--gcrot-k", type=int, default=20, help="gcrotmk recycled vectors")
p.add_argument("--max-inner", type=int, default=10000, help="most inner iterations per system")
p.add_argument("--repeats", type=int, default=1)
a = p.parse_args()

try:
    import numpy as np
    import scipy
    import scipy.sparse as sp
    from scipy.sparse.linalg import LinearOperator, gcrotmk, gmres
except ImportError as e:  # pragma: no cover - depends on the machine
    skip(f"scipy not available: {e}")

n, count = a.n, a.count
indptr_all = load(np, a.dir, "indptr", "i32")
indices_all = load(np, a.dir, "indices", "i32")
values_all = load(np, a.dir, "values", "f64")
nnz = load(np, a.dir, "nnz", "i32")
b_all = load(np, a.dir, "b", "f64")
order = [int(i) for i in load(np, a.dir, "order", "i32")]

systems = []
off = 0
for i in range(count):
    ip = indptr_all[i * (n + 1):(i + 1) * (n + 1)]
    nz = int(nnz[i])
    A = sp.csr_matrix((values_all[off:off + nz], indices_all[off:off + nz], ip), shape=(n, n))
    off += nz
    systems.append((A, b_all[i * n:(i + 1) * n].copy()))


class Counter:
    def __init__(self):
        self.matvecs = 0
        self.iterations = 0


def counting(A, c):
    def mv(v):
        c.matvecs += 1
        return A @ v
    return LinearOperator(A.shape, matvec=mv, dtype=np.float64)


def run(method, count_ops):
    """Solves the whole sequence; returns (seconds, iterations, matvecs, max rel. residual, converged)."""
    c = Counter()
    CU = []
    seq = order if method == "gcrotmk-sorted" else range(count)
    worst = 0.0
    converged = 0
    t0 = time.perf_counter()
    for i in seq:
        A, b = systems[i]
        op = counting(A, c) if count_ops else A

        def cb(_arg):
            c.iterations += 1

        if method == "gmres":
            x, info = gmres(op, b, rtol=a.rtol, atol=0.0, restart=a.m, maxiter=max(1, a.max_inner // a.m),
                            callback=cb if count_ops else None, callback_type="pr_norm")
        else:
            recycle = CU if method in ("gcrotmk-recycle", "gcrotmk-sorted") else None
            x, info = gcrotmk(op, b, rtol=a.rtol, atol=0.0, m=a.gcrot_m, k=a.gcrot_k,
                              maxiter=max(1, a.max_inner // a.gcrot_m), CU=recycle, discard_C=True,
                              callback=cb if count_ops else None)
        if count_ops:
            rel = float(np.linalg.norm(b - A @ x) / np.linalg.norm(b))
            worst = max(worst, rel)
            converged += int(info == 0)
    return time.perf_counter() - t0, c.iterations, c.matvecs, worst, converged


out = {}
for method in ("gmres", "gcrotmk", "gcrotmk-recycle", "gcrotmk-sorted"):
    _, its, mvs, worst, conv = run(method, True)
    times = [run(method, False)[0] for _ in range(a.repeats)]
    times.sort()
    out[method] = {
        "seconds": times[len(times) // 2],
        "secondsRuns": times,
        "iterations": its,
        "matvecs": mvs,
        "maxRelRes": worst,
        "converged": conv,
    }
emit({"methods": out, "scipy": scipy.__version__, "numpy": np.__version__})
