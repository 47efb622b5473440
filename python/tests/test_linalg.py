"""matmul, gemm, add and scale against NumPy, over dtypes, memory orders,
views, read-only memmaps and ragged shapes, and the bad inputs they refuse."""

import numpy as np
import pytest

import starbak
from conftest import DTYPES, eps, gemm_residual, rng

SHAPES = [(1, 1, 1), (37, 29, 53), (300, 257, 130)]  # m, k, n: ragged, several 128-tiles


def make(shape, dtype, order, seed=0):
    return np.asarray(rng(seed).uniform(-1, 1, shape), dtype=dtype, order=order)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("orders", ["CC", "FF", "CF", "FC"])
@pytest.mark.parametrize("mkn", SHAPES)
def test_matmul_orders(sched, dtype, orders, mkn):
    m, k, n = mkn
    A, B = make((m, k), dtype, orders[0], 1), make((k, n), dtype, orders[1], 2)
    C = starbak.matmul(A, B, tile=128)
    assert C.dtype == dtype and C.shape == (m, n)
    assert gemm_residual(C, A, B) < 10


@pytest.mark.parametrize("dtype", DTYPES)
def test_matmul_views(sched, dtype):
    big = make((260, 310), dtype, "C", 3)
    views = {"transposed": big.T[:200, :150], "rows sliced": big[::2, :200], "columns sliced": big[:, 10:210:2],
             "fortran sliced": np.asfortranarray(big)[5:205, ::3]}
    for name, A in views.items():
        B = make((A.shape[1], 70), dtype, "F", 4)
        C = starbak.matmul(A, B, tile=64)
        assert gemm_residual(C, A, B) < 10, name
        C = starbak.matmul(B.T, A.T, tile=64)
        assert gemm_residual(C, B.T, A.T) < 10, name


@pytest.mark.parametrize("order", ["F", "C"])
def test_matmul_out_in_place(sched, order):
    """The result appears in the out= array itself, Fortran or C ordered."""
    A, B = make((90, 40), np.float64, "F", 5), make((40, 70), np.float64, "C", 6)
    out = np.zeros((90, 70), order=order)
    address = out.__array_interface__["data"][0]
    r = starbak.matmul(A, B, out=out, tile=32, copy=False)
    assert r is out and out.__array_interface__["data"][0] == address
    assert gemm_residual(out, A, B) < 10


def test_matmul_no_copy_of_c_or_fortran_inputs(sched):
    """copy=False: C- and Fortran-ordered operands and transposed views never need a copy."""
    A, B = make((50, 30), np.float32, "C", 7), make((30, 20), np.float32, "F", 8)
    for a, b in [(A, B), (A, B.T.T), (np.asfortranarray(A), np.ascontiguousarray(B)), (A.T.T, B)]:
        assert gemm_residual(starbak.matmul(a, b, copy=False), a, b) < 10
    strided = make((100, 60), np.float32, "C", 9)[::2, ::2]
    with pytest.raises(starbak.CopyError) as e:
        starbak.matmul(strided, B, copy=False)
    assert isinstance(e.value, ValueError) and isinstance(e.value, starbak.Error)
    assert gemm_residual(starbak.matmul(strided, B), strided, B) < 10  # copied once


def test_matmul_promotion_and_vectors(sched):
    A32, A64 = make((20, 10), np.float32, "C"), make((20, 10), np.float64, "C")
    x = make((10,), np.float32, "C")
    assert starbak.matmul(A32, x).dtype == np.float32
    C = starbak.matmul(A32, A64.T)
    assert C.dtype == np.float64 and gemm_residual(C, A32, A64.T) < 10
    Ai = np.arange(12).reshape(3, 4)
    assert starbak.matmul(Ai, Ai.T).dtype == np.float64
    assert np.array_equal(starbak.matmul(Ai, Ai.T), (Ai @ Ai.T).astype(float))
    y = starbak.matmul(A64, x.astype(np.float64))
    assert y.shape == (20,) and gemm_residual(y[:, None], A64, x[:, None].astype(float)) < 10
    z = starbak.matmul(x, A32.T)
    assert z.shape == (20,)
    assert starbak.matmul(np.ones((3, 0)), np.ones((0, 4))).tolist() == np.zeros((3, 4)).tolist()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("trans", ["NN", "NT", "TN", "TT"])
def test_gemm(sched, dtype, trans):
    m, n, k = 75, 61, 43
    ta, tb = trans[0] == "T", trans[1] == "T"
    A = make((k, m) if ta else (m, k), dtype, "F", 10)
    B = make((n, k) if tb else (k, n), dtype, "C", 11)
    C0 = make((m, n), dtype, "F", 12)
    C = C0.copy(order="F")
    r = starbak.gemm(0.5, A, B, -2.0, C, transA=ta, transB=tb, tile=32)
    assert r is C
    assert gemm_residual(C, A.T if ta else A, B.T if tb else B, 0.5, -2.0, C0) < 10


def test_gemm_c_overlapping_an_operand(sched):
    A = make((40, 40), np.float64, "F", 13)
    A0, B = A.copy(), make((40, 40), np.float64, "F", 14)
    starbak.gemm(1.0, A, B, 1.0, A)
    assert gemm_residual(A, A0, B, 1.0, 1.0, A0) < 10


