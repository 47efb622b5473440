"""The array module the benchmarks' peers run on: NumPy, or CuPy on a GPU.

The peers are written once over an array module `xp` (numpy or cupy); these
are the few places where the two differ.
"""
import contextlib
import time

import numpy as np


def cupy_or_reason():
    """(cupy, None) when CuPy imports and sees a GPU, else (None, why not)."""
    try:
        import cupy
    except Exception as e:  # ImportError, or a CUDA library it could not load
        return None, f"import cupy failed: {e}"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:  # no driver, no device
        return None, f"CuPy sees no GPU: {e}"
    if count <= 0:
        return None, "CuPy sees no GPU"
    return cupy, None


def on_gpu(xp):
    return xp is not np


def clock(xp):
    """Seconds, once the GPU has finished what was queued: CuPy only queues work."""
    if on_gpu(xp):
        xp.cuda.Device().synchronize()
    return time.perf_counter()


def to_xp(xp, a):
    """a on xp's device: the same array for NumPy, a host-to-device copy (order kept) for CuPy."""
    return xp.asarray(a)


def to_host(xp, a):
    return xp.asnumpy(a) if on_gpu(xp) else a


def linalg_errors(xp):
    """A context in which a failed factorisation raises numpy.linalg.LinAlgError: CuPy
    checks cuSOLVER's status only when asked (it has to wait for the GPU to read it)."""
    if on_gpu(xp):
        import cupyx
        return cupyx.errstate(linalg="raise")
    return contextlib.nullcontext()


def describe(xp):
    """'NumPy 1.24.2', or 'CuPy 13.3.0 on NVIDIA H100 80GB HBM3'."""
    if not on_gpu(xp):
        return f"NumPy {np.__version__}"
    name = xp.cuda.runtime.getDeviceProperties(xp.cuda.Device().id)["name"]
    return f"CuPy {xp.__version__} on {name.decode() if isinstance(name, bytes) else name}"
