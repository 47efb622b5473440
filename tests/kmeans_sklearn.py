#!/usr/bin/python3
"""examples/kmeans against scikit-learn's KMeans(init=C0, n_init=1, algorithm="lloyd", tol=0) from the
same initial centroids: the same centroids (to rounding), labels, inertia and iteration count, in
double and float, with ragged tiles and with a cluster that empties at once (re-seeded from the
farthest row by both). Usage: kmeans_sklearn.py KMEANS_DRIVER. Exit 77 when scikit-learn is absent."""
import os
import re
import subprocess
import sys
import tempfile

try:
    import numpy as np
    from sklearn.cluster import KMeans
except ImportError as e:
    print(f"SKIP: {e} (Debian: apt-get install python3-sklearn)")
    sys.exit(77)


def make_data(obs, vars_, groups, rng):
    """Overlapping groups, so that Lloyd's iterations take a while to settle."""
    centres = rng.uniform(-2, 2, size=(groups, vars_))
    return centres[rng.integers(0, groups, size=obs)] + rng.uniform(-1, 1, size=(obs, vars_))


def run_driver(driver, work, X, C0, iters, prec, tile_rows):
    np.save(os.path.join(work, "X.npy"), X)
    np.save(os.path.join(work, "C0.npy"), C0)
    out_c, out_l = os.path.join(work, "C.npy"), os.path.join(work, "labels.npy")
    cmd = [driver, "--X", os.path.join(work, "X.npy"), "--init", os.path.join(work, "C0.npy"), "--iters",
           str(iters), "--tol", "0", "-p", prec, "--tile-rows", str(tile_rows), "--out", out_c, "--labels", out_l]
    env = dict(os.environ, STARPU_HOME=os.path.join(work, "starpu"), STARPU_SILENT="1")
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"FAILED: {' '.join(cmd)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    field = lambda key: re.search(rf"^{key}: (\S+)", done.stdout, re.M).group(1)
    return np.load(out_c), np.load(out_l).astype(np.int64), float(field("inertia")), int(field("iterations"))


def check(driver, work, obs, vars_, k, iters, prec, tile_rows, empty):
    rng = np.random.default_rng(obs + k)
    dtype = np.float64 if prec == "d" else np.float32
    X = make_data(obs, vars_, k, rng).astype(dtype)
    C0 = X[rng.choice(obs, size=k, replace=False)].copy()
    if empty:
        C0[-1] = 50.0  # far from every row: empty on the first iteration
    C, labels, inertia, iterations = run_driver(driver, work, X, C0, iters, prec, tile_rows)
    ref = KMeans(n_clusters=k, init=C0, n_init=1, algorithm="lloyd", max_iter=iters, tol=0).fit(X)
    rtol = 1e-9 if prec == "d" else 1e-4
    centre_err = np.max(np.abs(C - ref.cluster_centers_)) / np.max(np.abs(ref.cluster_centers_))
    differ = int(np.sum(labels != ref.labels_))
    inertia_err = abs(inertia - ref.inertia_) / ref.inertia_
    name = f"obs {obs} vars {vars_} k {k} iters {iters} -p {prec} tile rows {tile_rows}{' empty' if empty else ''}"
    print(f"{name}: centroid error {centre_err:.2e}, {differ} labels differ, inertia error {inertia_err:.2e}, "
          f"iterations {iterations} (scikit-learn {ref.n_iter_})")
    # Float: a row equidistant to rounding from two centroids may go either way.
    ok = centre_err < rtol and differ <= (0 if prec == "d" else 2) and inertia_err < rtol
    return ok and (iterations == ref.n_iter_ or prec == "s")


def main():
    driver = sys.argv[1]
    cases = [(2003, 6, 11, 1, "d", 300, False), (2003, 6, 11, 8, "d", 300, False),
             (2003, 6, 11, 100, "d", 700, False), (1501, 13, 5, 25, "s", 1000, False),
             (2003, 6, 11, 8, "d", 700, True), (1501, 13, 5, 8, "s", 256, True)]
    with tempfile.TemporaryDirectory() as work:
        failed = [c for c in cases if not check(driver, work, *c)]
    for c in failed:
        print(f"FAILED: {c}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
