"""Self-check of the benchmarks' peers (bench/solvebak_numpy.py, bench/ann_numpy.py),
run by tests/test_bench_peers.test: the functions written once over the array
module xp run here with xp = numpy on tiny ragged problems and must give the
iterates of plain reference loops written below, so that a slip in the shared
code fails here and not on a GPU machine. Then the paths only a GPU takes (the
CuPy runs, their rows in the reports, the GPU goals) run with NumPy standing in
for CuPy, on the real drivers' output.

usage: bench_peers.py TOP   (TOP: the built tree; its examples/ hold the drivers)
"""
import argparse
import contextlib
import io
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

top = sys.argv[1]
build = sys.argv[2] if len(sys.argv) > 2 else top  # the built drivers (VPATH builds)
sys.path.insert(0, os.path.join(top, "bench"))
import ann_numpy as ann  # noqa: E402
import solvebak_numpy as sb  # noqa: E402

EPS = np.finfo(np.float64).eps
failures = 0


def check(ok, what):
    global failures
    print(f"{'ok    ' if ok else 'FAILED'} {what}")
    failures += not ok


def rel_diff(a, ref):
    return float(np.max(np.abs(a - ref)) / max(np.max(np.abs(ref)), 1e-300))


# --- SolveBak: reference sweeps ---------------------------------------------------

def ref_batched(X, y, B, iters, exact=False):
    """Jacobi within each batch (da = X_J^T e / diag), or the B×B solve (block-exact)."""
    a, e = np.zeros(X.shape[1]), y.copy()
    for _ in range(iters):
        for j0 in range(0, X.shape[1], B):
            XJ = X[:, j0:j0 + B]
            g = XJ.T @ e
            da = np.linalg.solve(XJ.T @ XJ, g) if exact else g / (XJ * XJ).sum(axis=0)
            e -= XJ @ da
            a[j0:j0 + B] += da
    return a


def ref_per_column(X, y, iters):
    """Gauss-Seidel over the columns; Gram gives the same iterates."""
    a, e = np.zeros(X.shape[1]), y.copy()
    for _ in range(iters):
        for j in range(X.shape[1]):
            da = X[:, j] @ e / (X[:, j] @ X[:, j])
            e -= da * X[:, j]
            a[j] += da
    return a


def check_solvebak_iterates():
    obs, vars_, B, iters = 61, 23, 5, 4  # 23 columns: batches of 5, 5, 5, 5 and 3
    rng = np.random.default_rng(7)
    XF = np.asfortranarray(rng.uniform(-0.5, 0.5, (obs, vars_)))
    XC = np.ascontiguousarray(XF)
    y = XF @ rng.uniform(-0.5, 0.5, vars_)
    batched, exact, per_col = ref_batched(XF, y, B, iters), ref_batched(XF, y, B, iters, True), \
        ref_per_column(XF, y, iters)
    inf = float("inf")
    got = {
        "notebook batched": (sb.notebook_batched(np, XC, y, B, iters, inf)[3], batched),
        "notebook batched, J a slice": (sb.notebook_batched_slice(np, XC, y, B, iters, inf)[1], batched),
        "notebook per-column": (sb.notebook_per_column(np, XC, y, iters, inf)[3], per_col),
        "best batched": (sb.best_batched(np, XF, y, B, iters)[2], batched),
        "best block-exact": (sb.best_batched(np, XF, y, B, iters, exact=True)[2], exact),
        "best per-column": (sb.best_per_column(np, XF, y, iters)[2], per_col),
        "best gram": (sb.best_gram(np, XF, y, iters)[2], per_col),
    }
    for name, (a, ref) in got.items():
        d = rel_diff(a, ref)
        check(d <= 1e-12, f"SolveBak {name}: the reference's iterates ({iters} iterations), "
                          f"max|a - ref| / max|ref| = {d:.1e} <= 1e-12")
    # A budget of 0 s stops the notebook loops after one batch, or 8 columns.
    setup, per_iter, done, _ = sb.notebook_batched(np, XC, y, B, iters, 0.0)
    check(done == B / vars_ and per_iter >= 0 and setup >= 0,
          f"SolveBak notebook batched on a 0 s budget: stops after one batch ({done:.3f} of {iters} iterations)")
    setup, per_iter, done, _ = sb.notebook_per_column(np, XC, y, iters, 0.0)
    check(done == 8 / vars_ and per_iter >= 0,
          f"SolveBak notebook per-column on a 0 s budget: stops after 8 columns ({done:.3f} of {iters} iterations)")


