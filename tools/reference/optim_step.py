"""numpy reference for optkit's optimizer-step benchmark (packages/optim/src/benchmarks/step.ts).

Times one in-place optimizer step on float32 arrays of --n parameters, written the careful numpy way
(ufuncs with out=, one or two preallocated scratch arrays, no temporaries of size n), for each of
--kinds (comma-separated: lion, adamw, lamb). Hyperparameters match the benchmark: lr 1e-4, betas
(0.9, 0.99) and weight decay 0 for Lion; lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0.01 for
AdamW; LAMB as AdamW plus the trust ratio ||theta|| / ||update|| (weight decay 0.01, eps 1e-6). The
arrays are generated here (seeded) rather than passed in, since only the time matters. Prints one JSON
line: {"n", "<kind>_seconds" for each kind, "numpy"}.
"""
from common import emit, median_time, parser, skip


def main():
    p = parser("numpy in-place optimizer step times")
    p.add_argument("--n", type=int, required=True, help="number of float32 parameters")
    p.add_argument("--kinds", default="lion,adamw", help="comma-separated: lion, adamw, lamb")
    p.add_argument("--repeats", type=int, default=7, help="timed calls (median), default 7")
    p.add_argument("--min-seconds", type=float, default=0.5, help="keep timing at least this long")
    args = p.parse_args()
    try:
        import numpy as np
    except ImportError:
        skip("numpy is not installed")
    n = args.n
    rng = np.random.default_rng(1)
    f32 = np.float32
    theta = rng.uniform(-1, 1, n).astype(f32)
    g = rng.standard_normal(n).astype(f32)
    m = np.zeros(n, f32)
    v = np.zeros(n, f32)
    c = np.empty(n, f32)
    tmp = np.empty(n, f32)
    state = {"t": 0}

    def lion_step(lr=1e-4, b1=0.9, b2=0.99):
        np.multiply(m, f32(b1), out=c)
        np.multiply(g, f32(1 - b1), out=tmp)
        np.add(c, tmp, out=c)
        np.sign(c, out=c)
        np.multiply(c, f32(lr), out=c)
        np.subtract(theta, c, out=theta)
        np.multiply(m, f32(b2), out=m)
        np.multiply(g, f32(1 - b2), out=tmp)
        np.add(m, tmp, out=m)

    def adam_direction(b1, b2, eps):
        state["t"] += 1
        t = state["t"]
        np.multiply(m, f32(b1), out=m)
        np.multiply(g, f32(1 - b1), out=tmp)
        np.add(m, tmp, out=m)
        np.multiply(v, f32(b2), out=v)
        np.multiply(g, g, out=tmp)
        np.multiply(tmp, f32(1 - b2), out=tmp)
        np.add(v, tmp, out=v)
        # c = (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
        np.multiply(v, f32(1 / (1 - b2 ** t)), out=c)
        np.sqrt(c, out=c)
        np.add(c, f32(eps), out=c)
        np.divide(m, c, out=c)
        np.multiply(c, f32(1 / (1 - b1 ** t)), out=c)

    def adamw_step(lr=1e-3, b1=0.9, b2=0.999, eps=1e-8, wd=0.01):
        adam_direction(b1, b2, eps)
        np.multiply(theta, f32(wd), out=tmp)
        np.add(c, tmp, out=c)
        np.multiply(c, f32(lr), out=c)
        np.subtract(theta, c, out=theta)

    def lamb_step(lr=1e-3, b1=0.9, b2=0.999, eps=1e-6, wd=0.01):
        adam_direction(b1, b2, eps)
        np.multiply(theta, f32(wd), out=tmp)
        np.add(c, tmp, out=c)
        wn = float(np.linalg.norm(theta))
        un = float(np.linalg.norm(c))
        ratio = wn / un if wn > 0 and un > 0 else 1.0
        np.multiply(c, f32(lr * ratio), out=c)
        np.subtract(theta, c, out=theta)

    steps = {"lion": lion_step, "adamw": adamw_step, "lamb": lamb_step}
    out = {"n": n, "numpy": np.__version__}
    for kind in args.kinds.split(","):
        if kind not in steps:
            raise SystemExit(f"optim_step.py: unknown kind {kind!r}; expected lion, adamw or lamb")
        out[f"{kind}_seconds"] = median_time(steps[kind], args.repeats, warmup=2, min_seconds=args.min_seconds)
    emit(out)


if __name__ == "__main__":
    main()
