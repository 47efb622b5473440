"""Shared fixtures: the schedulers every numeric test runs under, sizes."""

import os

import numpy as np
import pytest

import starbak

CI = os.environ.get("CI") == "true"
# (STARPU_SCHED, STARPU_NCPU): as tests/sched-loader, a few schedulers and one worker.
SCHEDULERS = [("eager", None), ("lws", None), ("dmda", None), ("dmda", 1)]
DTYPES = [np.float32, np.float64]


@pytest.fixture(scope="module", params=SCHEDULERS, ids=lambda p: p[0] + ("-ncpu1" if p[1] else ""))
def sched(request):
    """Restarts StarPU under one scheduler for the tests of a module."""
    name, ncpu = request.param
    starbak.init(sched=name, ncpu=ncpu)
    yield name
    starbak.init()


def eps(dtype):
    return np.finfo(dtype).eps


def gemm_residual(C, A, B, alpha=1.0, beta=0.0, C0=None):
    """||C - Cref||_F / ((|alpha| ||A|| ||B|| + |beta| ||C0||) k eps), computed in
    float64: below 10 means as accurate as the BLAS reference."""
    A64, B64 = np.asarray(A, np.float64), np.asarray(B, np.float64)
    ref = alpha * (A64 @ B64) + (beta * np.asarray(C0, np.float64) if C0 is not None else 0.0)
    k = A64.shape[-1] if A64.ndim else 1
    scale = abs(alpha) * np.linalg.norm(A64) * np.linalg.norm(B64) + (
        abs(beta) * np.linalg.norm(C0) if C0 is not None else 0.0)
    return np.linalg.norm(np.asarray(C, np.float64) - ref) / (max(scale, 1e-300) * max(k, 1) * eps(C.dtype))


def rng(seed=0):
    return np.random.default_rng(seed)
