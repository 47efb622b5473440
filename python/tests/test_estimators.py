"""The scikit-learn estimators: scikit-learn's own estimator checks, fits
against references, pickling, and model files shared with examples/ann."""

import os
import pickle
import subprocess

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn", reason="python3-sklearn is not installed")
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from starbak import ANNRegressor, SolveBakRegressor  # noqa: E402

TOP = os.environ.get("SBK_TOP_BUILDDIR", os.path.join(os.path.dirname(__file__), "..", ".."))
ANN_DRIVER = os.environ.get("SBK_ANN_DRIVER", os.path.join(TOP, "examples", "ann"))


@parametrize_with_checks([ANNRegressor(neurons=10, random_state=0), SolveBakRegressor(method="per-column", iters=50),
                          SolveBakRegressor(iters=30)])
def test_sklearn_checks(estimator, check):
    check(estimator)


def ann_data(obs, nvars, seed=0):
    g = np.random.default_rng(seed)
    X = g.uniform(-1, 1, (obs, nvars))
    return X, 0.8 * np.tanh(X @ g.uniform(-1, 1, nvars))


def test_ann_regressor_fits_and_pickles():
    X, y = ann_data(3000, 5, 1)
    est = ANNRegressor(neurons=50, random_state=4)
    with pytest.raises(NotFittedError):
        est.predict(X)
    assert est.fit(X, y) is est
    assert est.score(X, y) > 0.98 and est.n_features_in_ == 5
    assert est.W_.shape == (6, 50) and est.v_.shape == (51,)
    back = pickle.loads(pickle.dumps(est))
    assert np.array_equal(back.predict(X), est.predict(X))
    est2 = ANNRegressor(neurons=50, random_state=4).fit(X, y)
    assert np.array_equal(est2.W_, est.W_)  # an int random_state is the seed
    est.set_params(neurons=20)
    assert est.get_params()["neurons"] == 20 and est.fit(X, 5 * y).score(X, 5 * y) > 0.95  # y scaled


def test_solvebak_regressor_matches_lstsq():
    g = np.random.default_rng(2)
    X = g.uniform(-0.5, 0.5, (5000, 40))
    coef = g.uniform(-1, 1, 40)
    y = X @ coef + 3.0 + 1e-3 * g.standard_normal(5000)
    for method in ("per-column", "gram", "batched", "block-exact"):
        est = SolveBakRegressor(method=method, iters=100, batch=10).fit(X, y)
        A = np.hstack([X, np.ones((5000, 1))])
        ref = np.linalg.lstsq(A, y, rcond=None)[0]
        assert np.max(np.abs(est.coef_ - ref[:-1])) < 1e-3, method
        assert abs(est.intercept_ - ref[-1]) < 1e-3, method
        assert est.report_.iterations == 100


def run_driver(*args):
    if not os.access(ANN_DRIVER, os.X_OK):
        pytest.skip("the ANN driver %s is not built" % ANN_DRIVER)
    env = dict(os.environ, STARPU_SILENT="1")
    r = subprocess.run([ANN_DRIVER, *args], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_model_files_shared_with_the_cli(tmp_path):
    """A model of `ann fit --model` predicts the same in Python, and one saved
    from Python predicts the same through `ann predict`."""
    X, y = ann_data(2000, 4, 3)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    run_driver("fit", "--X", str(tmp_path / "X.npy"), "--y", str(tmp_path / "y.npy"), "--neurons", "40",
               "--model", str(tmp_path / "cli.sbk"))
    est = ANNRegressor.load(tmp_path / "cli.sbk")
    assert est.n_features_in_ == 4 and est.W_.shape == (5, 40)
    run_driver("predict", "--model", str(tmp_path / "cli.sbk"), "--X", str(tmp_path / "X.npy"), "--out",
               str(tmp_path / "cli_yhat.npy"))
    cli_yhat = np.load(tmp_path / "cli_yhat.npy")
    assert np.max(np.abs(est.predict(X) - cli_yhat)) <= 1e-12 * np.max(np.abs(cli_yhat))
    assert np.corrcoef(cli_yhat, y)[0, 1] > 0.98

    py = ANNRegressor(neurons=30, random_state=1).fit(X, y)
    py.save(tmp_path / "py.sbk")
    run_driver("predict", "--model", str(tmp_path / "py.sbk"), "--X", str(tmp_path / "X.npy"), "--out",
               str(tmp_path / "py_yhat.npy"))
    assert np.max(np.abs(np.load(tmp_path / "py_yhat.npy") - py.predict(X))) <= 1e-12
