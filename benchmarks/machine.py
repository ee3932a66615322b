"""What the CPUs of this machine share: read bandwidth of one thread alone and of two at once.

Every "2 workers" or "2 threads" goal in this folder assumes two cores that each bring their own
caches. This script checks that on the machine it runs on. Each thread sums its own array
(vectorised loads; the array is read ``reps`` times), first one thread alone, then two threads
at once, each on an array of the same size, for sizes from L1-resident to memory-resident.

* Two real cores, each with a private L2: up to the L2 size, two threads take about as long
  as one (ratio near 1), because each reads its own caches.
* Two hardware threads of one core (SMT siblings), which a VM may present as two "cores": they
  share the core's L1 and L2, so once two arrays no longer fit where one did, or the cache's
  bandwidth is the limit, the pair takes up to 2x as long as one thread (ratio near 2) or
  longer when the two arrays together spill to L3.

``ratio = time of two threads at once / time of one thread`` (each thread doing the same work);
best of ``--repeat`` runs, taken in turn.

Run: ``python benchmarks/machine.py [--json] [--repeat N]``.
"""
import argparse
import json
import platform
import sys
import threading
import time

import numba
import numpy as np


@numba.njit(nogil=True, fastmath=True, cache=True)
def _read(a, reps):
    s = 0.0
    for _ in range(reps):
        for i in range(a.shape[0]):
            s += a[i]
    return s


def _alone(a, reps):
    t0 = time.perf_counter()
    _read(a, reps)
    return time.perf_counter() - t0


def _pair(a, b, reps):
    other = threading.Thread(target=_read, args=(b, reps))
    t0 = time.perf_counter()
    other.start()
    _read(a, reps)
    other.join()
    return time.perf_counter() - t0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", action="store_true", help="one JSON object per size")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each case, in turn (default 3)")
    args = ap.parse_args(argv)
    total_bytes = 16e9  # bytes each thread reads per run (0.1-0.6 s here)
    rows = []
    for kib in (16, 256, 1536, 16384):
        n = kib * 1024 // 8
        a, b = np.ones(n), np.ones(n)
        reps = max(1, int(total_bytes // (8 * n)))
        _read(a, 1)
        one = two = float("inf")
        for _ in range(max(1, args.repeat)):
            one = min(one, _alone(a, reps))
            two = min(two, _pair(a, b, reps))
        rows.append(dict(benchmark="machine", case="%d KiB per thread" % kib, one_thread_s=one,
                         one_thread_gb_s=8 * n * reps / one / 1e9, two_threads_s=two, ratio=two / one))
    if args.json:
        for r in rows:
            print(json.dumps(r))
    else:
        print("%s, %s; %d logical CPUs" % (platform.processor() or platform.machine(), platform.python_version(),
                                            numba.config.NUMBA_NUM_THREADS))
        print("| array per thread | one thread (s) | GB/s | two threads at once (s) | ratio |")
        print("|---|---:|---:|---:|---:|")
        for r in rows:
            print("| %s | %.3f | %.1f | %.3f | %.2f |" % (r["case"], r["one_thread_s"], r["one_thread_gb_s"],
                                                        r["two_threads_s"], r["ratio"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
