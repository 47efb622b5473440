"""with starbak.trace("dir"): StarPU's FxT trace of the calls inside and the
schedule report dir/report.html, as the drivers' --trace writes them."""

import contextlib
import glob
import os
import subprocess

from . import _runtime
from . import _starbak as _c
from .errors import FileError, RuntimeFailure

_TRACE_VARIABLES = ("STARPU_FXT_TRACE", "STARPU_FXT_PREFIX")


def _tool(name):
    """A StarPU tool of the StarPU starbak was built with, else from PATH."""
    path = os.path.join(_c.STARPU_BINDIR, name)
    return path if os.access(path, os.X_OK) else name


def _convert(directory, label):
    """prof_file_* -> paje.trace, tasks.rec, dag.dot, then report.html."""
    profs = sorted(glob.glob(os.path.join(directory, "prof_file_*")))
    if not profs:
        raise RuntimeFailure("trace: StarPU wrote no prof_file_* into %s (is this StarPU built with FxT?)" %
                             directory, None)
    log = os.path.join(directory, "fxt_tool.log")
    env = dict(os.environ, STARPU_FXT_TRACE="0")
    with open(log, "w") as out:
        done = subprocess.run([_tool("starpu_fxt_tool"), "-i", *[os.path.basename(p) for p in profs], "-d", "."],
                              cwd=directory, stdout=out, stderr=subprocess.STDOUT, env=env)
        if done.returncode != 0:
            raise RuntimeFailure("trace: starpu_fxt_tool failed on %s (see %s)" % (directory, log), None)
        # The perf models' predictions joined to each task, when the models know the codelets.
        estimated = subprocess.run([_tool("starpu_tasks_rec_complete"), "tasks.rec", "tasks_estimated.rec"],
                                   cwd=directory, stdout=out, stderr=subprocess.STDOUT, env=env).returncode == 0
    rec = os.path.join(directory, "tasks_estimated.rec" if estimated else "tasks.rec")
    _c.trace_report(rec, label, os.path.join(directory, "report.html"))


@contextlib.contextmanager
def trace(directory, label="python"):
    """Records the starbak calls made inside the with block: StarPU restarts
    with FxT tracing into directory (created if needed), and on leaving the
    block it stops, converts the trace (paje.trace for ViTE, tasks.rec,
    dag.dot) and writes directory/report.html. The next call after the block
    starts StarPU again without tracing. Yields the directory's path."""
    directory = os.path.abspath(os.fspath(directory))
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as e:
        raise FileError("trace: cannot create %s: %s" % (directory, e.strerror), None) from e
    saved = {name: os.environ.get(name) for name in _TRACE_VARIABLES}
    _runtime.shutdown()
    os.environ["STARPU_FXT_TRACE"] = "1"
    os.environ["STARPU_FXT_PREFIX"] = directory + os.sep
    try:
        _runtime.ensure()
        yield directory
    finally:
        _runtime.shutdown()  # StarPU writes the trace as it stops
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    _convert(directory, label)
