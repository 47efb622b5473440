"""Starting and stopping StarPU from Python: lazily on the first call, once
per process, shut down at exit."""

import atexit
import os
import threading

from . import _starbak as _c
from .errors import RuntimeFailure, from_code

_c.set_error_factory(lambda code, message: from_code(code, message, _c.strerror))

_lock = threading.Lock()
_started_in = None  # the pid that started StarPU: a forked child must not use it
# init()'s arguments, reused when a cancelled run restarts StarPU
_settings = {"sched": None, "ncpu": None, "ncuda": None}


def _check_process():
    if _started_in is not None and _started_in != os.getpid():
        raise RuntimeFailure(
            "starbak was started in process %d and this is its fork %d: StarPU's threads do not "
            "survive fork(); use multiprocessing's 'spawn' or 'forkserver' start method, or call "
            "starbak.shutdown() before forking" % (_started_in, os.getpid()), None)


_VARIABLES = {"sched": "STARPU_SCHED", "ncpu": "STARPU_NCPU", "ncuda": "STARPU_NCUDA"}
_user_environment = {name: os.environ.get(name) for name in _VARIABLES.values()}


def _apply(sched, ncpu, ncuda):
    # StarPU must leave SIGINT to Python: Ctrl-C cancels a run (see the C extension).
    os.environ["STARPU_CATCH_SIGNALS"] = "0"
    for key, value in (("sched", sched), ("ncpu", ncpu), ("ncuda", ncuda)):
        name = _VARIABLES[key]
        if value is None:  # the environment's own setting, as the process started
            value = _user_environment[name]
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = str(value)


def init(sched=None, ncpu=None, ncuda=None):
    """Starts StarPU (optional: the first call does it). sched, ncpu and ncuda
    set STARPU_SCHED, STARPU_NCPU and STARPU_NCUDA; other STARPU_* variables
    of the environment apply. Restarts StarPU when they change. OpenBLAS's
    thread count of the caller (NumPy's matmul) is kept as it was."""
    global _started_in
    with _lock:
        _check_process()
        wanted = {"sched": sched, "ncpu": ncpu, "ncuda": ncuda}
        if _c.is_initialized() and wanted == _settings:
            return
        if _c.is_initialized():
            _c.shutdown()
        _settings.clear()
        _settings.update(wanted)
        _start()
        _started_in = os.getpid()


def _start():
    _apply(**_settings)
    threads = _c.blas_threads()
    try:
        _c.init()
    finally:
        _c.blas_threads(threads)  # sbk_init set 1 for its workers


def ensure():
    """Called by every computing function: starts StarPU if it is not running
    (first call, or after an interrupted run shut it down)."""
    _check_process()
    if not _c.is_initialized():
        global _started_in
        with _lock:
            if not _c.is_initialized():
                _start()
                _started_in = os.getpid()


def shutdown():
    """Stops StarPU (waits for its tasks). The next call starts it again."""
    with _lock:
        if _started_in == os.getpid() and _c.is_initialized():
            _c.shutdown()


def _at_exit():
    if _started_in == os.getpid():
        _c.shutdown()


atexit.register(_at_exit)


def info():
    """What starbak runs on: a dict with the scheduler, the CPU and CUDA worker
    counts, the StarPU version and the tasks run per worker kind since the last
    info() (starting StarPU if needed)."""
    ensure()
    lines = _c.workers_report().splitlines()
    report = dict(line.split(": ", 1) for line in lines if ": " in line)
    ncpu, ncuda = _c.worker_counts()
    return {
        "scheduler": report.get("scheduler", os.environ.get("STARPU_SCHED", "")),
        "cpu_workers": ncpu,
        "cuda_workers": ncuda,
        "cuda_devices": ncuda,
        "starpu_version": _c.runtime_version(),
        "tasks_on_cpu": int(report.get("tasks on CPU", 0)),
        "tasks_on_cuda": int(report.get("tasks on CUDA", 0)),
        "blas_threads_caller": _c.blas_threads(),
    }