# --- ANN: references --------------------------------------------------------------

def check_ann_peers():
    obs, vars_, neurons = 300, 3, 7  # 42 rows per neuron
    rng = np.random.default_rng(5)
    X, y = ann.seed_problem(obs, vars_, rng)
    Xt, yt = ann.seed_problem(75, vars_, rng)
    rows = obs // neurons

    orig = ann.notebook_code(np, X, y, Xt, yt, neurons, np.random.default_rng(3))
    draw = np.random.default_rng(3)
    W = np.array([np.linalg.lstsq(X[i], np.arctanh(y[i]), rcond=None)[0]
                  for i in (draw.integers(0, obs, rows) for _ in range(neurons))])
    d = rel_diff(orig["W"], W)
    check(d <= 1e-12, f"ANN notebook: inner weights = per-neuron lstsq on the same rows ({d:.1e} <= 1e-12)")
    H = np.tanh(X @ W.T)
    G, c = H.T @ H, H.T @ y
    res = np.linalg.norm(G @ orig["v"] - c) / (np.linalg.norm(G) * np.linalg.norm(orig["v"]) * neurons * EPS)
    check(res <= 60, f"ANN notebook: v solves H^T H v = H^T y (scaled residual {res:.1f} <= 60)")
    r = np.corrcoef(np.tanh(Xt @ W.T) @ orig["v"], yt)[0, 1]
    check(abs(orig["r"] - r) <= 1e-12, f"ANN notebook: r on the test set {orig['r']:.12f} = {r:.12f}")

    best = ann.best_form(np, X, y, Xt, yt, neurons, np.random.default_rng(2))
    idx = np.random.default_rng(2).integers(0, obs, (neurons, rows))
    wb = np.array([np.linalg.lstsq(np.c_[X[i], np.ones(rows)], np.arctanh(y[i]), rcond=None)[0] for i in idx])
    d = rel_diff(best["wb"], wb)
    # The normal equations (the peer) against QR (lstsq): apart by cond([X_k 1])^2 eps, ~1e-15 here.
    check(d <= 1e-12, f"ANN best: weights and biases = per-neuron lstsq on [X_k 1] ({d:.1e} <= 1e-12)")
    H = np.c_[np.tanh(X @ wb[:, :vars_].T + wb[:, vars_]), np.ones(obs)]
    G, c = H.T @ H, H.T @ y
    v = best["v"]
    res = np.linalg.norm(G @ v - c) / (np.linalg.norm(G) * np.linalg.norm(v) * (neurons + 1) * EPS)
    check(res <= 60, f"ANN best: v solves [H 1]^T [H 1] v = [H 1]^T y (scaled residual {res:.1f} <= 60)")
    Ht = np.c_[np.tanh(Xt @ wb[:, :vars_].T + wb[:, vars_]), np.ones(len(Xt))]
    r = np.corrcoef(Ht @ v, yt)[0, 1]
    check(abs(best["r"] - r) <= 1e-10, f"ANN best: r on the test set {best['r']:.12f} = {r:.12f}")

    # A singular H^T H: the ridge starbak adds, and a factor of G + ridge I.
    S = np.outer(np.arange(1.0, 5.0), np.arange(1.0, 5.0))
    L, ridge = ann.cholesky_with_ridge(np, S)
    res = np.linalg.norm(L @ L.T - S - ridge * np.eye(4)) / (np.linalg.norm(S) * 4 * EPS)
    check(ridge > 0 and res <= 60, f"ANN: a singular H^T H gets a ridge ({ridge:.1e}) and its Cholesky factor "
                                   f"(scaled residual {res:.1f} <= 60)")


# --- the GPU's paths, with NumPy standing in for CuPy ------------------------------

def run(cmd, out=None):
    env = dict(os.environ, STARPU_SILENT="1")
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"FAILED: {' '.join(cmd)}: exit {done.returncode}\n{done.stderr}")
    if out:
        with open(out, "w") as f:
            f.write(done.stdout)
    return done.stdout


def as_on_a_gpu(path):
    """The driver's output as a machine with one CUDA worker would print it."""
    with open(path) as f:
        text = re.sub(r"^(workers: \d+ CPU), 0 CUDA$", r"\1, 1 CUDA", f.read(), flags=re.M)
    with open(path, "w") as f:
        f.write(text)


