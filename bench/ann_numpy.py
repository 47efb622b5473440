"""ANN benchmark: starbak's examples/ann against two peers on the same data, on NumPy,
then on CuPy when it sees a GPU.

  notebook  the notebook's own code: a Python loop of lstsq per neuron, H = tanh(X W^T)
        formed whole, v = solve(H^T H, H^T y)  (no bias, as the notebook)
  best  the best formulation: all neurons' normal equations in one batched solve,
        H formed once in place, one H^T H product (NumPy calls SYRK for Z.T @ Z; the ones
        column enters through column sums), Cholesky with the same ridge fallback as
        starbak  (with bias, as starbak's default)
The peers are written once over the array module xp (bench/array_module.py): the NumPy
runs, and tests/test_bench_peers.test, run the code the GPU runs. starbak runs with and
without bias. Prints times, ratios and r on the test set.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

from array_module import clock, cupy_or_reason, describe, linalg_errors, to_xp


def seed_problem(obs, vars_, rng):
    X = rng.uniform(-0.5, 0.5, (obs, vars_))
    return X, np.sin(X.sum(axis=1)) / 2


def notebook_code(xp, X, y, Xt, yt, neurons, rng):
    """rng: a NumPy generator (the same rows for NumPy and CuPy)."""
    obs, vars_ = X.shape
    rows = obs // neurons
    t0 = clock(xp)
    W = xp.zeros((neurons, vars_))
    for k in range(neurons):
        idx = xp.asarray(rng.integers(0, obs, rows))
        W[k] = xp.linalg.lstsq(X[idx], xp.arctanh(y[idx]), rcond=None)[0]
    t1 = clock(xp)
    H = xp.tanh(X @ W.T)
    t2 = clock(xp)
    v = xp.linalg.solve(H.T @ H, H.T @ y)
    t3 = clock(xp)
    r = float(xp.corrcoef(xp.tanh(Xt @ W.T) @ v, yt)[0, 1])
    return {"inner": t1 - t0, "form_H": t2 - t1, "outer": t3 - t1, "total": t3 - t0, "r": r, "W": W, "v": v}


def cholesky_with_ridge(xp, G):
    """Cholesky of G, adding the ridge starbak adds when G is not positive definite."""
    ridge, n = 0.0, G.shape[0]
    for _ in range(12):
        try:
            with linalg_errors(xp):
                return xp.linalg.cholesky(G + ridge * xp.eye(n)), ridge
        except np.linalg.LinAlgError:
            ridge = ridge * 10 if ridge > 0 else 1e-12 * float(xp.trace(G)) / n
    raise np.linalg.LinAlgError("H^T H stayed singular")


def best_form(xp, X, y, Xt, yt, neurons, rng):
    """rng: a NumPy generator (the same rows for NumPy and CuPy)."""
    obs, vars_ = X.shape
    rows = obs // neurons
    t0 = clock(xp)
    idx = xp.asarray(rng.integers(0, obs, (neurons, rows)))
    A = xp.empty((neurons, rows, vars_ + 1))
    A[:, :, :vars_] = X[idx]
    A[:, :, vars_] = 1.0
    At = A.transpose(0, 2, 1)
    wb = xp.linalg.solve(At @ A, At @ xp.arctanh(y[idx])[:, :, None])[:, :, 0]
    t1 = clock(xp)
    # One obs × neurons array, updated in place (fresh memory is slow to touch);
    # the column of ones enters H^T H through the column sums, not a copy of H.
    Z = X @ wb[:, :vars_].T
    Z += wb[:, vars_]
    xp.tanh(Z, out=Z)
    G = xp.empty((neurons + 1, neurons + 1))
    G[:neurons, :neurons] = Z.T @ Z
    G[neurons, :neurons] = G[:neurons, neurons] = Z.sum(axis=0)
    G[neurons, neurons] = obs
    c = xp.empty(neurons + 1)
    c[:neurons] = Z.T @ y
    c[neurons] = y.sum()
    L, _ = cholesky_with_ridge(xp, G)
    v = xp.linalg.solve(L.T, xp.linalg.solve(L, c))
    t2 = clock(xp)
    Ht = xp.tanh(Xt @ wb[:, :vars_].T + wb[:, vars_])
    r = float(xp.corrcoef(Ht @ v[:neurons] + v[neurons], yt)[0, 1])
    return {"inner": t1 - t0, "outer": t2 - t1, "total": t2 - t0, "r": r, "wb": wb, "v": v}


def peers(xp, X, y, Xt, yt, neurons, name):
    """The best form and the notebook's code on xp's arrays, after an untimed run of
    each on a corner of the problem (CuPy compiles its kernels on first use)."""
    corner = X[:min(len(X), 2000)], y[:min(len(y), 2000)]
    best_form(xp, *corner, Xt, yt, 10, np.random.default_rng(0))
    notebook_code(xp, *corner, Xt, yt, 10, np.random.default_rng(0))
    return [(f"{name} best (bias)", best_form(xp, X, y, Xt, yt, neurons, np.random.default_rng(2))),
            (f"{name} notebook (no bias)", notebook_code(xp, X, y, Xt, yt, neurons, np.random.default_rng(3)))]


def cupy_peers(cp, X, y, Xt, yt, neurons):
    """The same peers on the GPU; the host-to-device copy of the data is timed apart."""
    t0 = clock(cp)
    data = [to_xp(cp, a) for a in (X, y, Xt, yt)]
    copy_s = clock(cp) - t0
    print(f"{describe(cp)}: host-to-device copy of X, y and the test set {copy_s:.3f} s, not in the cupy "
          f"times: a CuPy user keeps the data on the GPU, so the fit is the comparison")
    return peers(cp, *data, neurons, "cupy")


def starbak(driver, files, neurons, extra):
    env = dict(os.environ, STARPU_SILENT="1", STARPU_HOME=tempfile.mkdtemp(prefix="sbk-ann-home."))
    out = subprocess.run(driver + ["fit", "--X", files["X"], "--y", files["y"], "--test-X", files["Xt"],
                                   "--test-y", files["yt"], "--neurons", str(neurons)] + extra,
                         env=env, capture_output=True, text=True, check=True).stdout
    value = lambda key: float(re.search(rf"^{key}: (\S+)", out, re.M).group(1))
    tasks = re.findall(r"^tasks on (\w+): (\d+)", out, re.M)
    ncuda = int(re.search(r"^workers: \d+ CPU, (\d+) CUDA", out, re.M).group(1))
    return {"inner": value("time_inner_s"), "outer": value("time_outer_s"), "total": value("time_fit_s"),
            "r": value("r_test"), "tasks": ", ".join(f"{n} {w}" for w, n in tasks), "ncuda": ncuda}


def faster(peer, mine):
    return (f"{peer['total'] / mine['total']:.2f}x faster in total (inner {peer['inner'] / mine['inner']:.1f}x, "
            f"outer {peer['outer'] / mine['outer']:.2f}x)")


def report(runs):
    """The table of runs (name, result) and the ratios and goals under it."""
    print(f"\n{'run':22} {'inner s':>9} {'outer s':>9} {'total s':>9} {'r_test':>12}  notes")
    for name, res in runs:
        note = res.get("tasks", "")
        if "form_H" in res:
            note = f"forming H (before the notebook's timer): {res['form_H']:.2f} s of outer"
        print(f"{name:22} {res['inner']:9.3f} {res['outer']:9.3f} {res['total']:9.3f} {res['r']:12.8f}  {note}")
    base = dict(runs)
    sb, nb = base["starbak (bias)"], base["starbak --no-bias"]
    print()
    for peer in ("numpy", "cupy"):
        if f"{peer} best (bias)" not in base:
            continue
        best, orig = base[f"{peer} best (bias)"], base[f"{peer} notebook (no bias)"]
        goal = f"; goal 2x: {'met' if best['total'] / sb['total'] >= 2 else 'not met'}" if peer == "numpy" else ""
        print(f"starbak (bias) vs {peer} best: {faster(best, sb)}{goal}")
        print(f"starbak --no-bias vs the notebook's code on {peer}: {faster(orig, nb)}")
    if sb["ncuda"]:
        print(f"starbak (bias) fit with {sb['ncuda']} CUDA worker(s): {sb['total']:.3f} s; goal <= 0.1 s on an "
              f"H100: {'met' if sb['total'] <= 0.1 else 'not met'}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="a small problem, in seconds")
    p.add_argument("driver", nargs="+", help="the command that runs examples/ann")
    args = p.parse_args()
    obs, vars_, neurons = (20000, 10, 200) if args.quick else (100000, 10, 1000)
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
    runs = [("starbak (bias)", starbak(args.driver, files, neurons, [])),
            ("starbak --no-bias", starbak(args.driver, files, neurons, ["--no-bias"]))]
    runs += peers(np, X, y, Xt, yt, neurons, "numpy")
    cp, why = cupy_or_reason()
    if cp is None:
        print(f"CuPy peers: skipped ({why})")
    else:
        runs += cupy_peers(cp, X, y, Xt, yt, neurons)
    report(runs)
    for f in files.values():
        os.remove(f)
    os.rmdir(work)


if __name__ == "__main__":
    main()
