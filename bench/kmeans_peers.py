"""bench/kmeans's Python side.
  gen OBS VARS K SEED DIR   writes DIR/X.npy (groups of rows, Fortran order) and DIR/C0.npy (k distinct rows)
  peers DIR ITERS THREADS   times, per Lloyd iteration on those files, from C0:
    sklearn  KMeans(init=C0, n_init=1, algorithm="lloyd", tol=0): (time of ITERS iterations - time of 1)
             / (ITERS - 1), so that input checks and the final assignment are left out, each time the
             faster of two fits, after one untimed fit; THREADS threads through threadpoolctl where present
    numpy    the best NumPy form: distances by chunked GEMM (||c||^2 - 2 X_chunk C^T), argmin, bincount
             sums; the faster of chunks of 2048 and 16384 rows, 2 iterations each
    floor    the GEMMs of the distances alone (X_chunk C^T into a preallocated array), the faster chunk
             size, 2 iterations each: no k-means iteration can take less on this BLAS
  Prints "name_s_per_iteration: T" lines (and the floor's GFLOP/s)."""
import os
import sys
import time

import numpy as np


def gen(obs, vars_, k, seed, folder):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=3.0, size=(k, vars_))
    X = np.asfortranarray(centres[rng.integers(0, k, size=obs)] + rng.normal(size=(obs, vars_)))
    np.save(os.path.join(folder, "X.npy"), X)
    np.save(os.path.join(folder, "C0.npy"), X[rng.choice(obs, size=k, replace=False)])


def thread_limit(threads):
    try:
        from threadpoolctl import threadpool_limits
        return threadpool_limits(limits=threads)
    except ImportError:
        print("note: threadpoolctl absent: BLAS and OpenMP threads as the environment sets them")
        return None


def sklearn_per_iteration(X, C0, iters):
    try:
        from sklearn.cluster import KMeans
    except ImportError as e:
        print(f"sklearn: skipped ({e}; Debian: apt-get install python3-sklearn)")
        return None
    # A first fit pays once what later ones reuse (first-touch pages of its C-order copy of X and
    # buffers, OpenMP's threads): untimed, or the difference below would leave it out of one side only.
    KMeans(n_clusters=len(C0), init=C0, n_init=1, algorithm="lloyd", max_iter=1, tol=0).fit(X)
    times = {}
    for n in (1, iters):
        for _ in range(2):  # the faster of two fits: one fit's fixed costs vary by a whole iteration here
            start = time.perf_counter()
            km = KMeans(n_clusters=len(C0), init=C0, n_init=1, algorithm="lloyd", max_iter=n, tol=0).fit(X)
            times[n] = min(times.get(n, float("inf")), time.perf_counter() - start)
        if km.n_iter_ != n:
            print(f"note: scikit-learn stopped after {km.n_iter_} of {n} iterations")
    return (times[iters] - times[1]) / (iters - 1)


def numpy_iteration(X, C, chunk, scores):
    n, k = X.shape[0], C.shape[0]
    cnorm = np.einsum("ij,ij->i", C, C)
    labels = np.empty(n, dtype=np.intp)
    for s in range(0, n, chunk):
        S = scores[: min(chunk, n - s)]
        np.matmul(X[s:s + chunk], C.T, out=S)
        S *= -2.0
        S += cnorm
        labels[s:s + chunk] = S.argmin(axis=1)
    counts = np.bincount(labels, minlength=k)
    sums = np.stack([np.bincount(labels, weights=X[:, v], minlength=k) for v in range(X.shape[1])], axis=1)
    full = counts > 0
    C = C.copy()
    C[full] = sums[full] / counts[full, None]
    return C


def gemm_pass(X, C, chunk, scores):
    for s in range(0, X.shape[0], chunk):
        np.matmul(X[s:s + chunk], C.T, out=scores[: min(chunk, X.shape[0] - s)])
    return C


def fastest(step, X, C0, iters, chunks):
    """The fastest chunk size's seconds per iteration of step (iters iterations each)."""
    best = None
    for chunk in chunks:
        scores = np.empty((chunk, C0.shape[0]))
        C = C0.copy()
        start = time.perf_counter()
        for _ in range(iters):
            C = step(X, C, chunk, scores)
        t = (time.perf_counter() - start) / iters
        best = t if best is None or t < best else best
    return best


def peers(folder, iters, threads):
    X, C0 = np.load(os.path.join(folder, "X.npy")), np.load(os.path.join(folder, "C0.npy"))
    obs, vars_, k = X.shape[0], X.shape[1], C0.shape[0]
    chunks = [c for c in (2048, 16384) if c * k * 8 <= 256 << 20 and c <= obs] or [min(2048, obs)]
    limit = thread_limit(threads)  # held until the end: the limits last while it lives
    t = sklearn_per_iteration(X, C0, iters)
    if t is not None:
        print(f"sklearn_s_per_iteration: {t:.4f}")
    print(f"numpy_s_per_iteration: {fastest(numpy_iteration, X, C0, 2, chunks):.4f}")
    floor = fastest(gemm_pass, X, C0, 2, chunks)
    print(f"floor_s_per_iteration: {floor:.4f}")
    print(f"floor_gflops: {2.0 * obs * vars_ * k / floor / 1e9:.1f}")
    del limit


def main():
    if len(sys.argv) == 7 and sys.argv[1] == "gen":
        gen(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6])
    elif len(sys.argv) == 5 and sys.argv[1] == "peers":
        peers(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
