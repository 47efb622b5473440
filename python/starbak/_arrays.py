"""How NumPy arrays become starbak operands: dtypes, memory orders, checks.

starbak's matrices are column-major tiles over the caller's own buffer. A
Fortran-ordered array, or a view whose columns are contiguous (A[:, ::2],
A[:10]), is used in place; a C-ordered array is used in place as its
transpose (the buffer of a C-ordered A is a column-major A.T) wherever the
algebra can take the transpose instead (C = A B is C.T = B.T A.T); only an
array with no contiguous axis, or a mix of orders an element-wise kernel
cannot take, is copied once -- and copy=False raises CopyError instead.
"""

import numpy as np

from .errors import CopyError, DTypeError, InvalidArgumentError, ShapeError

MAX_DIM = 2**31 - 1  # starbak's matrices are indexed by C ints


def as_input(x, name):
    """x as an ndarray of a supported kind, without copying it."""
    if hasattr(x, "__cuda_array_interface__"):
        raise DTypeError(
            "%s: a GPU array (%s): starbak takes host arrays for now; pass %s.get() or "
            "cupy.asnumpy(%s), starbak then uses every GPU itself" % (name, type(x).__name__, name, name))
    a = np.asarray(x)
    kind = a.dtype.kind
    if kind == "f" and a.dtype.itemsize in (4, 8):
        if not a.dtype.isnative:
            raise InvalidArgumentError(
                "%s: dtype %s is not in the machine's byte order; convert it with "
                "%s.astype(%s.dtype.newbyteorder('='))" % (name, a.dtype.str, name, name))
    elif kind not in "biu":  # float16, longdouble, complex, object, strings, ...
        raise DTypeError("%s: dtype %s is not supported: starbak computes in float32 or float64 "
                         "(integers are converted to float64)" % (name, a.dtype))
    for d in a.shape:
        if d > MAX_DIM:
            raise InvalidArgumentError("%s: shape %s: starbak's matrices hold at most 2^31 - 1 rows "
                                       "and columns" % (name, a.shape))
    return a


def result_dtype(*arrays):
    """NumPy's promotion over float32/float64, integers counting as float64."""
    return np.result_type(*[a.dtype if a.dtype.kind == "f" else np.float64 for a in arrays])


def converted(a, dtype, name, copy):
    """a in dtype, copied only when it is not already."""
    if a.dtype == dtype:
        return a
    if not copy:
        raise CopyError("%s: dtype %s would be converted to %s (a copy) while copy=False" % (name, a.dtype, dtype))
    return a.astype(dtype)


def column_major(a):
    """(view, transposed): a view of the 1-D or 2-D a whose buffer is a
    column-major matrix, a itself (transposed False) or a.T (True); None when
    neither axis is contiguous."""
    e = a.itemsize
    if a.ndim == 1:
        return (a, False) if a.shape[0] <= 1 or a.strides[0] == e else None

    def fits(rows, cols, row_stride, col_stride):
        return (rows <= 1 or row_stride == e) and (cols <= 1 or (col_stride > 0 and col_stride % e == 0
                                                                 and col_stride // e >= rows))
    m, n = a.shape
    s0, s1 = a.strides
    if fits(m, n, s0, s1):
        return a, False
    if fits(n, m, s1, s0):
        return a.T, True
    return None


def fortran_view(a, name, copy):
    """a as an array whose own buffer is column-major (the layout SolveBak and
    the ANN read their X in), copying a C-ordered or strided a once."""
    cm = column_major(a)
    if cm is not None and not cm[1]:
        return a
    if not copy:
        raise CopyError("%s: a %s array would be copied into Fortran order while copy=False; pass "
                        "np.asfortranarray(%s)" % (name, "C-ordered" if cm else "strided", name))
    return np.asfortranarray(a)


def check_output(out, shape, dtype, name="out"):
    if not isinstance(out, np.ndarray):
        raise DTypeError("%s: a NumPy array is needed, not %s" % (name, type(out).__name__))
    if out.dtype != dtype:
        raise DTypeError("%s: dtype %s, the result is %s" % (name, out.dtype, np.dtype(dtype)))
    if out.shape != tuple(shape):
        raise ShapeError("%s: shape %s, the result is %s" % (name, out.shape, tuple(shape)))
    if not out.flags.writeable:
        raise InvalidArgumentError("%s: the array is read-only" % name)

