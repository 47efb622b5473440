#!/usr/bin/python3
"""Python side of bench/solvebak (run it through that script): the NumPy and CuPy peers.

  gen DIR --obs N --vars N --seed S    the notebook's problem, saved as DIR/{X,y,a_true}.npy
  peers DIR --iters N --batch B [--notebook-budget S] [--methods LIST]
                                       memory bandwidth, the notebook's loops, the best forms, on
                                       NumPy, then on CuPy when it sees a GPU; key: value lines,
                                       and DIR/peers.json
  best-configs DIR                     the fastest starbak variant per method in DIR/sweep_*.txt
  report DIR --iters N                 reads DIR/peers.json, DIR/sweep_*.txt, DIR/final_*.txt and
                                       DIR/a_*.npy; prints the variant table and the final table

All peers run on the same X, y as starbak. X is written in Fortran order, so
starbak's driver loads it without a transposition; the notebook's loop gets a
C-order copy, as np.random.uniform(-0.5, 0.5, (obs, vars)) would make it.
The peers are written once over the array module xp (bench/array_module.py):
the NumPy runs, and tests/test_bench_peers.test, run the code the GPU runs.
"""
import argparse
import ctypes
import glob
import json
import os
import re
import sys
import threading
import time

import numpy as np

from array_module import clock, cupy_or_reason, describe, to_host, to_xp

METHODS = ["batched", "per-column", "block-exact", "gram"]


def now():
    return time.perf_counter()


# --- data --------------------------------------------------------------------

def gen(args):
    rng = np.random.default_rng(args.seed)
    # Drawn as (vars, obs) and transposed: a Fortran-order obs×vars X without a copy.
    X = rng.uniform(-0.5, 0.5, (args.vars, args.obs)).T
    a_true = rng.uniform(-0.5, 0.5, args.vars)
    y = X @ a_true
    np.save(os.path.join(args.dir, "X.npy"), X)  # saved with fortran_order: True
    np.save(os.path.join(args.dir, "y.npy"), y)
    np.save(os.path.join(args.dir, "a_true.npy"), a_true)
    print(f"data: X {args.obs}x{args.vars} float64 Fortran order ({X.nbytes / 1e9:.2f} GB), "
          f"uniform in [-1/2, 1/2), numpy default_rng({args.seed}); y = X a_true")


def load(d):
    X = np.load(os.path.join(d, "X.npy"))
    y = np.load(os.path.join(d, "y.npy"))
    a_true = np.load(os.path.join(d, "a_true.npy"))
    return X, y, a_true


# --- threads -------------------------------------------------------------------

def blas_threads():
    """The BLAS behind numpy and its thread count, as far as it can be learned."""
    try:
        import threadpoolctl  # not in Debian's python3-numpy; used when present
        info = threadpoolctl.threadpool_info()
        blas = [i for i in info if i.get("user_api") == "blas"]
        if blas:
            return f"{blas[0].get('internal_api')} {blas[0].get('version')}", blas[0].get("num_threads")
    except ImportError:
        pass
    for name in ("libblas.so.3", "libopenblas.so.0"):  # numpy's libblas is OpenBLAS via alternatives
        try:
            lib = ctypes.CDLL(name)
            lib.openblas_get_config.restype = ctypes.c_char_p
            return lib.openblas_get_config().decode(), lib.openblas_get_num_threads()
        except (OSError, AttributeError):
            continue
    return "unknown", None


# --- memory bandwidth ----------------------------------------------------------

