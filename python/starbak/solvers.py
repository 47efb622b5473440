"""Monte-Carlo pi, SolveBak and the least-squares ANN on starbak's task graphs."""

from dataclasses import dataclass, field
import math
import operator

import numpy as np

from . import _runtime
from . import _starbak as _c
from ._arrays import as_input, converted, fortran_view, result_dtype
from .errors import DTypeError, InvalidArgumentError, ShapeError

METHODS = {"per-column": 0, "batched": 1, "block-exact": 2, "gram": 3}


def _integer(value, name, low, high):
    try:
        v = operator.index(value)
    except TypeError:
        if isinstance(value, float) and value.is_integer():
            v = int(value)  # sample counts are often written 1e9
        else:
            raise InvalidArgumentError("%s: %r is not an integer in [%d, %d]" % (name, value, low, high)) from None
    if not low <= v <= high:
        raise InvalidArgumentError("%s: %r is not an integer in [%d, %d]" % (name, value, low, high))
    return v


def _nonnegative(value, name):
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = float("nan")
    if not (math.isfinite(v) and v >= 0):
        raise InvalidArgumentError("%s: %r must be a finite number >= 0" % (name, value))
    return v


def mcpi(samples, seed=0, tasks=0):
    """The Monte-Carlo estimate of pi from `samples` points of the unit square;
    the same value for a given seed whatever the scheduler, workers or tasks."""
    samples = _integer(samples, "samples", 1, 2**64 - 1)
    seed = _integer(seed, "seed", 0, 2**64 - 1)
    tasks = _integer(tasks, "tasks", 0, 2**31 - 1)
    _runtime.ensure()
    return 4.0 * _c.mcpi(samples, seed, tasks) / samples


