"""Python's rules: the GIL released during runs, inputs kept alive, Ctrl-C,
fork, the caller's BLAS threads, errors, info()."""

import gc
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import weakref

import numpy as np
import pytest

import starbak
from conftest import CI, gemm_residual, rng

try:
    import threadpoolctl
except ImportError:
    threadpoolctl = None


def test_info():
    starbak.init()
    i = starbak.info()
    assert i["cpu_workers"] >= 1 and i["cuda_workers"] >= 0
    assert i["starpu_version"].startswith("StarPU 1.4")
    assert i["scheduler"]
    starbak.init(sched="eager", ncpu=1)
    assert starbak.info()["scheduler"] == "eager" and starbak.info()["cpu_workers"] == 1
    starbak.init()


def long_operands():
    n = 700 if CI else 1200
    return rng(1).uniform(-1, 1, (n, n)), rng(2).uniform(-1, 1, (n, n))


def test_gil_released_while_tasks_run():
    """A counter thread keeps counting while a matmul runs."""
    A, B = long_operands()
    starbak.matmul(A[:64, :64], B[:64, :64])  # started
    counts, stop = [0], threading.Event()

    def count():
        while not stop.is_set():
            counts[0] += 1
    t = threading.Thread(target=count)
    t.start()
    time.sleep(0.05)
    before = counts[0]
    start = time.perf_counter()
    C = starbak.matmul(A, B, tile=64)
    elapsed = time.perf_counter() - start
    during = counts[0] - before
    stop.set()
    t.join()
    assert gemm_residual(C, A, B) < 10
    # Counting in pure Python runs about 10^6 to 10^7 increments a second; with the
    # GIL held by the call the thread would not have run at all.
    assert during > 1000 * max(elapsed, 0.01), (during, elapsed)


def test_inputs_kept_alive_while_tasks_read_them():
    """The caller drops its only reference to the inputs while the tasks run."""
    A, B = long_operands()
    ref = A @ B
    holder = {"A": A.copy(), "B": B.copy()}
    alive = weakref.ref(holder["A"])
    result = {}

    def run(a, b):
        result["C"] = starbak.matmul(a, b, tile=64)
    t = threading.Thread(target=run, args=(holder["A"], holder["B"]))
    t.start()
    del holder["A"], holder["B"]
    gc.collect()
    garbage = [np.full(A.shape, np.nan) for _ in range(3)]  # reuses freed memory, if any was freed
    t.join()
    del garbage
    assert alive() is None  # released once the call ended
    assert np.max(np.abs(result["C"] - ref)) / np.max(np.abs(ref)) < 1e-12


def test_threads_calling_at_once():
    A, B = rng(3).uniform(size=(200, 150)), rng(4).uniform(size=(150, 120))
    out = [None] * 4

    def run(i):
        out[i] = starbak.matmul(A, B, tile=32)
    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(gemm_residual(c, A, B) < 10 for c in out)


def run_child(code, timeout=120):
    env = dict(os.environ)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout, env=env)


INTERRUPTED_CHILD = """
    import sys, time, numpy as np, starbak
    X = np.asfortranarray(np.random.default_rng(0).uniform(-0.5, 0.5, (20000, 200)))
    y = X @ np.ones(200)
    started = [None]
    def progress(i, rel, s):
        if i == 1:
            print("running", flush=True)
    try:
        {call}
        print("not interrupted", flush=True)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        t = time.perf_counter()
        A = np.random.default_rng(1).uniform(size=(300, 200))
        C = starbak.matmul(A, A.T)
        ok = np.allclose(C, A @ A.T)
        print("next call", "ok" if ok else "WRONG", flush=True)
"""


@pytest.mark.parametrize("call", [
    "starbak.solvebak(X, y, method='batched', iters=20000, progress=progress)",
    "starbak.solvebak(X, y, method='per-column', iters=20000, progress=lambda *a: print('running', flush=True)"
    " if a[0] == 2 else None)",
])
def test_ctrl_c_cancels_the_run(call):
    """SIGINT mid-run: KeyboardInterrupt within a second, the next call works."""
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(INTERRUPTED_CHILD).replace("{call}", call)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "running"
        time.sleep(0.3)
        child.send_signal(signal.SIGINT)
        sent = time.perf_counter()
        line = child.stdout.readline().strip()
        latency = time.perf_counter() - sent
        rest, err = child.communicate(timeout=60)
    finally:
        child.kill()
    assert line == "interrupted", (line, err)
    assert latency < 1.0, latency
    assert "next call ok" in rest, (rest, err)
    assert child.returncode == 0, err


