"""ANN benchmark: starbak's examples/ann against two NumPy peers on the same data.

  seed  the seed's own code: a Python loop of np.linalg.lstsq per neuron, H = tanh(X W^T)
        formed whole, v = solve(H^T H, H^T y)  (no bias, as the seed)
  best  the best NumPy formulation: all neurons' normal equations in one batched solve,
        H formed once in place, one H^T H product (NumPy calls SYRK for Z.T @ Z; the ones
        column enters through column sums), Cholesky with the same ridge fallback as
        starbak  (with bias, as starbak's default)
starbak runs with and without bias. Prints times, ratios and r on the test set.
"""
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np


def seed_problem(obs, vars_, rng):
    X = rng.uniform(-0.5, 0.5, (obs, vars_))
    return X, np.sin(X.sum(axis=1)) / 2


def seed_code(X, y, Xt, yt, neurons, rng):
    obs, vars_ = X.shape
    rows = obs // neurons
    t0 = time.perf_counter()
    W = np.zeros((neurons, vars_))
    for k in range(neurons):
        idx = rng.integers(0, obs, rows)
        W[k] = np.linalg.lstsq(X[idx], np.arctanh(y[idx]), rcond=None)[0]
    t1 = time.perf_counter()
    H = np.tanh(X @ W.T)
    t2 = time.perf_counter()
    v = np.linalg.solve(H.T @ H, H.T @ y)
    t3 = time.perf_counter()
    r = np.corrcoef(np.tanh(Xt @ W.T) @ v, yt)[0, 1]
    return {"inner": t1 - t0, "form_H": t2 - t1, "outer": t3 - t1, "total": t3 - t0, "r": r}


def cholesky_with_ridge(G):
    """Cholesky of G, adding the ridge starbak adds when G is not positive definite."""
    ridge, n = 0.0, G.shape[0]
    for _ in range(12):
        try:
            return np.linalg.cholesky(G + ridge * np.eye(n)), ridge
        except np.linalg.LinAlgError:
            ridge = ridge * 10 if ridge > 0 else 1e-12 * np.trace(G) / n
    raise np.linalg.LinAlgError("H^T H stayed singular")


def best_numpy(X, y, Xt, yt, neurons, rng):
    obs, vars_ = X.shape
    rows = obs // neurons
    t0 = time.perf_counter()
    idx = rng.integers(0, obs, (neurons, rows))
    A = np.empty((neurons, rows, vars_ + 1))
    A[:, :, :vars_] = X[idx]
    A[:, :, vars_] = 1.0
    At = A.transpose(0, 2, 1)
    wb = np.linalg.solve(At @ A, At @ np.arctanh(y[idx])[:, :, None])[:, :, 0]
    t1 = time.perf_counter()
    # One obs × neurons array, updated in place (fresh memory is slow to touch);
    # the column of ones enters H^T H through the column sums, not a copy of H.
    Z = X @ wb[:, :vars_].T
    Z += wb[:, vars_]
    np.tanh(Z, out=Z)
    G = np.empty((neurons + 1, neurons + 1))
    G[:neurons, :neurons] = Z.T @ Z
    G[neurons, :neurons] = G[:neurons, neurons] = Z.sum(axis=0)
    G[neurons, neurons] = obs
    c = np.append(Z.T @ y, y.sum())
    L, _ = cholesky_with_ridge(G)
    v = np.linalg.solve(L.T, np.linalg.solve(L, c))
    t2 = time.perf_counter()
    Ht = np.tanh(Xt @ wb[:, :vars_].T + wb[:, vars_])
    r = np.corrcoef(Ht @ v[:neurons] + v[neurons], yt)[0, 1]
    return {"inner": t1 - t0, "outer": t2 - t1, "total": t2 - t0, "r": r}


