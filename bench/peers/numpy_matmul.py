"""OpenBLAS (through numpy) float32 GFLOP/s for the three products of a linear layer, at the shapes of
LinearBench. Run it as bench/README.md shows: with OPENBLAS_NUM_THREADS set and with OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE unset (they force an older kernel)."""
import statistics
import sys
import time

import numpy as np

SHAPES = [(512, 128, 512), (1024, 256, 768), (1024, 1024, 256), (512, 384, 50304)]


def gflops(f, flop, seconds=1.0, runs=5):
    f()  # warm up
    rates = []
    for _ in range(runs):
        calls, start = 0, time.perf_counter()
        while True:
            f()
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= seconds:
                break
        rates.append(flop * calls / elapsed / 1e9)
    return statistics.median(rates)


def main():
    shapes = SHAPES if len(sys.argv) < 2 else [tuple(int(v) for v in s.split("x")) for s in sys.argv[1:]]
    rng = np.random.default_rng(1)
    print(f"numpy {np.__version__}")
    for n, k, m in shapes:
        x = rng.standard_normal((n, k), dtype=np.float32)
        w = rng.standard_normal((m, k), dtype=np.float32)
        d_out = rng.standard_normal((n, m), dtype=np.float32)
        out = np.empty((n, m), np.float32)
        dx = np.empty((n, k), np.float32)
        dw = np.empty((m, k), np.float32)
        flop = 2.0 * n * k * m
        fwd = gflops(lambda: np.matmul(x, w.T, out=out), flop)
        inp = gflops(lambda: np.matmul(d_out, w, out=dx), flop)
        wgt = gflops(lambda: np.matmul(d_out.T, x, out=dw), flop)
        print(f"{n}x{k}x{m}  forward {fwd:7.1f}  inputGradient {inp:7.1f}  weightGradient {wgt:7.1f}  GFLOP/s")


if __name__ == "__main__":
    main()
