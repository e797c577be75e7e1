#!/usr/bin/env python3
"""X.T @ X with the BLAS that numpy was built against (Debian's numpy: the libblas.so.3 alternative, OpenBLAS once
libopenblas0 is installed), at the sizes of bench/GramSpeed.java: median and range of REPEATS after one warm-up, in
GFLOP/s by dsyrk's convention (in*(in+1)/2 * tokens * 2 flops). Threads: OPENBLAS_NUM_THREADS, set before numpy loads.

    OPENBLAS_NUM_THREADS=1 python3 bench/gram_speed_blas.py OUT.json
Environment: SIZES (default "288:4096,768:4096,4096:1024,14336:512"), REPEATS (default 5), DTYPES (default
"float64,float32").
"""
import json
import os
import sys
import time

import numpy as np


def main():
    sizes = [tuple(int(v) for v in s.split(":")) for s in os.environ.get(
        "SIZES", "288:4096,768:4096,4096:1024,14336:512").split(",")]
    repeats = int(os.environ.get("REPEATS", "5"))
    dtypes = os.environ.get("DTYPES", "float64,float32").split(",")
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "unset")
    rows = []
    rng = np.random.default_rng(17)
    for n_in, tokens in sizes:
        gigaflops = n_in * (n_in + 1) / 2 * tokens * 2 / 1e9
        for dtype in dtypes:
            x = rng.standard_normal((tokens, n_in)).astype(dtype)
            x.T @ x  # warm-up: the BLAS's buffers and threads
            rates = []
            for _ in range(repeats):
                start = time.perf_counter()
                x.T @ x
                rates.append(gigaflops / (time.perf_counter() - start))
            ordered = sorted(rates)
            n = len(ordered)
            median = ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2
            rows.append({"in": n_in, "tokens": tokens, "threads": threads, "dtype": dtype,
                         "gflopsPerSecond": {"median": median, "min": ordered[0], "max": ordered[-1],
                                             "samples": rates},
                         "loadAverage": os.getloadavg()[0]})
            print(f"in {n_in:5d} tokens {tokens:5d} threads {threads} {dtype}: {median:.1f} "
                  f"[{ordered[0]:.1f}-{ordered[-1]:.1f}] GFLOP/s", flush=True)
    with open(sys.argv[1], "w") as out:
        json.dump({"numpy": np.__version__, "coretype": os.environ.get("OPENBLAS_CORETYPE", "auto"),
                   "repeats": repeats, "rows": rows}, out, indent=2)


if __name__ == "__main__":
    main()