def default_tile_rows(obs):
    """Rows per tile: about 4 row blocks per worker, as the drivers choose."""
    ncpu, ncuda = _c.worker_counts()
    blocks = 4 * max(ncpu + ncuda, 1)
    return max(1, -(-obs // blocks))


@dataclass
class SolveBakReport:
    """What a SolveBak run did: ||e|| / ||y|| after each iteration, the zero
    columns skipped, the block-exact batches regularised, and its times."""
    method: str
    iterations: int
    rel_residual: np.ndarray
    final_rel_residual: float
    skipped: np.ndarray
    regularized_batches: int
    seconds_setup: float
    seconds_iterations: float
    seconds_total: float
    message: str = ""
    notes: list = field(default_factory=list)


def _method(method):
    key = str(method).replace("_", "-")
    if key not in METHODS:
        raise InvalidArgumentError("method: %r is not one of %s" % (method, ", ".join(METHODS)))
    return key


def solvebak(X, y, method="batched", batch=None, iters=10, tol=0.0, a0=None, progress=None, tile_rows=None,
             copy=True):
    """Solves X a ~ y (X obs x vars, obs >> vars) by SolveBak's coordinate
    descent; returns (a, report).

    method: "per-column", "batched" (the default), "block-exact" or "gram".
    batch: columns per batch (default min(100, vars)); iters: sweeps over
    every column; tol: stop once ||e|| / ||y|| <= tol (0: run iters); a0: a
    starting guess (left unchanged); progress(iteration, rel_residual,
    seconds) is called after each iteration, with the GIL, from the calling
    thread. X is read in place when Fortran-ordered (a column-major view);
    a C-ordered X is copied once into Fortran order (copy=False raises
    CopyError instead). NaN or Inf in X or y raise ValueError naming the
    first one's row and column."""
    key = _method(method)
    X, y = as_input(X, "X"), as_input(y, "y")
    if X.ndim != 2:
        raise ShapeError("X: %d dimensions, SolveBak needs a 2-D obs x vars matrix" % X.ndim)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ShapeError("y is %s and X is %s: y must hold one value per row of X" % (y.shape, X.shape))
    obs, nvars = X.shape
    if obs == 0 or nvars == 0:
        raise ShapeError("X is %s: SolveBak needs at least one row and one column" % (X.shape,))
    dtype = result_dtype(X, y)
    X = fortran_view(converted(X, dtype, "X", copy), "X", copy)
    y = converted(y, dtype, "y", copy)
    if not y.flags.c_contiguous:
        y = np.ascontiguousarray(y)
    batch = min(100, nvars) if batch is None else _integer(batch, "batch", 1, 2**31 - 1)
    if batch > nvars:
        raise InvalidArgumentError("batch: %d exceeds the %d columns of X" % (batch, nvars))
    iters = _integer(iters, "iters", 1, 10**7)
    tol = _nonnegative(tol, "tol")
    a = np.zeros(nvars, dtype)
    if a0 is not None:
        a0 = as_input(a0, "a0").reshape(-1)
        if a0.shape != (nvars,):
            raise ShapeError("a0 holds %d values, X has %d columns" % (a0.size, nvars))
        a[:] = a0
    if progress is not None and not callable(progress):
        raise DTypeError("progress: %r is not callable" % (progress,))
    _runtime.ensure()
    mb = default_tile_rows(obs) if tile_rows is None else _integer(tile_rows, "tile_rows", 1, 2**31 - 1)
    r = _c.solvebak(X, mb, batch, y, a, METHODS[key], batch, iters, tol, a0 is not None, progress)
    report = SolveBakReport(method=key, iterations=r["iterations"], rel_residual=np.array(r["rel_residual"]),
                            final_rel_residual=r["final_rel_residual"], skipped=np.array(r["skipped"], dtype=int),
                            regularized_batches=r["regularized_batches"], seconds_setup=r["seconds_setup"],
                            seconds_iterations=r["seconds_iterations"], seconds_total=r["seconds_total"],
                            message=r["message"], notes=[r["message"]] if r["message"] else [])
    return a, report


class AnnModel:
    """A fitted least-squares ANN: y ~ y_center + y_scale * (sum_k v_k
    tanh(x . w_k + b_k) + v_0). W is (vars + 1) x neurons (each neuron's
    weights, then its bias), v holds neurons + 1 values (v_0 last). The file
    format is the CLI's (examples/ann fit --model)."""

    def __init__(self, W, v, bias=True, y_center=0.0, y_scale=1.0, dtype=np.float64):
        W = np.asfortranarray(W, dtype=np.float64)
        v = np.ascontiguousarray(v, dtype=np.float64).reshape(-1)
        if W.ndim != 2 or W.shape[0] < 2 or v.shape != (W.shape[1] + 1,):
            raise ShapeError("W must be (vars + 1) x neurons and v hold neurons + 1 values (got %s and %s)" %
                             (W.shape, v.shape))
        self.W, self.v, self.bias = W, v, bool(bias)
        self.y_center, self.y_scale, self.dtype = float(y_center), float(y_scale), np.dtype(dtype)

    @property
    def vars(self):
        return self.W.shape[0] - 1

    @property
    def neurons(self):
        return self.W.shape[1]

    def _tuple(self):
        return (self.dtype.itemsize, self.vars, self.neurons, int(self.bias), self.W.tobytes(order="F"),
                self.v.tobytes(), self.y_center, self.y_scale)

    @classmethod
    def _from_tuple(cls, t):
        prec, nvars, neurons, bias, W, v, center, scale = t
        W = np.frombuffer(W, np.float64).reshape((nvars + 1, neurons), order="F").copy(order="F")
        return cls(W, np.frombuffer(v, np.float64).copy(), bias, center, scale,
                   np.float32 if prec == 4 else np.float64)

    def predict(self, X, tile_rows=None, copy=True):
        """The model's values on the rows of X (obs x vars), in X's dtype."""
        X = as_input(X, "X")
        if X.ndim != 2 or X.shape[1] != self.vars:
            raise ShapeError("X is %s: the model takes rows of %d values" % (X.shape, self.vars))
        dtype = result_dtype(X)
        X = fortran_view(converted(X, dtype, "X", copy), "X", copy)
        yhat = np.empty(X.shape[0], dtype)
        if X.shape[0]:
            _runtime.ensure()
            mb = default_tile_rows(X.shape[0]) if tile_rows is None else _integer(tile_rows, "tile_rows", 1,
                                                                                  2**31 - 1)
            _c.ann_predict(self._tuple(), X, yhat, mb)
        return yhat

    def save(self, path):
        """Writes the model file (atomically), readable by examples/ann predict --model."""
        _c.ann_save(self._tuple(), str(path))

    @classmethod
    def load(cls, path):
        """Reads a model file written by save() or examples/ann fit --model."""
        return cls._from_tuple(_c.ann_load(str(path)))


@dataclass
class AnnReport:
    dropped: np.ndarray
    redrawn: int
    ridge_used: float
    seconds_inner: float
    seconds_outer: float
    seconds_total: float
    message: str = ""


def ann_fit(X, y, neurons=1000, rows_per_neuron=None, bias=True, ridge=0.0, seed=0, scale_y=False,
            neurons_per_task=0, progress=None, tile_rows=None, copy=True):
    """Fits the least-squares ANN on X (obs x vars) and y (obs); returns
    (AnnModel, AnnReport). y must lie in (-1, 1) unless scale_y. progress(done,
    total) is called as inner-layer tasks finish (from StarPU's threads, with
    the GIL)."""
    X, y = as_input(X, "X"), as_input(y, "y")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if X.ndim != 2 or y.ndim != 1 or y.shape[0] != X.shape[0] or X.shape[0] == 0 or X.shape[1] == 0:
        raise ShapeError("X is %s and y %s: the ANN needs a 2-D X and one y per row" % (X.shape, y.shape))
    dtype = result_dtype(X, y)
    X = fortran_view(converted(X, dtype, "X", copy), "X", copy)
    y = np.ascontiguousarray(converted(y, dtype, "y", copy))
    neurons = _integer(neurons, "neurons", 1, 2**31 - 1)
    rows = 0 if rows_per_neuron is None else _integer(rows_per_neuron, "rows_per_neuron", 1, 2**31 - 1)
    ridge = _nonnegative(ridge, "ridge")
    seed = _integer(seed, "seed", 0, 2**64 - 1)
    _runtime.ensure()
    mb = default_tile_rows(X.shape[0]) if tile_rows is None else _integer(tile_rows, "tile_rows", 1, 2**31 - 1)
    model, r = _c.ann_fit(X, mb, y, bool(scale_y), neurons, rows, bool(bias), ridge, seed,
                          _integer(neurons_per_task, "neurons_per_task", 0, 2**31 - 1), progress)
    report = AnnReport(dropped=np.array(r["dropped"], dtype=int), redrawn=r["redrawn"], ridge_used=r["ridge_used"],
                       seconds_inner=r["seconds_inner"], seconds_outer=r["seconds_outer"],
                       seconds_total=r["seconds_total"], message=r["message"])
    return AnnModel._from_tuple(model), report
