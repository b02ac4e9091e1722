"""scipy reference for optkit's `linalg.krylov` benchmark: CG and GMRES(restart) time per iteration.

Inputs (see common.py): indptr.i32, indices.i32, values.f64 (A in CSR form exactly as optkit holds
it) and b.f64. Each solver runs a fixed number of iterations from x0 = 0 with rtol = 1e-300, atol = 0
(so it never stops early), counted with a callback: `cg(..., callback=cb)` is called once per
iteration; `gmres(..., callback=cb, callback_type='pr_norm')` once per inner iteration, with
`maxiter` = the number of restart cycles. Time per iteration = the whole call's time / the counted
iterations, median over `--repeats` calls after one warm-up call.

With `--formats csr,dia` the solvers also run on `A.todia()` (scipy's DIA storage of the same
matrix, converted once, outside the timing), so a comparison can say which storage each side uses.
`--spmv-repeats k` (k > 0) also times the bare product `A @ b` in each format (median of k calls).

Output: {"cg": {"msPerIter", "timesMs" (per-iteration wall ms of every timed call), "cpuMs" (the
same in process CPU time), "iterations", "residual" (‖b − A x‖ at exit)}, "gmres": {...},
"cpuPerWall", versions, and with dia: "dia": {"cg": {...}, "gmres": {...}}; with --spmv-repeats:
"spmv": {"csr": {"ms", "timesMs"}, "dia": {...}}}. The CSR results stay at the top level.
Run with OPENBLAS_NUM_THREADS=1: the vector operations call BLAS, and the optkit side is one thread.
"""
import time

from common import parser, load, emit, skip

p = parser("scipy CG / GMRES per-iteration reference")
p.add_argument("--rows", type=int, required=True)
p.add_argument("--cg-iters", type=int, default=200)
p.add_argument("--gmres-cycles", type=int, default=6)
p.add_argument("--restart", type=int, default=30)
p.add_argument("--repeats", type=int, default=3)
p.add_argument("--solvers", default="cg,gmres")
p.add_argument("--formats", default="csr", help="comma-separated: csr (always run) and/or dia")
p.add_argument("--spmv-repeats", type=int, default=0)
a = p.parse_args()

try:
    import numpy as np
    import scipy
    import scipy.sparse as sp
    import scipy.sparse.linalg as spla
except ImportError as e:  # pragma: no cover - depends on the machine
    skip(f"scipy not available: {e}")

indptr = load(np, a.dir, "indptr", "i32")
indices = load(np, a.dir, "indices", "i32")
values = load(np, a.dir, "values", "f64")
b = load(np, a.dir, "b", "f64")
A_csr = sp.csr_matrix((values, indices, indptr), shape=(a.rows, a.rows), copy=False)
A = A_csr


def run_cg():
    count = [0]

    def cb(_xk):
        count[0] += 1

    c0, t0 = time.process_time(), time.perf_counter()
    x, _info = spla.cg(A, b, rtol=1e-300, atol=0.0, maxiter=a.cg_iters, callback=cb)
    return time.perf_counter() - t0, time.process_time() - c0, count[0], x


def run_gmres():
    count = [0]

    def cb(_pr_norm):
        count[0] += 1

    c0, t0 = time.process_time(), time.perf_counter()
    x, _info = spla.gmres(A, b, rtol=1e-300, atol=0.0, restart=a.restart, maxiter=a.gmres_cycles,
                          callback=cb, callback_type="pr_norm")
    return time.perf_counter() - t0, time.process_time() - c0, count[0], x


def measure(fn):
    fn()  # warm-up
    per_iter = []
    cpu_per_iter = []
    iterations = 0
    x = None
    for _ in range(a.repeats):
        t, c, iterations, x = fn()
        per_iter.append(t / iterations * 1e3)
        cpu_per_iter.append(c / iterations * 1e3)
    ordered = sorted(per_iter)
    return {
        "msPerIter": ordered[len(ordered) // 2],
        "timesMs": per_iter,
        "cpuMs": cpu_per_iter,
        "iterations": iterations,
        "residual": float(np.linalg.norm(b - A @ x)),
    }


def measure_spmv(M):
    for _ in range(5):
        M @ b
    times = []
    for _ in range(a.spmv_repeats):
        t0 = time.perf_counter()
        M @ b
        times.append((time.perf_counter() - t0) * 1e3)
    return {"ms": sorted(times)[len(times) // 2], "timesMs": times}


out = {"scipy": scipy.__version__, "numpy": np.__version__}
cpu0, wall0 = time.process_time(), time.perf_counter()
solvers = a.solvers.split(",")
formats = a.formats.split(",")
matrices = {"csr": A_csr}
if "dia" in formats:
    matrices["dia"] = A_csr.todia()
for fmt, M in matrices.items():
    A = M  # run_cg / run_gmres read the global A
    target = out if fmt == "csr" else out.setdefault(fmt, {})
    if "cg" in solvers:
        target["cg"] = measure(run_cg)
    if "gmres" in solvers:
        target["gmres"] = measure(run_gmres)
    if a.spmv_repeats > 0:
        out.setdefault("spmv", {})[fmt] = measure_spmv(M)
out["cpuPerWall"] = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
emit(out)
