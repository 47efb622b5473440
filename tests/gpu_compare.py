#!/usr/bin/env python3
"""Compares two runs of a starbak driver on the same data: one on the CPUs
alone, one with CUDA workers (scripts/gpu-checks). They must agree to the
rounding that two devices' libraries allow, and the second must have run
tasks on CUDA.

  gpu_compare.py solvebak CPU.txt GPU.txt [--a A_CPU.npy A_GPU.npy]
      every method's residual after each iteration, its final residual
      (recomputed from X) and mean |a - a_true|; a of the last method
  gpu_compare.py ann CPU.txt GPU.txt [--models M_CPU.sbk M_GPU.sbk]
      dropped and redrawn neurons (the same draws), the ridge, r on train
      and test; the inner weights W of the model files
  gpu_compare.py mcpi CPU.txt GPU.txt
      the count of samples inside the circle: identical
--any-workers drops the CUDA requirement (tests/test_gpu_bundle.test compares
two CPU runs). Prints one line per comparison; exit 0 when all agree, 1 when
one differs, 2 on unreadable input.
"""
import argparse
import re
import struct
import sys

# (relative, absolute) tolerance per precision for values the drivers print:
# the two devices sum in different orders, so iterates differ by rounding.
RESIDUAL_TOL = {"d": (1e-5, 1e-12), "s": (1e-3, 1e-5)}
ERROR_TOL = {"d": (0.1, 1e-13), "s": (0.1, 1e-5)}
A_TOL = {"d": 1e-10, "s": 1e-4}         # ||a_gpu - a_cpu|| / ||a_cpu||
W_TOL = {"d": 1e-8, "s": 1e-5}          # max |dw| / (1 + |w|), as tests/test_gpu_ann.c
R_TOL = {"d": 1e-6, "s": 1e-4}          # r on train and test


def die(msg):
    print(f"starbak: gpu_compare: {msg}", file=sys.stderr)
    sys.exit(2)


class Verdict:
    def __init__(self):
        self.failed = 0

    def check(self, ok, what):
        print(f"{'agree ' if ok else 'DIFFER'}  {what}")
        self.failed += not ok


def read_run(path):
    """The driver's 'key: value' lines: the header, then one dict per method (solvebak)."""
    head, runs, iters = {}, [], {}
    try:
        lines = open(path).read().splitlines()
    except OSError as e:
        die(e)
    for line in lines:
        m = re.match(r"^(\S+) iteration: (\d+) rel_residual: (\S+)", line)
        if m:
            iters[(m.group(1), int(m.group(2)))] = float(m.group(3))
            continue
        m = re.match(r"^([A-Za-z_ ]+): (.*)$", line)
        if not m:
            continue
        key, value = m.groups()
        if key == "method":
            runs.append({})
        (runs[-1] if runs else head)[key] = value
    return head, runs, iters


def close(x, y, tol):
    rel, absolute = tol
    return abs(x - y) <= rel * max(abs(x), abs(y)) + absolute


def cuda_tasks(head, runs):
    return sum(int(r.get("tasks on CUDA", 0)) for r in [head] + runs)


def check_workers(v, gpu, any_workers):
    if not any_workers:
        n = cuda_tasks(*gpu[:2])
        v.check(n > 0, f"the GPU run ran {n} tasks on CUDA")