def starbak(driver, files, neurons, extra):
    env = dict(os.environ, STARPU_SILENT="1", STARPU_HOME=tempfile.mkdtemp(prefix="sbk-ann-home."))
    out = subprocess.run([driver, "fit", "--X", files["X"], "--y", files["y"], "--test-X", files["Xt"],
                          "--test-y", files["yt"], "--neurons", str(neurons)] + extra,
                         env=env, capture_output=True, text=True, check=True).stdout
    value = lambda key: float(re.search(rf"^{key}: (\S+)", out, re.M).group(1))
    tasks = re.findall(r"^tasks on (\w+): (\d+)", out, re.M)
    return {"inner": value("time_inner_s"), "outer": value("time_outer_s"), "total": value("time_fit_s"),
            "r": value("r_test"), "tasks": ", ".join(f"{n} {w}" for w, n in tasks)}


def main():
    quick = "--quick" in sys.argv
    driver = sys.argv[1]
    obs, vars_, neurons = (20000, 10, 200) if quick else (100000, 10, 1000)
    rng = np.random.default_rng(1)
    X, y = seed_problem(obs, vars_, rng)
    Xt, yt = seed_problem(obs // 4, vars_, rng)
    work = tempfile.mkdtemp(prefix="sbk-ann-bench.")
    files = {k: os.path.join(work, k + ".npy") for k in ("X", "y", "Xt", "yt")}
    for k, a in (("X", X), ("y", y), ("Xt", Xt), ("yt", yt)):
        np.save(files[k], np.asfortranarray(a))
    print(f"problem: obs {obs}, vars {vars_}, neurons {neurons}, test {obs // 4} rows, double")
    print(f"numpy {np.__version__}, cores {os.cpu_count()}, OPENBLAS_NUM_THREADS="
          f"{os.environ.get('OPENBLAS_NUM_THREADS', 'unset (all cores)')}")
    # Floors: H^T H by SYRK is obs * (neurons+1)^2 flops; tanh over obs * neurons values.
    a = rng.standard_normal((2048, 2048))
    t = time.perf_counter(); a @ a; gf = 2 * 2048**3 / (time.perf_counter() - t) / 1e9
    z = rng.standard_normal(obs * neurons)
    t = time.perf_counter(); np.tanh(z, out=z); tanh_s = time.perf_counter() - t
    syrk_s = obs * (neurons + 1) ** 2 / (gf * 1e9)
    print(f"floor: dgemm {gf:.0f} GFLOP/s -> H^T H by SYRK {syrk_s:.2f} s; np.tanh of {obs * neurons:.0e} "
          f"values {tanh_s:.2f} s on one core")
    runs = [("starbak (bias)", starbak(driver, files, neurons, [])),
            ("starbak --no-bias", starbak(driver, files, neurons, ["--no-bias"])),
            ("numpy best (bias)", best_numpy(X, y, Xt, yt, neurons, np.random.default_rng(2))),
            ("numpy seed (no bias)", seed_code(X, y, Xt, yt, neurons, np.random.default_rng(3)))]
    base = {name: res for name, res in runs}
    print(f"\n{'run':22} {'inner s':>9} {'outer s':>9} {'total s':>9} {'r_test':>12}  notes")
    for name, res in runs:
        note = res.get("tasks", "")
        if "form_H" in res:
            note = f"forming H (before the seed's timer): {res['form_H']:.2f} s of outer"
        print(f"{name:22} {res['inner']:9.3f} {res['outer']:9.3f} {res['total']:9.3f} {res['r']:12.8f}  {note}")
    sb, nb = base["starbak (bias)"], base["starbak --no-bias"]
    best, seed = base["numpy best (bias)"], base["numpy seed (no bias)"]
    print(f"\nstarbak (bias) vs numpy best: {best['total'] / sb['total']:.2f}x faster in total "
          f"(inner {best['inner'] / sb['inner']:.1f}x, outer {best['outer'] / sb['outer']:.2f}x); goal 2x: "
          f"{'met' if best['total'] / sb['total'] >= 2 else 'not met'}")
    print(f"starbak --no-bias vs the seed's code: {seed['total'] / nb['total']:.1f}x faster in total "
          f"(inner {seed['inner'] / nb['inner']:.0f}x, outer {seed['outer'] / nb['outer']:.2f}x)")
    for f in files.values():
        os.remove(f)
    os.rmdir(work)


if __name__ == "__main__":
    main()
