"""Matrix products and element-wise kernels on starbak's task graphs."""

import numpy as np

from . import _runtime
from . import _starbak as _c
from ._arrays import as_input, check_output, column_major, converted, result_dtype
from .errors import CopyError, InvalidArgumentError, ShapeError

DEFAULT_TILE = 512  # as examples/gemm
DEFAULT_VECTOR_TILE = 1000000  # elements per task of a contiguous element-wise call, as examples/vecadd


def _tile(tile):
    if tile is None:
        return DEFAULT_TILE
    if int(tile) != tile or not 1 <= tile <= 65536:
        raise InvalidArgumentError("tile: %r is not an integer in [1, 65536]" % (tile,))
    return int(tile)


def _is_fortran(a):
    """a's buffer is column-major (Fortran order or a view with contiguous columns), not row-major."""
    cm = column_major(a) if a.ndim == 2 else None
    return cm is not None and not cm[1] and not a.flags.c_contiguous


def _stored(a, name, copy):
    """(buffer view, transposed) of a 2-D operand, copied into Fortran order
    only when neither of its axes is contiguous."""
    cm = column_major(a)
    if cm is None:
        if not copy:
            raise CopyError("%s: neither axis of this view is contiguous: it would be copied while "
                            "copy=False" % name)
        cm = (np.asfortranarray(a), False)
    return cm


def _gemm_into(alpha, A, B, beta, C, tile, copy):
    """C = alpha A B + beta C for 2-D arrays of C's dtype, in C's own buffer."""
    m, k = A.shape
    n = B.shape[1]
    if m == 0 or n == 0:
        return
    if k == 0:  # an empty sum
        C *= beta
        return
    cm = column_major(C)
    if cm is None or np.shares_memory(C, A) or np.shares_memory(C, B):
        # a strided out, or one that is also an operand: computed aside, then copied in
        if not copy:
            raise CopyError("out: strided or overlapping an operand: the result would be computed aside "
                            "and copied in while copy=False")
        tmp = np.array(C, order="F")
        _gemm_into(alpha, A, B, beta, tmp, tile, copy)
        C[...] = tmp
        return
    Cv, c_t = cm
    Av, a_t = _stored(A, "A", copy)
    Bv, b_t = _stored(B, "B", copy)
    if not c_t:  # C column-major: C = op(A) op(B), op = T where the buffer holds the transpose
        _c.gemm(a_t, b_t, alpha, Av, Bv, beta, Cv, tile, tile, tile)
    else:  # C row-major: its buffer is C.T = B.T A.T
        _c.gemm(not b_t, not a_t, alpha, Bv, Av, beta, Cv, tile, tile, tile)


def _matrix_operands(A, B, dtype, copy):
    A = converted(A, dtype, "A", copy)
    B = converted(B, dtype, "B", copy)
    return A, B


def matmul(A, B, out=None, tile=None, copy=True):
    """A @ B on every worker, as numpy.matmul for 1-D and 2-D operands.

    float32 and float64 stay as given (a mix gives float64, integers become
    float64). Fortran- and C-ordered arrays and views with a contiguous axis
    (transposes, A[:, :k], A[::2]) are read in place; out, when given, receives
    the result in its own buffer whatever its order. The result of two Fortran
    operands is Fortran-ordered, else C-ordered. tile: the tile size (512).
    copy=False raises CopyError where an operand would be copied."""
    A, B = as_input(A, "A"), as_input(B, "B")
    if A.ndim == 0 or B.ndim == 0 or A.ndim > 2 or B.ndim > 2:
        raise ShapeError("matmul: operands of %d and %d dimensions: starbak multiplies 1-D and 2-D "
                         "arrays" % (A.ndim, B.ndim))
    A2 = A if A.ndim == 2 else A[None, :]
    B2 = B if B.ndim == 2 else B[:, None]
    if A2.shape[1] != B2.shape[0]:
        raise ShapeError("matmul: A is %s and B is %s: operands' shapes do not conform (A's columns must "
                         "equal B's rows)" % (A.shape, B.shape))
    dtype = result_dtype(A, B)
    A2, B2 = _matrix_operands(A2, B2, dtype, copy)
    shape = A2.shape[:1] + B2.shape[1:]
    final = tuple(d for d, keep in zip(shape, (A.ndim == 2, B.ndim == 2)) if keep)
    if out is None:
        fortran = A.ndim == B.ndim == 2 and _is_fortran(A2) and _is_fortran(B2)
        C = np.zeros(shape, dtype, order="F" if fortran else "C")
    else:
        check_output(out, final, dtype)
        C = out.reshape(shape) if out.ndim != 2 else out
    _runtime.ensure()
    _gemm_into(1.0, A2, B2, 0.0, C, _tile(tile), copy)
    if out is not None:
        return out
    return C.reshape(final)