def test_ctrl_c_during_gemm():
    code = """
        import threading, os, signal, time, numpy as np, starbak
        A = np.random.default_rng(0).uniform(size=(2500, 2500))
        starbak.init()
        threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
        t = time.perf_counter()
        try:
            starbak.matmul(A, A, tile=100)
            print("finished first", time.perf_counter() - t)
        except KeyboardInterrupt:
            print("interrupted after %.3f s" % (time.perf_counter() - t))
        print("next", np.allclose(starbak.matmul(A[:50], A[:, :50]), A[:50] @ A[:, :50]))
    """
    r = run_child(code)
    assert "interrupted after" in r.stdout or "finished first" in r.stdout, r.stderr
    if "interrupted after" in r.stdout:
        assert float(r.stdout.split("interrupted after ")[1].split()[0]) < 1.5
    assert "next True" in r.stdout, (r.stdout, r.stderr)


def test_fork_after_init_is_refused_in_the_child():
    code = """
        import os, numpy as np, starbak
        starbak.matmul(np.ones((4, 4)), np.ones((4, 4)))
        pid = os.fork()
        if pid == 0:
            try:
                starbak.matmul(np.ones((4, 4)), np.ones((4, 4)))
                print("child computed", flush=True)
            except starbak.RuntimeFailure as e:
                print("child refused:", e, flush=True)
            raise SystemExit(0)  # a normal exit: atexit must not wait for StarPU's threads
        _, status = os.waitpid(pid, 0)
        print("parent", os.waitstatus_to_exitcode(status), starbak.matmul(np.ones((2, 2)), np.ones((2, 2)))[0, 0])
    """
    r = run_child(code, timeout=60)
    assert "child refused: starbak was started in process" in r.stdout, (r.stdout, r.stderr)
    assert "parent 0 2.0" in r.stdout, (r.stdout, r.stderr)


def openblas_threads():
    if threadpoolctl is None:
        return starbak._starbak.blas_threads()
    info = [i for i in threadpoolctl.threadpool_info() if i["internal_api"] == "openblas"]
    return info[0]["num_threads"]


def test_callers_blas_threads_restored():
    """NumPy's own matmul keeps its OpenBLAS threads after init and after runs."""
    code = """
        import numpy as np, starbak
        from python_tests_helper import openblas_threads
        before = openblas_threads()
        starbak.init()
        after_init = openblas_threads()
        starbak.matmul(np.ones((300, 300)), np.ones((300, 300)))
        print(before, after_init, openblas_threads())
    """.replace("from python_tests_helper import openblas_threads", "from test_runtime import openblas_threads")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.dirname(__file__), os.environ.get("PYTHONPATH", "")]))
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env,
                       timeout=60)
    before, after_init, after_run = map(int, r.stdout.split())
    assert before == after_init == after_run, r.stdout
    assert before == (os.cpu_count() if "OPENBLAS_NUM_THREADS" not in os.environ else before)


def test_errors_are_builtin_exceptions_too():
    pairs = [(starbak.InvalidArgumentError, ValueError), (starbak.ShapeError, ValueError),
             (starbak.DTypeError, TypeError), (starbak.OutOfMemoryError, MemoryError),
             (starbak.FileError, OSError), (starbak.FormatError, ValueError), (starbak.CopyError, ValueError),
             (starbak.RuntimeFailure, RuntimeError), (starbak.NoDeviceError, RuntimeError)]
    for cls, builtin in pairs:
        assert issubclass(cls, starbak.Error) and issubclass(cls, builtin)
    from starbak.errors import from_code
    e = from_code(-2, "")
    assert isinstance(e, starbak.ShapeError) and e.code == -2