def solvebak(v, cpu, gpu, a_files):
    prec = cpu[0].get("precision", "d")
    v.check(prec == gpu[0].get("precision"), f"both runs in precision {prec}")
    methods = [r["method"] for r in cpu[1]]
    v.check(methods == [r["method"] for r in gpu[1]], f"the same methods: {', '.join(methods)}")
    for m, rc, rg in zip(methods, cpu[1], gpu[1]):
        keys = sorted(k for k in cpu[2] if k[0] == m)
        worst = max((abs(cpu[2][k] - gpu[2].get(k, float("inf"))) / max(cpu[2][k], 1e-300) for k in keys),
                    default=float("inf"))
        v.check(bool(keys) and all(k in gpu[2] and close(cpu[2][k], gpu[2][k], RESIDUAL_TOL[prec]) for k in keys),
                f"{m}: residual after each of {len(keys)} iterations (largest relative difference {worst:.1e})")
        for key, tol in (("rel_residual", RESIDUAL_TOL), ("mean_abs_error", ERROR_TOL)):
            if key in rc:
                x, y = float(rc[key]), float(rg.get(key, "inf"))
                v.check(close(x, y, tol[prec]), f"{m}: {key} {x:.6e} (CPU) and {y:.6e} (GPU)")
    if a_files:
        import numpy as np
        a, b = (np.load(f).ravel().astype(float) for f in a_files)
        diff = np.linalg.norm(a - b) / max(np.linalg.norm(a), 1e-300) if a.shape == b.shape else float("inf")
        v.check(diff <= A_TOL[prec], f"{methods[-1]}: a differs by {diff:.1e} relative (at most {A_TOL[prec]:g})")


def model_weights(path):
    """W of an ANN model file ((vars + 1) x neurons doubles after a 40-byte header, doc/guide.md)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:7] != b"SBKANN\0":
        die(f"{path}: not a starbak ANN model")
    _, nvars, neurons, _ = struct.unpack_from("<4I", data, 8)
    n = (nvars + 1) * neurons
    return struct.unpack_from(f"<{n}d", data, 40)


def ann(v, cpu, gpu, models):
    head_c, head_g = cpu[0], gpu[0]
    prec = head_c.get("precision", "d")
    for key in ("dropped_neurons", "redrawn_neurons"):
        v.check(key in head_c and head_c.get(key) == head_g.get(key),
                f"{key}: {head_c.get(key)} (CPU) and {head_g.get(key)} (GPU)")
    # The same partials give the same ridge; each device's partials round differently,
    # which in float can move a borderline H^T H one step of the ridge ladder (x10).
    x, y = float(head_c.get("ridge", "nan")), float(head_g.get("ridge", "nan"))
    same = x == y if prec == "d" else (x == y or (x > 0 and y > 0 and 0.1 <= x / y <= 10))
    v.check(same, f"ridge: {head_c.get('ridge')} (CPU) and {head_g.get('ridge')} (GPU)"
                  f"{'' if prec == 'd' else ' (float: one step of x10 allowed)'}")
    for key in ("r_train", "r_test"):
        x, y = float(head_c.get(key, "nan")), float(head_g.get(key, "nan"))
        v.check(abs(x - y) <= R_TOL[prec], f"{key}: {x:.8f} (CPU) and {y:.8f} (GPU)")
    if models:
        w, u = (model_weights(f) for f in models)
        worst = max((abs(a - b) / (1 + abs(a)) for a, b in zip(w, u)), default=float("inf"))
        v.check(len(w) == len(u) and worst <= W_TOL[prec],
                f"inner weights W: {len(w)} values, largest scaled difference {worst:.1e} (at most {W_TOL[prec]:g})")


def mcpi(v, cpu, gpu):
    a, b = cpu[0].get("inside"), gpu[0].get("inside")
    v.check(a is not None and a == b, f"inside: {a} (CPU) and {b} (GPU) of {cpu[0].get('samples')} samples")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("driver", choices=("solvebak", "ann", "mcpi"))
    p.add_argument("cpu")
    p.add_argument("gpu")
    p.add_argument("--a", nargs=2, metavar=("A_CPU", "A_GPU"))
    p.add_argument("--models", nargs=2, metavar=("M_CPU", "M_GPU"))
    p.add_argument("--any-workers", action="store_true")
    args = p.parse_args()
    cpu, gpu = read_run(args.cpu), read_run(args.gpu)
    v = Verdict()
    check_workers(v, gpu, args.any_workers)
    if args.driver == "solvebak":
        solvebak(v, cpu, gpu, args.a)
    elif args.driver == "ann":
        ann(v, cpu, gpu, args.models)
    else:
        mcpi(v, cpu, gpu)
    sys.exit(1 if v.failed else 0)


if __name__ == "__main__":
    main()
