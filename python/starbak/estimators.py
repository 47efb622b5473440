"""scikit-learn estimators over starbak's solvers: ANNRegressor (the
least-squares ANN) and SolveBakRegressor (linear least squares by SolveBak).
Both follow scikit-learn's contract: fit returns self, fitted attributes end
with an underscore, get_params/set_params, score (R^2), pickling,
NotFittedError before fit."""

import numbers

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .solvers import AnnModel, ann_fit, solvebak

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data as _sk_validate_data
except ImportError:
    _sk_validate_data = None


def _validate(estimator, X, y="no_validation", reset=True):
    """X (and y) checked and converted as scikit-learn does: float64 or
    float32 kept, other numbers to float64; NaN/Inf and empty data refused."""
    kwargs = {"dtype": [np.float64, np.float32], "reset": reset}
    if not (isinstance(y, str) and y == "no_validation"):
        kwargs["y_numeric"] = True
    if _sk_validate_data is not None:
        return _sk_validate_data(estimator, X, y, **kwargs)
    return estimator._validate_data(X, y, **kwargs)


def _seed(random_state):
    """An int random_state is the library's seed itself (the CLI's --seed)."""
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return int(random_state) % 2**64
    return int(check_random_state(random_state).randint(0, 2**31 - 1))


class ANNRegressor(RegressorMixin, BaseEstimator):
    """The least-squares ANN y ~ sum_k v_k tanh(x . w_k + b_k) + v_0, fitted
    by starbak (doc/guide.md, the ANN): each neuron's inner weights solve a
    least-squares fit on rows drawn at random, the outer weights a ridge
    least-squares on the hidden layer.

    neurons: hidden neurons. rows_per_neuron: rows drawn per neuron (None:
    n_samples / neurons, as the CLI, but at least 2 (n_features + 1) when
    that is too few, so that any data set fits). bias: the b_k and v_0 terms.
    ridge: lambda of the outer solve. random_state: an int is the library's
    seed (the CLI's --seed); the same model whatever the scheduler.
    scale_y: the inner fits need y in (-1, 1): True maps [min y, max y] into
    it and back, "auto" (the default) does so only when y leaves (-1, 1),
    False refuses such y.

    Fitted: model_ (starbak.AnnModel, the CLI's model file through save and
    load), W_, v_, report_, n_features_in_."""

    def __init__(self, neurons=1000, rows_per_neuron=None, bias=True, ridge=0.0, random_state=None, scale_y="auto",
                 tile_rows=None):
        self.neurons = neurons
        self.rows_per_neuron = rows_per_neuron
        self.bias = bias
        self.ridge = ridge
        self.random_state = random_state
        self.scale_y = scale_y
        self.tile_rows = tile_rows

    def _rows(self, n_samples, n_features):
        if self.rows_per_neuron is not None:
            return self.rows_per_neuron
        least = n_features + int(bool(self.bias))
        rows = n_samples // max(int(self.neurons), 1)
        return rows if rows >= least else min(n_samples, 2 * least)

    def fit(self, X, y):
        X, y = _validate(self, X, y)
        n, p = X.shape
        least = p + int(bool(self.bias))
        if n < least:
            raise ValueError("n_samples=%d: ANNRegressor needs at least n_features%s = %d samples" %
                             (n, " + 1" if self.bias else "", least))
        if self.scale_y not in (True, False, "auto"):
            raise ValueError("scale_y: %r is not True, False or 'auto'" % (self.scale_y,))
        y = np.asarray(y, dtype=X.dtype)
        scale = bool(np.any(np.abs(y) >= 1)) if self.scale_y == "auto" else bool(self.scale_y)
        self.model_, self.report_ = ann_fit(X, y, neurons=self.neurons, rows_per_neuron=self._rows(n, p),
                                            bias=self.bias, ridge=self.ridge, seed=_seed(self.random_state),
                                            scale_y=scale, tile_rows=self.tile_rows)
        self.W_, self.v_ = self.model_.W, self.model_.v
        return self

    def predict(self, X):
        check_is_fitted(self, "model_")
        X = _validate(self, X, reset=False)
        return self.model_.predict(X, tile_rows=self.tile_rows)

    def save(self, path):
        """Writes the fitted model as the CLI's model file (examples/ann predict --model reads it)."""
        check_is_fitted(self, "model_")
        self.model_.save(path)

    @classmethod
    def load(cls, path, **params):
        """A fitted ANNRegressor from a model file of save() or examples/ann fit --model."""
        model = AnnModel.load(path)
        est = cls(neurons=model.neurons, bias=model.bias, **params)
        est.model_, est.W_, est.v_ = model, model.W, model.v
        est.n_features_in_ = model.vars
        return est


class SolveBakRegressor(RegressorMixin, BaseEstimator):
    """Linear least squares X coef ~ y by SolveBak's coordinate descent
    (starbak.solvebak): method "batched" (default), "per-column",
    "block-exact" or "gram"; batch columns per batch (None: min(100,
    n_features)); iters sweeps, stopping early at tol (||e|| / ||y||);
    fit_intercept centres X and y first.

    Fitted: coef_, intercept_, report_ (starbak.SolveBakReport), n_features_in_."""

    def __init__(self, method="batched", batch=None, iters=10, tol=0.0, fit_intercept=True, tile_rows=None):
        self.method = method
        self.batch = batch
        self.iters = iters
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.tile_rows = tile_rows

    def fit(self, X, y):
        X, y = _validate(self, X, y)
        y = np.asarray(y, dtype=X.dtype)
        if self.fit_intercept:
            x_mean, y_mean = X.mean(axis=0), y.mean()
            X = np.asfortranarray(X - x_mean)
            y = y - y_mean
        else:
            X = np.asfortranarray(X)
        coef, self.report_ = solvebak(X, y, method=self.method, batch=self.batch, iters=self.iters, tol=self.tol,
                                      tile_rows=self.tile_rows)
        self.coef_ = coef
        self.intercept_ = float(y_mean - x_mean @ coef) if self.fit_intercept else 0.0
        return self

    def predict(self, X):
        check_is_fitted(self, "coef_")
        X = _validate(self, X, reset=False)
        return X @ self.coef_.astype(X.dtype) + X.dtype.type(self.intercept_)