def add_error(R, A, B, alpha, beta):
    ref = alpha * np.asarray(A, np.float64) + beta * np.asarray(B, np.float64)
    scale = abs(alpha) * np.abs(np.asarray(A, np.float64)) + abs(beta) * np.abs(np.asarray(B, np.float64))
    return np.max(np.abs(R - ref) / np.maximum(scale, 1e-300)) / eps(R.dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1,), (1, 1), (1001,), (129, 67), (7, 5, 3)])
@pytest.mark.parametrize("orders", ["CCC", "FFF", "CFC", "FCF"])
def test_add(sched, dtype, shape, orders):
    A, B = make(shape, dtype, orders[0], 15), make(shape, dtype, orders[1], 16)
    out = np.empty(shape, dtype, order=orders[2])
    r = starbak.add(A, B, 2.5, -0.5, out=out, tile=32)
    assert r is out and add_error(out, A, B, 2.5, -0.5) <= 2


def test_add_views_and_copies(sched):
    big = make((200, 180), np.float64, "F", 17)
    A, B = big[10:150, ::2], big[:140, 1::2].copy(order="C")
    assert add_error(starbak.add(A, B), A, B, 1, 1) <= 2
    with pytest.raises(starbak.CopyError):
        starbak.add(A, B, copy=False)  # one column-major, one row-major: one is copied
    assert add_error(starbak.add(A, A.copy(order="F"), copy=False), A, A, 1, 1) <= 2
    C = A.copy(order="F")
    starbak.add(C, B, out=C)  # out overlapping an operand
    assert add_error(C, A, B, 1, 1) <= 2


@pytest.mark.parametrize("dtype", DTYPES)
def test_scale(sched, dtype):
    A = make((301, 77), dtype, "F", 18)
    R = starbak.scale(A, -3.0)
    assert R is not A and np.array_equal(R, (-3.0 * A).astype(dtype))
    V = A[:, ::2]
    ref = -3.0 * V
    starbak.scale(V, -3.0, out=V)
    assert np.array_equal(V, ref.astype(dtype))


def test_readonly_memmap_inputs(sched, tmp_path):
    A, B = make((120, 80), np.float64, "F", 19), make((120, 80), np.float32, "C", 20)
    np.save(tmp_path / "A.npy", A)
    np.save(tmp_path / "B.npy", B)
    mA, mB = np.load(tmp_path / "A.npy", mmap_mode="r"), np.load(tmp_path / "B.npy", mmap_mode="r")
    assert not mA.flags.writeable
    assert gemm_residual(starbak.matmul(mA, mB.T), A, B.T) < 10
    assert add_error(starbak.add(mA, mB), A, B, 1, 1) <= 2
    ro = A.copy()
    ro.setflags(write=False)
    assert gemm_residual(starbak.matmul(ro.T, ro), A.T, A) < 10


# --- bad inputs ------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.complex128, object, "U3", np.float16, np.longdouble])
def test_refused_dtypes(dtype):
    A = np.ones((3, 3), dtype=dtype)
    for call in (lambda: starbak.matmul(A, A), lambda: starbak.add(A, A), lambda: starbak.solvebak(A, A[:, 0])):
        with pytest.raises(TypeError) as e:
            call()
        assert isinstance(e.value, starbak.DTypeError) and str(np.dtype(dtype)) in str(e.value)


def test_refused_byte_order_shapes_and_sizes():
    swapped = np.ones((4, 4), dtype=">f8")
    with pytest.raises(ValueError, match="byte order"):
        starbak.matmul(swapped, swapped)
    with pytest.raises(starbak.ShapeError, match="do not conform") as e:
        starbak.matmul(np.ones((3, 4)), np.ones((3, 4)))
    assert isinstance(e.value, ValueError)
    with pytest.raises(ValueError, match="do not conform"):
        starbak.add(np.ones((3, 4)), np.ones((4, 3)))
    with pytest.raises(ValueError, match="out: shape"):
        starbak.matmul(np.ones((3, 4)), np.ones((4, 5)), out=np.empty((5, 3)))
    with pytest.raises(TypeError, match="out: dtype"):
        starbak.matmul(np.ones((3, 4)), np.ones((4, 5)), out=np.empty((3, 5), np.float32))
    huge = np.lib.stride_tricks.as_strided(np.zeros(1), shape=(2**31, 2), strides=(0, 0))
    with pytest.raises(ValueError, match="2\\^31 - 1"):
        starbak.matmul(huge, np.ones((2, 2)))
    with pytest.raises(ValueError, match="dimensions"):
        starbak.matmul(np.ones((2, 2, 2)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="tile"):
        starbak.matmul(np.ones((2, 2)), np.ones((2, 2)), tile=0)
    ro = np.ones((3, 3))
    ro.setflags(write=False)
    with pytest.raises(ValueError, match="read-only"):
        starbak.gemm(1, ro, ro, 0, ro)


class FakeCupyArray:
    """What CuPy arrays expose: device memory the host cannot read."""
    __cuda_array_interface__ = {"shape": (2, 2), "typestr": "<f8", "data": (0, False), "version": 3}


def test_gpu_arrays_refused_with_advice():
    with pytest.raises(TypeError, match="host arrays"):
        starbak.matmul(FakeCupyArray(), np.ones((2, 2)))
