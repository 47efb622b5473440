"""examples/notebooks run headless, and a Jupyter kernel interrupted during a
long starbak call."""

import os
import queue
import time

import pytest

nbformat = pytest.importorskip("nbformat", reason="python3-nbformat is not installed")
nbclient = pytest.importorskip("nbclient", reason="python3-nbclient is not installed")
jupyter_client = pytest.importorskip("jupyter_client", reason="python3-jupyter-client is not installed")
pytest.importorskip("ipykernel", reason="python3-ipykernel is not installed")

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
NOTEBOOKS = os.path.join(SRC, "examples", "notebooks")


@pytest.fixture(autouse=True)
def kernel_env(monkeypatch):
    monkeypatch.setenv("SBK_NOTEBOOK_SMALL", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # ipykernel's debugger note on stderr


@pytest.mark.parametrize("name", sorted(f for f in os.listdir(NOTEBOOKS) if f.endswith(".ipynb")))
def test_notebook_runs(name, tmp_path):
    nb = nbformat.read(os.path.join(NOTEBOOKS, name), as_version=4)
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
                            ).execute()  # raises CellExecutionError on any error
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if o.output_type == "display_data" and "image/png" in o.get("data", {})]
    assert len(images) >= 3  # add rates, SolveBak convergence, ANN scatter
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "matmul" in text and "SolveBak batched" in text and "ANN fit" in text


def reply(kc, msg_id, timeout):
    while True:
        msg = kc.get_shell_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg["content"]


def wait_for_output(kc, text, timeout):
    end = time.time() + timeout
    while time.time() < end:
        try:
            msg = kc.get_iopub_msg(timeout=1)
        except queue.Empty:
            continue
        if msg["msg_type"] == "stream" and text in msg["content"]["text"]:
            return True
    return False


def test_kernel_interrupt_cancels_a_long_call():
    km, kc = jupyter_client.manager.start_new_kernel(kernel_name="python3")
    try:
        setup = ("import numpy as np, starbak\n"
                 "X = np.asfortranarray(np.random.default_rng(0).uniform(-0.5, 0.5, (20000, 200)))\n"
                 "y = X @ np.ones(200)\nstarbak.init()\n")
        assert reply(kc, kc.execute(setup), 60)["status"] == "ok"
        long_call = ("starbak.solvebak(X, y, iters=20000, progress=lambda i, r, s: print('running', flush=True) "
                     "if i == 2 else None)")
        msg_id = kc.execute(long_call, stop_on_error=False)  # the next request is not aborted
        assert wait_for_output(kc, "running", 60)
        time.sleep(0.3)
        sent = time.perf_counter()
        km.interrupt_kernel()
        content = reply(kc, msg_id, 30)
        latency = time.perf_counter() - sent
        assert content["status"] == "error" and content["ename"] == "KeyboardInterrupt", content
        assert latency < 1.0, latency
        after = reply(kc, kc.execute("assert np.allclose(starbak.matmul(X[:50], X[:50].T), X[:50] @ X[:50].T)"), 60)
        assert after["status"] == "ok", after
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