def captured(f, *args):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        f(*args)
    return out.getvalue()


def check_reports_with_a_stand_in(work):
    os.environ["STARPU_HOME"] = os.path.join(work, "starpu")
    stand_in = lambda: (np, None)  # noqa: E731
    sb.cupy_or_reason = ann.cupy_or_reason = stand_in

    d = os.path.join(work, "solvebak")
    os.mkdir(d)
    iters, batch, methods = 4, 5, sb.METHODS
    captured(sb.gen, argparse.Namespace(dir=d, obs=300, vars=12, seed=1))
    out = captured(sb.peers, argparse.Namespace(dir=d, iters=iters, batch=batch, notebook_budget=0.0,
                                                methods=",".join(methods), repeat=2))
    check(out.count("CuPy best ") == 4 and "CuPy notebook batched [GPU]" in out and "host-to-device copy" in out,
          "SolveBak peers: the CuPy runs (the stand-in) print their lines")
    driver = os.path.join(build, "examples", "solvebak")
    data = [f"--X={d}/X.npy", f"--y={d}/y.npy", f"--batch={batch}", f"--iters={iters}"]
    run([driver, *data, f"--method={','.join(methods)}"], os.path.join(d, "sweep_01_all_default.txt"))
    for m in methods:
        final = os.path.join(d, f"final_{m}.txt")
        run([driver, *data, f"--method={m},{m},{m}", f"--out={d}/a_{m}.npy"], final)
        as_on_a_gpu(final)
    out = captured(sb.report, argparse.Namespace(dir=d, iters=iters))
    before = failures
    rows = re.findall(r"^\| \S+, vs CuPy \| [0-9.]+ \| [0-9.*-]+ \| [0-9.]+ \(GPU\) \|", out, re.M)
    check(len(rows) == 4, f"SolveBak report: a CuPy row per method ({len(rows)} of 4)")
    check("* CuPy notebook batched loop extrapolated" in out and "rows 'vs CuPy'" in out,
          "SolveBak report: the CuPy notebook loops' footnotes and the note on X's copy")
    goals = re.findall(r"^  (met    |NOT met)  (batched|gram) set-up \+ 4 iterations <= \d+ ms on an H100", out, re.M)
    check(len(goals) == 2, f"SolveBak report: the two GPU goals when starbak had a CUDA worker ({len(goals)} of 2)")
    if failures > before:
        print(out)

    rng = np.random.default_rng(1)
    X, y = ann.seed_problem(2000, 4, rng)
    Xt, yt = ann.seed_problem(500, 4, rng)
    files = {k: os.path.join(work, k + ".npy") for k in ("X", "y", "Xt", "yt")}
    for k, a in (("X", X), ("y", y), ("Xt", Xt), ("yt", yt)):
        np.save(files[k], np.asfortranarray(a))
    driver = [os.path.join(build, "examples", "ann")]
    runs = [("starbak (bias)", ann.starbak(driver, files, 20, [])),
            ("starbak --no-bias", ann.starbak(driver, files, 20, ["--no-bias"]))]
    runs += ann.peers(np, X, y, Xt, yt, 20, "numpy")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        runs += ann.cupy_peers(np, X, y, Xt, yt, 20)
        runs[0][1]["ncuda"] = 1  # as a machine with one CUDA worker would report it
        ann.report(runs)
    out = out.getvalue()
    before = failures
    for name in ("cupy best (bias)", "cupy notebook (no bias)"):
        check(re.search(rf"^{re.escape(name)} +[0-9.]+ +[0-9.]+ +[0-9.]+ +0\.9", out, re.M) is not None,
              f"ANN report: a row for {name}")
    check("starbak (bias) vs cupy best: " in out and "the notebook's code on cupy: " in out,
          "ANN report: starbak's ratios to the CuPy peers")
    check(re.search(r"^starbak \(bias\) fit with 1 CUDA worker\(s\): [0-9.]+ s; goal <= 0.1 s on an H100",
                    out, re.M) is not None, "ANN report: the GPU goal when starbak had a CUDA worker")
    if failures > before:
        print(out)


def main():
    check_solvebak_iterates()
    check_ann_peers()
    with tempfile.TemporaryDirectory(prefix="starbak-bench-peers.") as work:
        check_reports_with_a_stand_in(work)
    print(f"tests/bench_peers.py: {failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