def gemm(alpha, A, B, beta, C, transA=False, transB=False, tile=None, copy=True):
    """C = alpha op(A) op(B) + beta C in place (BLAS's xGEMM): C must be a
    writable 2-D array of the operands' dtype; op(X) is X.T when transX.
    Returns C."""
    A, B = as_input(A, "A"), as_input(B, "B")
    if A.ndim != 2 or B.ndim != 2:
        raise ShapeError("gemm: A and B must be 2-D (got %d and %d dimensions)" % (A.ndim, B.ndim))
    dtype = result_dtype(A, B)
    if not isinstance(C, np.ndarray) or C.ndim != 2:
        raise ShapeError("gemm: C must be a 2-D NumPy array")
    opA, opB = (A.T if transA else A), (B.T if transB else B)
    if opA.shape[1] != opB.shape[0]:
        raise ShapeError("gemm: op(A) is %s and op(B) is %s: operands' shapes do not conform" %
                         (opA.shape, opB.shape))
    check_output(C, (opA.shape[0], opB.shape[1]), dtype, "C")
    opA, opB = _matrix_operands(opA, opB, dtype, copy)
    _runtime.ensure()
    _gemm_into(float(alpha), opA, opB, float(beta), C, _tile(tile), copy)
    return C


def _in_order(a, name, order, copy):
    """a contiguous in order ('C' or 'F'; 2-D: as a column-major buffer of a
    or of a.T), copied only when it is not."""
    if a.flags[order + "_CONTIGUOUS"]:
        return a
    if not copy:
        raise CopyError("%s: its memory order differs from the other operands': it would be copied while "
                        "copy=False" % name)
    return np.asarray(a, order=order)


def _usable_out(out):
    """out can receive an element-wise result in its own buffer."""
    if out.ndim == 2:
        return column_major(out) is not None
    return out.flags.c_contiguous or out.flags.f_contiguous


def _elementwise(inputs, names, R, tile, copy):
    """The inputs and the result R as views in one layout: flat vectors when
    all are contiguous in one order, else column-major 2-D views stored the
    way R is. Returns (views, mb, nb)."""
    if R.ndim != 2 or all(a.flags.c_contiguous for a in inputs + [R]) or all(
            a.flags.f_contiguous for a in inputs + [R]):
        order = "C" if R.flags.c_contiguous else "F"
        if R.size > 2**31 - 1:
            raise InvalidArgumentError("%d elements: starbak's element-wise kernels take at most 2^31 - 1 "
                                       "elements in one call" % R.size)
        views = [_in_order(a, n, order, copy).reshape(-1, order=order) for a, n in zip(inputs, names)]
        return views + [R.reshape(-1, order=order)], tile or DEFAULT_VECTOR_TILE, 1
    Rv, r_t = column_major(R)
    views = []
    for a, name in zip(inputs, names):
        cm = column_major(a)
        if cm is None or cm[1] != r_t:
            a = _in_order(a.T if r_t else a, name, "F", copy)
            a = a.T if r_t else a
            cm = column_major(a)
        views.append(cm[0])
    return views + [Rv], _tile(tile), _tile(tile)


def add(A, B, alpha=1.0, beta=1.0, out=None, tile=None, copy=True):
    """alpha * A + beta * B element-wise (same shapes: no broadcasting), in
    float32 or float64 as NumPy would promote. out, when given, receives the
    result in its own buffer; one overlapping A or B gets it through a copy."""
    A, B = as_input(A, "A"), as_input(B, "B")
    if A.shape != B.shape:
        raise ShapeError("add: A is %s and B is %s: operands' shapes do not conform (starbak does not "
                         "broadcast)" % (A.shape, B.shape))
    dtype = result_dtype(A, B)
    A, B = converted(A, dtype, "A", copy), converted(B, dtype, "B", copy)
    if out is not None:
        check_output(out, A.shape, dtype)
        if np.shares_memory(out, A) or np.shares_memory(out, B) or not _usable_out(out):
            if not copy:
                raise CopyError("out: strided or overlapping an operand: the result would be computed aside "
                                "and copied in while copy=False")
            out[...] = add(A, B, alpha, beta, None, tile, copy)
            return out
    R = out if out is not None else np.empty(A.shape, dtype, order="F" if _is_fortran(A) else "C")
    if R.size:
        views, mb, nb = _elementwise([A, B], ["A", "B"], R, tile, copy)
        _runtime.ensure()
        _c.add(float(alpha), views[0], float(beta), views[1], views[2], mb, nb)
    return R


def scale(A, alpha, out=None, tile=None, copy=True):
    """alpha * A element-wise; out=A scales A in place."""
    A = as_input(A, "A")
    dtype = result_dtype(A)
    if out is None:
        out = np.array(A, dtype=dtype, order="K")
    else:
        check_output(out, A.shape, dtype)
        if not _usable_out(out):
            if not copy:
                raise CopyError("out: neither axis is contiguous: the result would be computed aside and "
                                "copied in while copy=False")
            out[...] = scale(A, alpha, None, tile, copy)
            return out
        if not (out.__array_interface__["data"] == A.__array_interface__["data"] and out.strides == A.strides):
            out[...] = A
    if out.size:
        views, mb, nb = _elementwise([], [], out, tile, copy)
        _runtime.ensure()
        _c.scale(float(alpha), views[0], mb, nb)
    return out