def test_no_worker_gives_no_device_error():
    code = """
        import starbak
        try:
            starbak.init(ncpu=0, ncuda=0)
        except starbak.NoDeviceError as e:
            print("refused", e.code)
    """
    r = run_child(code)
    assert "refused -7" in r.stdout, (r.stdout, r.stderr)


def test_trace_writes_the_schedule_report(tmp_path):
    """with starbak.trace(dir): FxT trace of the calls inside and dir/report.html."""
    A = rng(5).uniform(size=(256, 256))
    with starbak.trace(tmp_path / "t") as d:
        C = starbak.matmul(A, A, tile=64)
    assert gemm_residual(C, A, A) < 10
    names = {n for n in os.listdir(d)}
    assert {"report.html", "tasks.rec", "paje.trace"} <= names, names
    tasks = open(os.path.join(d, "tasks.rec")).read()
    assert tasks.count("Name: sbk_gemm") == 64  # (256/64)^3 tile products
    assert "<html" in open(os.path.join(d, "report.html")).read().lower()
    assert "STARPU_FXT_TRACE" not in os.environ
    C2 = starbak.matmul(A, A)  # StarPU restarted without tracing
    assert gemm_residual(C2, A, A) < 10
    with pytest.raises(OSError, match="cannot create"):
        with starbak.trace("/proc/no/such/dir"):
            pass


def later_pythons():
    """Interpreters newer than 3.11 found on this machine (PATH, pyenv)."""
    import glob
    import shutil
    found = [shutil.which("python3.%d" % minor) for minor in range(12, 16)]
    found += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.1[2-9]*/bin/python3")))
    runs = lambda p: subprocess.run([p, "-c", "pass"], capture_output=True).returncode == 0  # pyenv shims may not
    return [p for p in dict.fromkeys(found) if p and runs(p)]


def test_stable_abi_module_loads_on_later_pythons():
    """One build of the extension (Py_LIMITED_API 3.11) loads and computes on 3.12+."""
    pythons = later_pythons()
    if not pythons:
        pytest.skip("no Python 3.12 or later on this machine to load the module into")
    module = os.path.join(os.path.dirname(starbak.__file__), "_starbak.abi3.so")
    code = textwrap.dedent("""
        import array, importlib.util, sys
        spec = importlib.util.spec_from_file_location("_starbak", sys.argv[1])
        m = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(m)
        m.init()
        a, b, c = array.array("d", range(10)), array.array("d", [1.0] * 10), array.array("d", [0.0] * 10)
        m.add(2.0, a, 3.0, b, c, 4, 1)
        print(sys.version_info[:2], list(c) == [2.0 * i + 3.0 for i in range(10)], m.mcpi(10**5, 7, 0))
        m.shutdown()
    """)
    expected = run_child("import starbak._starbak as m; m.init(); print(m.mcpi(10**5, 7, 0))").stdout.split()[-1]
    for python in pythons:
        r = subprocess.run([python, "-c", code, module], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, (python, r.stderr)
        assert r.stdout.split()[-2:] == ["True", expected], (python, r.stdout)


def test_idle_workers_take_no_cpu_between_calls():
    """Between calls StarPU's workers sleep (sbk_pause) instead of polling on the
    cores the caller's own NumPy uses."""
    import resource
    starbak.matmul(np.ones((64, 64)), np.ones((64, 64)))
    before = resource.getrusage(resource.RUSAGE_SELF)
    time.sleep(1.0)
    after = resource.getrusage(resource.RUSAGE_SELF)
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert used < 0.05, used  # polling workers took about 0.2 s of CPU a second here


def test_init_arguments_and_the_environment(monkeypatch):
    """init(sched=...) sets STARPU_SCHED for the run; init() goes back to the environment's own."""
    starbak.init(sched="eager", ncpu=1)
    assert starbak.info()["scheduler"] == "eager" and os.environ["STARPU_NCPU"] == "1"
    starbak.init()
    from starbak import _runtime
    for key, name in _runtime._VARIABLES.items():
        assert os.environ.get(name) == _runtime._user_environment[name], name
    assert os.environ["STARPU_CATCH_SIGNALS"] == "0"
