# GFLOP/s of x @ W.T, dOut @ W and dOut.T @ x per shape, timed by process CPU time (robust to other load);
# run with OPENBLAS_NUM_THREADS=1 to compare with CpuTimeLinear. Prints median [second smallest..largest] of 7 runs.
import numpy as np, time, sys
for shape in sys.argv[1:]:
    n, i, o = map(int, shape.split('x'))
    r = np.random.default_rng(1)
    x = r.standard_normal((n, i), dtype=np.float32); w = r.standard_normal((o, i), dtype=np.float32)
    d = r.standard_normal((n, o), dtype=np.float32)
    gf = 2.0 * n * i * o / 1e9
    res = []
    for name, f in [("fwd", lambda: x @ w.T), ("dx", lambda: d @ w), ("dW", lambda: d.T @ x)]:
        rates = []
        for rep in range(7):
            t0 = time.process_time(); c = 0
            while time.process_time() - t0 < 0.3:
                f(); c += 1
            rates.append(gf * c / (time.process_time() - t0))
        rates.sort()
        res.append(f"{name} {rates[3]:.1f} [{rates[1]:.1f}..{rates[6]:.1f}]")
    print(shape, "  ".join(res))