def bandwidth(X):
    """Read bandwidth over X (GB/s): numpy sum on one thread, sum on two threads
    (numpy releases the GIL), one OpenBLAS gemv over the whole X, and gemv
    over X's 100-column blocks in turn (OpenBLAS's default threads)."""
    gb = X.nbytes / 1e9
    flat = X.reshape(-1, order="F")
    out = {}

    def best(f, reps=3):
        t = min(timed(f) for _ in range(reps))
        return gb / t

    out["sum_1_thread"] = best(lambda: flat.sum())
    halves = [flat[: flat.size // 2], flat[flat.size // 2:]]

    def two():
        ts = [threading.Thread(target=h.sum) for h in halves]
        for t in ts:
            t.start()
        for t in ts:
            t.join()

    out["sum_2_threads"] = best(two)
    v = np.ones(X.shape[0])
    out["gemv_XT_v"] = best(lambda: X.T @ v)
    blocks = [X[:, j:j + 100] for j in range(0, X.shape[1], 100)]

    def gemv_blocks():
        for XJ in blocks:
            XJ.T @ v

    out["gemv_blocks_of_100"] = best(gemv_blocks)
    return out


def timed(f):
    t = now()
    f()
    return now() - t


# --- the notebook's loops (C-order X, as the user made it) ------------------------
# Written once over the array module xp (numpy or cupy). Slow: each stops once
# `budget` seconds of iterations have passed, even inside an iteration, and its
# time per iteration is extrapolated from the columns done (every batch and
# every column costs the same). The stop test reads the clock without waiting
# for the GPU (it only decides when to stop); the times are read after a wait.

def notebook_batched(xp, X, y, B, iters, budget):
    """The notebook's batched loop: X[:, J] with J the batch's column indices (fancy
    indexing: a copy of the B columns) on C-order X."""
    obs, vars_ = X.shape
    t0 = clock(xp)
    norms = (X * X).sum(axis=0)
    a = xp.zeros(vars_)
    e = y.copy()
    t1 = clock(xp)
    cols = 0
    for _ in range(iters):
        for j0 in range(0, vars_, B):
            J = xp.arange(j0, min(j0 + B, vars_))
            da = X[:, J].T @ e / norms[J]
            e -= X[:, J] @ da
            a[J] += da
            cols += len(J)
            if now() - t1 > budget:
                break
        else:
            continue
        break
    return t1 - t0, (clock(xp) - t1) * vars_ / cols, cols / vars_, a


def notebook_per_column(xp, X, y, iters, budget):
    """The notebook's per-column loop: X[:, j] is a strided column of C-order X."""
    obs, vars_ = X.shape
    t0 = clock(xp)
    norms = (X * X).sum(axis=0)
    a = xp.zeros(vars_)
    e = y.copy()
    t1 = clock(xp)
    cols = 0
    for _ in range(iters):
        for j in range(vars_):
            da = X[:, j] @ e / norms[j]
            e -= da * X[:, j]
            a[j] += da
            cols += 1
            if cols % 8 == 0 and now() - t1 > budget:  # whole cache lines of C-order rows
                break
        else:
            continue
        break
    return t1 - t0, (clock(xp) - t1) * vars_ / cols, cols / vars_, a


def notebook_batched_slice(xp, X, y, B, iters, budget):
    """The same loop with J a slice: X[:, J] is then a strided view, no copy.
    Returns the time per iteration and a."""
    obs, vars_ = X.shape
    norms = (X * X).sum(axis=0)
    a = xp.zeros(vars_)
    e = y.copy()
    t1 = clock(xp)
    cols = 0
    for _ in range(iters):
        for j0 in range(0, vars_, B):
            J = slice(j0, min(j0 + B, vars_))
            da = X[:, J].T @ e / norms[J]
            e -= X[:, J] @ da
            a[J] += da
            cols += J.stop - J.start
            if now() - t1 > budget:
                break
        else:
            continue
        break
    return (clock(xp) - t1) * vars_ / cols, a


# --- the best forms (Fortran-order X: contiguous columns), over xp too --------

def best_batched(xp, XF, y, B, iters, exact=False):
    obs, vars_ = XF.shape
    yy = y @ y
    t0 = clock(xp)
    blocks = [XF[:, j0:min(j0 + B, vars_)] for j0 in range(0, vars_, B)]  # contiguous views
    if exact:
        scale = [XJ.T @ XJ for XJ in blocks]  # B×B Gram blocks (syrk)
    else:
        norms = xp.einsum("ij,ij->j", XF, XF)
        scale = [norms[j0:j0 + XJ.shape[1]] for j0, XJ in zip(range(0, vars_, B), blocks)]
    a = xp.zeros(vars_)
    e = y.copy()
    t1 = clock(xp)
    rel = []  # ||e|| / ||y|| per iteration, as the driver computes it
    for _ in range(iters):
        for k, XJ in enumerate(blocks):
            g = XJ.T @ e  # dgemv
            da = xp.linalg.solve(scale[k], g) if exact else g / scale[k]
            e -= XJ @ da  # dgemv
            a[k * B:k * B + XJ.shape[1]] += da
        rel.append(xp.sqrt(e @ e / yy))
    return t1 - t0, clock(xp) - t1, a


def best_per_column(xp, XF, y, iters):
    obs, vars_ = XF.shape
    yy = y @ y
    t0 = clock(xp)
    norms = xp.einsum("ij,ij->j", XF, XF)
    a = xp.zeros(vars_)
    e = y.copy()
    tmp = xp.empty(obs)
    cols = [XF[:, j] for j in range(vars_)]  # contiguous views
    t1 = clock(xp)
    rel = []  # ||e|| / ||y|| per iteration, as the driver computes it
    for _ in range(iters):
        for j, xj in enumerate(cols):
            da = xp.dot(xj, e) / norms[j]
            xp.multiply(xj, da, out=tmp)  # no temporary allocated per column
            e -= tmp
            a[j] += da
        rel.append(xp.sqrt(e @ e / yy))
    return t1 - t0, clock(xp) - t1, a


def best_gram(xp, XF, y, iters):
    vars_ = XF.shape[1]
    yy = y @ y
    t0 = clock(xp)
    G = XF.T @ XF  # numpy calls syrk for A.T @ A: half the flops of a gemm
    b = XF.T @ y
    diag = G.diagonal().copy()
    a = xp.zeros(vars_)
    t1 = clock(xp)
    rel = []  # ||e|| / ||y|| per iteration, as the driver computes it
    for _ in range(iters):
        for j in range(vars_):
            # G is symmetric: row j is column j, and contiguous
            a[j] += (b[j] - G[j] @ a) / diag[j]
        rel.append(xp.sqrt(xp.maximum(yy - 2 * a @ b + a @ (G @ a), 0.0) / yy))
    return t1 - t0, clock(xp) - t1, a


def rel_residual(X, y, a):
    e = y - X @ a
    return float(e @ e / (y @ y)) ** 0.5


def set_blas_threads(n):
    """numpy's BLAS threads to n: threadpoolctl where present (pip's numpy bundles
    its own OpenBLAS, which no libblas.so.3 reaches), else Debian's libblas."""
    try:
        import threadpoolctl
        if any(i.get("user_api") == "blas" for i in threadpoolctl.threadpool_info()):
            threadpoolctl.threadpool_limits(limits=n, user_api="blas")
            return True
    except ImportError:
        pass
    try:
        ctypes.CDLL("libblas.so.3").openblas_set_num_threads(n)
        return True
    except (OSError, AttributeError):
        return False


def warm_up(xp, XF, y, B):
    """Every peer once on a corner of the problem, untimed: CuPy compiles its
    kernels and makes its library handles on first use."""
    Xs = xp.asfortranarray(XF[:1000, :2 * B])
    ys = y[:Xs.shape[0]].copy()
    notebook_batched(xp, xp.ascontiguousarray(Xs), ys, B, 1, float("inf"))
    notebook_batched_slice(xp, xp.ascontiguousarray(Xs), ys, B, 1, float("inf"))
    notebook_per_column(xp, xp.ascontiguousarray(Xs), ys, 1, float("inf"))
    best_batched(xp, Xs, ys, B, 1)
    best_batched(xp, Xs, ys, B, 1, exact=True)
    best_per_column(xp, Xs, ys, 1)
    best_gram(xp, Xs, ys, 1)


def run_peers(xp, XF, y, a_true, args, counts, where, prefix=""):
    """The notebook's loops and the best forms on xp's Fortran-order XF and y; prints a
    line per run and returns the results by key. counts: the BLAS thread counts
    the best forms run under (the first, the default, also runs the notebook loops);
    None for the GPU. where(n) names that setting in the lines."""
    methods = args.methods.split(",")
    res = {}

    def record(key, setup, it_s, a, done=None, threads=None):
        """done: iterations run (None: all); else it_s is the time of one iteration."""
        r = {"setup_s": setup, "err": float(np.mean(np.abs(to_host(xp, a) - a_true))), "threads": threads}
        if done is not None and done < args.iters:
            r.update(iter_s=it_s * args.iters, done=done, per_iter_s=it_s)
        elif done is not None:  # a notebook loop that finished within its budget
            r.update(iter_s=it_s * args.iters, done=args.iters, per_iter_s=it_s)
        else:
            r.update(iter_s=it_s, done=args.iters, per_iter_s=it_s / max(args.iters, 1))
        r["time_s"] = r["setup_s"] + r["iter_s"]
        note = f"; rel_residual {rel_residual(XF, y, a):.3e}, mean|a-a_true| {r['err']:.3e}"
        if r["done"] < args.iters:
            note = f" (extrapolated from {done:.2f} iterations; its a is not the 10-iteration one)"
        print(f"{prefix}{key} [{where(threads)}]: set-up {r['setup_s']:.3f} s + {args.iters} iterations "
              f"{r['iter_s']:.3f} s = {r['time_s']:.3f} s{note}")
        sys.stdout.flush()
        return r

    warm_up(xp, XF, y, args.batch)
    if "batched" in methods or "per-column" in methods:
        XC = xp.ascontiguousarray(XF)  # the user's C-order X, same values
        if "batched" in methods:
            s, it, done, a = notebook_batched(xp, XC, y, args.batch, args.iters, args.notebook_budget)
            res["notebook batched"] = record("notebook batched", s, it, a, done, counts[0])
            it, _ = notebook_batched_slice(xp, XC, y, args.batch, args.iters, args.notebook_budget)
            res["notebook batched, J a slice"] = {"per_iter_s": it, "iter_s": it * args.iters}
            print(f"{prefix}notebook batched with J a slice (a view, no copy) [{where(counts[0])}]: "
                  f"{it:.3f} s per iteration (not in the table)")
        if "per-column" in methods:
            s, it, done, a = notebook_per_column(xp, XC, y, args.iters, args.notebook_budget)
            res["notebook per-column"] = record("notebook per-column", s, it, a, done, counts[0])
        del XC

    forms = {"batched": lambda: best_batched(xp, XF, y, args.batch, args.iters),
             "block-exact": lambda: best_batched(xp, XF, y, args.batch, args.iters, exact=True),
             "per-column": lambda: best_per_column(xp, XF, y, args.iters),
             "gram": lambda: best_gram(xp, XF, y, args.iters)}
    for m in ["batched", "per-column", "block-exact", "gram"]:
        if m not in methods:
            continue
        for n in counts:  # the faster thread count counts
            if n is not None:
                set_blas_threads(n)
            tries = [forms[m]() for _ in range(args.repeat)]  # the fastest of a few, as for starbak
            s, it, a = min(tries, key=lambda t: t[0] + t[1])
            r = record(f"best {m}", s, it, a, threads=n)
            if n is not None:
                res[f"best {m} @{n}"] = r
            if f"best {m}" not in res or r["time_s"] < res[f"best {m}"]["time_s"]:
                res[f"best {m}"] = r
    return res


def cupy_peers(cp, XF, y, a_true, args):
    """The same peers on the GPU; X's host-to-device copy is timed apart."""
    t0 = clock(cp)
    Xd, yd = to_xp(cp, XF), to_xp(cp, y)
    copy_s = clock(cp) - t0
    print(f"{describe(cp)}: host-to-device copy of X and y {copy_s:.3f} s "
          f"({(XF.nbytes + y.nbytes) / copy_s / 1e9:.1f} GB/s), not in the CuPy times: a CuPy user keeps X "
          f"on the GPU, so the solve is the comparison")
    sys.stdout.flush()
    res = run_peers(cp, Xd, yd, a_true, args, [None], lambda n: "GPU", prefix="CuPy ")
    res.update(device=describe(cp), copy_s=copy_s)
    return res


def peers(args):
    XF, y, a_true = load(args.dir)
    obs, vars_ = XF.shape
    res = {"obs": obs, "vars": vars_, "iters": args.iters, "batch": args.batch}
    cfg, nthreads = blas_threads()
    res["numpy"] = np.__version__
    res["blas"] = cfg
    res["blas_threads"] = nthreads
    res["cpu_count"] = os.cpu_count()
    res["OPENBLAS_NUM_THREADS"] = os.environ.get("OPENBLAS_NUM_THREADS", "unset")
    print(f"numpy: {np.__version__}  BLAS: {cfg}")
    print(f"numpy BLAS threads: {nthreads} by default (os.cpu_count: {os.cpu_count()}, "
          f"OPENBLAS_NUM_THREADS: {res['OPENBLAS_NUM_THREADS']})")
    sys.stdout.flush()

    bw = bandwidth(XF)
    res["bandwidth"] = bw
    print("memory read bandwidth over X (GB/s, best of 3): " +
          ", ".join(f"{k} {v:.1f}" for k, v in bw.items()))
    sys.stdout.flush()

    # The best forms run under each BLAS thread count; the faster counts.
    counts = [nthreads, 1] if nthreads and nthreads > 1 and set_blas_threads(1) else [nthreads]
    res.update(run_peers(np, XF, y, a_true, args, counts, lambda n: f"{n} BLAS threads"))
    set_blas_threads(nthreads or 1)

    cp, why = cupy_or_reason()
    if cp is None:
        print(f"CuPy peers: skipped ({why})")
    else:
        res["cupy"] = cupy_peers(cp, XF, y, a_true, args)
    with open(os.path.join(args.dir, "peers.json"), "w") as f:
        json.dump(res, f, indent=1)


# --- report ----------------------------------------------------------------------

def parse_driver(path):
    """examples/solvebak's key: value lines, one dict per method it ran."""
    runs, head = [], {}
    with open(path) as f:
        for line in f:
            m = re.match(r"^([A-Za-z_ ]+): (.*)$", line.rstrip("\n"))
            if not m:
                continue  # the per-iteration progress lines
            key, value = m.groups()
            if key == "method":
                runs.append(dict(head))
            (runs[-1] if runs else head)[key] = value
    out = []
    for kv in runs:
        if "time_s" not in kv:
            continue
        ncpu, ncuda = (int(n) for n in re.findall(r"\d+", kv["workers"]))  # "2 CPU, 0 CUDA"
        r = dict(method=kv["method"], tile_rows=int(kv["tile_rows"]), setup=float(kv["time_setup_s"]),
                 iters_s=float(kv["time_iterations_s"]), total=float(kv["time_s"]),
                 tasks=int(kv["tasks on CPU"]) + int(kv.get("tasks on CUDA", 0)), iterations=int(kv["iterations"]),
                 ncpu=ncpu, ncuda=ncuda, rel=float(kv["rel_residual"]))
        r["solve"] = r["setup"] + r["iters_s"]
        out.append(r)
    return out


def sweep_runs(d):
    runs = []
    for path in sorted(glob.glob(os.path.join(d, "sweep_*.txt"))):
        runs += parse_driver(path)
    return runs


def best_configs(args):
    """Prints 'method ncpu tile_rows' for the fastest sweep run of each method."""
    best = {}
    for r in sweep_runs(args.dir):
        if r["method"] not in best or r["solve"] < best[r["method"]]["solve"]:
            best[r["method"]] = r
    for m in METHODS:
        if m in best:
            print(m, best[m]["ncpu"], best[m]["tile_rows"])


def ratio(num, den):
    return f"{num / den:.2f}x" if num and den else "-"


def cuda_workers(r):
    """'' or ' + 1 CUDA', after a CPU worker count."""
    return f" + {r['ncuda']} CUDA" if r["ncuda"] else ""


def report(args):
    with open(os.path.join(args.dir, "peers.json")) as f:
        peers_ = json.load(f)
    a_true = np.load(os.path.join(args.dir, "a_true.npy"))
    xbytes = peers_["obs"] * peers_["vars"] * 8
    sweep = sweep_runs(args.dir)
    runs = {}
    for m in METHODS:
        path = os.path.join(args.dir, f"final_{m}.txt")
        if os.path.exists(path):
            got = parse_driver(path)
            if got:
                r = min(got[1:] or got, key=lambda r: r["solve"])  # the fastest warm run
                r["cold"] = got[0]["solve"]
                r["err"] = float(np.mean(np.abs(np.load(os.path.join(args.dir, f"a_{m}.npy")) - a_true)))
                runs[m] = r
            else:
                print(f"warning: {path}: the driver printed no result (failed run?)", file=sys.stderr)

    print()
    print("starbak variants (solve = time_setup_s + time_iterations_s; time_s adds the final residual")
    print("recomputed from X; per task = workers x solve / tasks, the time one task holds a worker):")
    print("| method | STARPU_NCPU | tile_rows | set-up s | iterations s | solve s | time_s | tasks | "
          "us/task | rel_residual |")
    print("|" + "---|" * 10)
    for m in METHODS:
        mine = [r for r in sweep if r["method"] == m]
        fastest = min(mine, key=lambda r: r["solve"]) if mine else None
        for r in mine:
            per_task = (r["ncpu"] + r["ncuda"]) * r["solve"] / r["tasks"] * 1e6 if r["tasks"] else 0
            star = " **best**" if r is fastest else ""
            print(f"| {m} | {r['ncpu']}{cuda_workers(r)} | {r['tile_rows']} | {r['setup']:.3f} | {r['iters_s']:.3f} | "
                  f"{r['solve']:.3f}{star} | {r['total']:.3f} | {r['tasks']} | {per_task:.1f} | {r['rel']:.2e} |")

    bw = max(peers_["bandwidth"].values())
    floor = 2 * xbytes * args.iters / bw / 1e9
    print()
    print(f"physical floor: X is {xbytes / 1e9:.2f} GB; best measured read bandwidth {bw:.1f} GB/s; "
          f"reading X twice per iteration x {args.iters} iterations takes {floor:.3f} s (batched's "
          f"floor, unless a block stays in cache between its two reads), once per iteration "
          f"{floor / 2:.3f} s (per-column's floor: a column is reused at once, from cache); "
          f"reading X once (to form G) {xbytes / bw / 1e9:.3f} s")

    print()
    print(f"Final table: obs {peers_['obs']}, vars {peers_['vars']}, {args.iters} iterations, batch "
          f"{peers_['batch']}, double, same X and y for all.")
    print("Times are set-up + iterations (loading the data excluded). starbak: its fastest variant above, run "
          "again three times in one process with --out, the fastest warm (2nd or 3rd) run counts; best NumPy: the fastest of 2 runs under each BLAS thread count. ratio = NumPy s / starbak s "
          "(above 1: starbak faster). GB/s = X bytes read by starbak / starbak s (batched, per-column, "
          "block-exact: twice per iteration plus once in set-up; gram: once, to form G).")
    print("| method | starbak s | notebook s | best-NumPy s | ratio vs notebook | ratio vs best | GB/s | "
          "mean\\|a−a_true\\| (starbak / best NumPy) |")
    print("|" + "---|" * 8)
    cupy = peers_.get("cupy", {})

    def row(label, r, gbs, notebook, bst, where):
        seed_s = f"{notebook['time_s']:.2f}" + ("*" if notebook["done"] != args.iters else "") if notebook else "-"
        best_s = f"{bst['time_s']:.3f} ({where(bst)})" if bst else "-"
        best_err = f"{bst['err']:.2e}" if bst else "-"
        print(f"| {label} | {r['solve']:.3f} | {seed_s} | {best_s} | "
              f"{ratio(notebook and notebook['time_s'], r['solve'])} | {ratio(bst and bst['time_s'], r['solve'])} | "
              f"{gbs:.1f} | {r['err']:.2e} / {best_err} |")

    goals = []
    for m in METHODS:
        if m not in runs:
            continue
        r = runs[m]
        notebook = peers_.get(f"notebook {m}")
        bst = peers_.get(f"best {m}")
        reads = 1 if m == "gram" else 2 * r["iterations"] + 1
        gbs = reads * xbytes / r["solve"] / 1e9
        row(f"{m} ({r['ncpu']} CPU{cuda_workers(r)}, tile {r['tile_rows']})", r, gbs, notebook, bst,
            lambda b: f"{b['threads']}T")
        if cupy:
            row(f"{m}, vs CuPy", r, gbs, cupy.get(f"notebook {m}"), cupy.get(f"best {m}"), lambda b: "GPU")
        vs_best = bst["time_s"] / r["solve"] if bst else 0
        vs_notebook = notebook["time_s"] / r["solve"] if notebook else 0
        if m == "batched":
            goals.append(("batched >= 0.9x best NumPy batched", vs_best >= 0.9, f"{vs_best:.2f}x"))
            goals.append(("batched >= 25x the notebook's loop", vs_notebook >= 25, f"{vs_notebook:.1f}x"))
            goals.append((f"batched mean|a-a_true| <= 1e-10 at {args.iters} iterations", r["err"] <= 1e-10,
                          f"{r['err']:.2e}"))
        elif m == "per-column":
            goals.append(("per-column >= 1.5x best NumPy per-column", vs_best >= 1.5, f"{vs_best:.2f}x"))
        elif m == "gram":
            goals.append(("gram >= 1.2x best NumPy Gram form", vs_best >= 1.2, f"{vs_best:.2f}x"))
    if any(r["ncuda"] for r in runs.values()):  # the goals set for a GPU (an H100)
        for m, limit in (("batched", 0.060), ("gram", 0.020)):
            if m in runs:
                t = runs[m]["solve"]
                goals.append((f"{m} set-up + {args.iters} iterations <= {limit * 1e3:.0f} ms on an H100 "
                               f"({runs[m]['ncpu']} CPU{cuda_workers(runs[m])})", t <= limit, f"{t * 1e3:.1f} ms"))
    for prefix, peer, res in (("", "NumPy", peers_), ("CuPy ", "CuPy", cupy)):
        for m in METHODS:
            s = res.get(f"notebook {m}")
            if s and s["done"] != args.iters:
                print(f"* {prefix}notebook {m} loop extrapolated: it ran {s['done']:.2f} of "
                      f"{args.iters} iterations ({s['per_iter_s']:.2f} s per iteration) after a set-up of "
                      f"{s['setup_s']:.2f} s; the same iterates as best {peer}, so only best {peer}'s error is shown")
    if cupy:
        print(f"  rows 'vs CuPy': the peers' columns hold the times of {cupy['device']}, with X already on the GPU (its host-to-device copy, {cupy['copy_s']:.3f} s, is not counted: a "
              f"CuPy user keeps X there, so the solve is the comparison); best CuPy: the fastest of 2 runs; "
              f"ratio = CuPy s / starbak s; the last column compares with best CuPy")
    print("  starbak's first solve in a fresh process (cold: thread start-up, first touches) took " +
          ", ".join(f"{m} {r['cold']:.3f} s" for m, r in runs.items()))
    for m in METHODS:
        per = [peers_[k] for k in (f"best {m} @{peers_['blas_threads']}", f"best {m} @1") if k in peers_]
        if len(per) == 2 and per[0] is not per[1]:
            print(f"  best NumPy {m}: " + ", ".join(f"{p['time_s']:.3f} s with {p['threads']} BLAS thread"
                                                   f"{'s' * (p['threads'] != 1)}" for p in per))
    print(f"NumPy {peers_['numpy']}, {peers_['blas']}; {peers_['blas_threads']} BLAS threads by default "
          f"(os.cpu_count {peers_['cpu_count']}, OPENBLAS_NUM_THREADS {peers_['OPENBLAS_NUM_THREADS']}); "
          f"notebook loops ran with the default")
    print()
    print("Goals (this machine):")
    for name, ok, value in goals:
        print(f"  {'met    ' if ok else 'NOT met'}  {name}: {value}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("dir")
    g.add_argument("--obs", type=int, default=100000)
    g.add_argument("--vars", type=int, default=1000)
    g.add_argument("--seed", type=int, default=1)
    q = sub.add_parser("peers")
    q.add_argument("dir")
    q.add_argument("--iters", type=int, default=10)
    q.add_argument("--batch", type=int, default=100)
    q.add_argument("--notebook-budget", type=float, default=20.0,
                   help="seconds of iterations after which a notebook loop stops and is extrapolated")
    q.add_argument("--methods", default=",".join(METHODS))
    q.add_argument("--repeat", type=int, default=2, help="runs of each best form; the fastest counts")
    r = sub.add_parser("report")
    r.add_argument("dir")
    r.add_argument("--iters", type=int, default=10)
    b = sub.add_parser("best-configs")
    b.add_argument("dir")
    args = p.parse_args()
    {"gen": gen, "peers": peers, "report": report, "best-configs": best_configs}[args.cmd](args)


if __name__ == "__main__":
    main()
