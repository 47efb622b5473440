"""starbak from Python: NumPy arrays in and out, in place, computed by
starbak's StarPU task graphs on every CPU core and GPU of the machine.

    import numpy as np, starbak
    C = starbak.matmul(A, B)                  # A @ B
    a, report = starbak.solvebak(X, y)        # X a ~ y, SolveBak
    model = starbak.ANNRegressor(neurons=1000).fit(X, y)

StarPU starts on the first call (starbak.init() chooses the scheduler and
workers) and stops at exit. doc/python.md has the details."""

from ._runtime import info, init, shutdown
from .errors import (CopyError, DTypeError, Error, FileError, FormatError, InvalidArgumentError, NoDeviceError,
                     OutOfMemoryError, RuntimeFailure, ShapeError)
from .linalg import add, gemm, matmul, scale
from .solvers import AnnModel, AnnReport, SolveBakReport, ann_fit, mcpi, solvebak
from .trace import trace


def __getattr__(name):
    # The estimators import scikit-learn, which only they need.
    if name in ("ANNRegressor", "SolveBakRegressor"):
        from . import estimators
        return getattr(estimators, name)
    raise AttributeError("module 'starbak' has no attribute %r" % name)


__all__ = ["init", "info", "shutdown", "matmul", "gemm", "add", "scale", "mcpi", "solvebak", "ann_fit",
           "AnnModel", "AnnReport", "SolveBakReport", "ANNRegressor", "SolveBakRegressor", "trace", "Error",
           "InvalidArgumentError", "ShapeError", "DTypeError", "CopyError", "OutOfMemoryError", "RuntimeFailure",
           "NoDeviceError", "FileError", "FormatError"]
