"""starbak's exceptions: each library error code is a starbak.Error subclass
that is also the built-in exception a Python user would catch for it."""

# The library's codes (include/starbak/starbak.h).
EINVAL, ESHAPE, EPREC, ENOMEM, ERUNTIME, ENOINIT, ENODEV, EIO, EFORMAT, ECANCELED = range(-1, -11, -1)


class Error(Exception):
    """A failure reported by libstarbak: ``code`` is its SBK_E* code,
    ``message`` what it said (file, row and column where it has them)."""

    def __init__(self, message, code=None):
        super().__init__(message)
        self.code = code
        self.message = message


class InvalidArgumentError(Error, ValueError):
    """A size, value or option out of range (SBK_EINVAL), NaN/Inf where refused."""


class ShapeError(Error, ValueError):
    """Operands whose shapes do not conform (SBK_ESHAPE)."""


class DTypeError(Error, TypeError):
    """An array whose dtype starbak does not compute in, or mixed precisions (SBK_EPREC)."""


class CopyError(Error, ValueError):
    """An input would have to be copied (converted to another dtype, or to
    another memory order) while ``copy=False`` was asked."""


class OutOfMemoryError(Error, MemoryError):
    """An allocation failed (SBK_ENOMEM)."""


class RuntimeFailure(Error, RuntimeError):
    """StarPU refused to start or to run a task (SBK_ERUNTIME, SBK_ENOINIT), or
    starbak was used in a process forked after it started."""


class NoDeviceError(Error, RuntimeError):
    """No worker can run the kernel (SBK_ENODEV): check STARPU_NCPU / STARPU_NCUDA."""


class FileError(Error, OSError):
    """A file could not be opened, read or written (SBK_EIO)."""


class FormatError(Error, ValueError):
    """A file's content is malformed or of an unsupported kind (SBK_EFORMAT)."""


_BY_CODE = {
    EINVAL: InvalidArgumentError,
    ESHAPE: ShapeError,
    EPREC: DTypeError,
    ENOMEM: OutOfMemoryError,
    ERUNTIME: RuntimeFailure,
    ENOINIT: RuntimeFailure,
    ENODEV: NoDeviceError,
    EIO: FileError,
    EFORMAT: FormatError,
}


def from_code(code, message, strerror=None):
    """The exception for a library code; message is the library's own text
    (or its sbk_strerror when it gave none)."""
    cls = _BY_CODE.get(code, Error)
    if not message and strerror is not None:
        message = strerror(code)
    return cls(message, code)
