#!/usr/bin/python3
"""bench/ann_partition.py — accuracy of the least-squares ANN with its inner layer on random rows and
on k-means clusters (examples/ann fit --partition random|kmeans), beside scikit-learn's
MLPRegressor and Ridge, on the same train/test splits:
  sin      y = sin(sum x) / 2, x uniform in [-1/2, 1/2)^10: 100000 training rows, 25000 test rows
  diabetes scikit-learn's diabetes set (442 x 10), 75% / 25% split (seed 0); y scaled (--scale-y)
Prints, per model: Pearson r and 1 - R^2 on the test rows, r on the training rows, and the fit time.
usage: bench/ann_partition.py [--quick] [--bin DIR]   (--quick: sin at 20000 rows)
A study, not a test: it prints numbers."""
import argparse
import os
import re
import subprocess
import tempfile
import time

import numpy as np


def r_and_r2(pred, y):
    r = np.corrcoef(pred, y)[0, 1]
    return r, 1.0 - np.sum((pred - y) ** 2) / np.sum((y - y.mean()) ** 2)


def run_ann(driver, work, sets, neurons, partition, scale_y):
    names = ["Xtr", "ytr", "Xte", "yte"]
    for name, a in zip(names, sets):
        np.save(os.path.join(work, name + ".npy"), np.asfortranarray(a))
    path = lambda n: os.path.join(work, n + ".npy")
    cmd = [driver, "fit", "--X", path("Xtr"), "--y", path("ytr"), "--test-X", path("Xte"), "--test-y",
           path("yte"), "--neurons", str(neurons), "--partition", partition, "--model", path("model")[:-4] + ".sbk"]
    if scale_y:
        cmd.append("--scale-y")
    env = dict(os.environ, STARPU_SILENT="1", STARPU_HOME=os.path.join(work, "starpu"))
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{out.stdout}{out.stderr}")
    cmd = [driver, "predict", "--model", path("model")[:-4] + ".sbk", "--X", path("Xte"), "--out", path("pred")]
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    field = lambda key: re.search(rf"^{key}: (\S+)", out.stdout, re.M)
    r, r2 = r_and_r2(np.load(path("pred")), sets[3])
    extra = ""
    if partition == "kmeans":
        extra = (f"clusters {field('cluster_rows_min').group(1)}/{field('cluster_rows_median').group(1)}/"
                 f"{field('cluster_rows_max').group(1)} rows, {field('merged_clusters').group(1)} merged, "
                 f"clustering {float(field('time_clustering_s').group(1)):.2f} s")
    return r, r2, float(field("r_train").group(1)), float(field("time_fit_s").group(1)), extra


def run_sklearn(model, sets):
    Xtr, ytr, Xte, yte = sets
    start = time.perf_counter()
    model.fit(Xtr, ytr)
    seconds = time.perf_counter() - start
    r, r2 = r_and_r2(model.predict(Xte), yte)
    return r, r2, np.corrcoef(model.predict(Xtr), ytr)[0, 1], seconds, ""


def sin_sets(obs, rng):
    X = rng.uniform(-0.5, 0.5, size=(obs + obs // 4, 10))
    y = np.sin(X.sum(axis=1)) / 2
    return X[:obs], y[:obs], X[obs:], y[obs:]


def diabetes_sets(rng):
    from sklearn.datasets import load_diabetes
    X, y = load_diabetes(return_X_y=True)
    order = rng.permutation(len(y))
    cut = len(y) * 3 // 4
    return X[order[:cut]], y[order[:cut]], X[order[cut:]], y[order[cut:]]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--bin", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))
    args = parser.parse_args()
    import warnings
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import Ridge
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    warnings.simplefilter("ignore", ConvergenceWarning)  # MLPRegressor's: the table says how far it got
    driver = os.path.join(args.bin, "ann")
    studies = [("sin", sin_sets(20000 if args.quick else 100000, np.random.default_rng(1)), [200, 1000], False),
               ("diabetes", diabetes_sets(np.random.default_rng(0)), [10, 20], True)]
    print(f"date: {time.strftime('%Y-%m-%d %H:%M')}; load average at start: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as work:
        for name, sets, neuron_counts, scale_y in studies:
            print(f"\n== {name}: {len(sets[1])} training rows, {len(sets[3])} test rows, {sets[0].shape[1]} columns")
            print(f"{'model':34s} {'r test':>10s} {'1 - R2 test':>12s} {'r train':>10s} {'fit s':>8s}")
            rows = []
            for n in neuron_counts:
                for partition in ("random", "kmeans"):
                    rows.append((f"starbak ANN {n} neurons, {partition}",
                                 run_ann(driver, work, sets, n, partition, scale_y)))
            # As a skilled user would: X and y standardised around the network.
            mlp = make_pipeline(StandardScaler(), MLPRegressor(hidden_layer_sizes=(100,), max_iter=500,
                                                               random_state=0))
            rows.append(("sklearn MLPRegressor (100,), adam",
                         run_sklearn(TransformedTargetRegressor(regressor=mlp, transformer=StandardScaler()), sets)))
            rows.append(("sklearn Ridge (alpha 1)", run_sklearn(Ridge(alpha=1.0), sets)))
            for label, (r, r2, r_train, seconds, extra) in rows:
                print(f"{label:34s} {r:10.7f} {1 - r2:12.3e} {r_train:10.7f} {seconds:8.2f}  {extra}")


if __name__ == "__main__":
    main()
