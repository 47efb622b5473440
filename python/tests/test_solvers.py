"""mcpi, SolveBak and the least-squares ANN against closed forms and NumPy/LAPACK."""

import numpy as np
import pytest

import starbak
from conftest import CI, DTYPES, eps, rng


def test_mcpi(sched):
    """The same count for a seed whatever the scheduler or tasks; near pi."""
    n = 10**6 if CI else 10**7
    pi = starbak.mcpi(n, seed=7)
    assert pi == starbak.mcpi(n, seed=7, tasks=3)
    assert abs(pi - np.pi) < 6 * np.sqrt(np.pi * (4 - np.pi) / n)
    assert starbak.mcpi(1e3, 1) != starbak.mcpi(1e3, 2)


def test_mcpi_refuses():
    for bad in (0, -1, 2**64, 1.5, "10"):
        with pytest.raises(ValueError, match="samples"):
            starbak.mcpi(bad)
    with pytest.raises(ValueError, match="seed"):
        starbak.mcpi(10, seed=-1)


def problem(obs, nvars, dtype, seed=0, order="F"):
    g = rng(seed)
    X = np.asarray(g.uniform(-0.5, 0.5, (obs, nvars)), dtype=dtype, order=order)
    a_true = g.uniform(-1, 1, nvars)
    y = np.asarray(X.astype(np.float64) @ a_true + 1e-3 * g.standard_normal(obs), dtype=dtype)
    return X, y


def lstsq_gap(X, y, a):
    """||X a - y|| relative to the least-squares optimum's ||X a* - y||, minus 1."""
    X64, y64 = X.astype(np.float64), y.astype(np.float64)
    best = np.linalg.lstsq(X64, y64, rcond=None)[0]
    return np.linalg.norm(X64 @ a - y64) / np.linalg.norm(X64 @ best - y64) - 1


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("method", ["per-column", "batched", "block-exact", "gram"])
def test_solvebak_methods(sched, dtype, method):
    X, y = problem(3001, 37, dtype, 1)
    a, report = starbak.solvebak(X, y, method=method, batch=8, iters=200, tile_rows=500)
    assert a.dtype == dtype and a.shape == (37,)
    assert report.method == method and report.iterations == 200
    assert report.rel_residual.shape == (200,) and report.skipped.size == 0
    res = np.linalg.norm(y.astype(float) - X.astype(float) @ a) / np.linalg.norm(y.astype(float))
    assert abs(report.final_rel_residual - res) < 100 * eps(dtype)
    assert lstsq_gap(X, y, a.astype(np.float64)) < (1e-3 if dtype == np.float64 else 0.1)


def test_solvebak_c_ordered_and_views(sched):
    X, y = problem(2000, 20, np.float64, 2, order="C")
    with pytest.raises(starbak.CopyError, match="Fortran"):
        starbak.solvebak(X, y, copy=False)
    a, _ = starbak.solvebak(X, y, method="gram", iters=50)  # copied once
    assert lstsq_gap(X, y, a) < 1e-6
    F = np.asfortranarray(np.hstack([X, X]))[:, :20]  # a column-major view with ld > rows... of columns
    a2, _ = starbak.solvebak(F, y, method="gram", iters=50, copy=False)
    assert np.allclose(a, a2, rtol=1e-10, atol=1e-12)
    mmap_ro = np.asfortranarray(X)
    mmap_ro.setflags(write=False)
    a3, _ = starbak.solvebak(mmap_ro, y[:, None], method="gram", iters=50, copy=False)
    assert np.allclose(a, a3, rtol=1e-10, atol=1e-12)


def test_solvebak_report_progress_and_guess(sched):
    X, y = problem(1000, 30, np.float64, 3)
    X[:, 4] = 0
    seen = []
    a0 = np.full(30, 0.25)
    a, r = starbak.solvebak(X, y, method="per-column", iters=5, a0=a0,
                            progress=lambda i, rel, s: seen.append((i, rel)))
    assert np.all(a0 == 0.25)  # the caller's guess is left as it was
    assert [i for i, _ in seen] == [1, 2, 3, 4, 5]
    assert np.allclose([rel for _, rel in seen], r.rel_residual)
    assert r.skipped.tolist() == [4] and a[4] == 0.25
    y = X @ np.linspace(-1, 1, 30)  # reachable with column 4 zero
    a, r = starbak.solvebak(X, y, tol=1e-2, iters=1000, method="gram")
    assert r.iterations < 1000 and r.rel_residual[-1] <= 1e-2


def test_solvebak_callback_error_propagates():
    X, y = problem(500, 10, np.float64, 4)

    def boom(i, rel, s):
        raise ZeroDivisionError("from the callback")
    with pytest.raises(ZeroDivisionError, match="from the callback"):
        starbak.solvebak(X, y, iters=50, progress=boom)
    a, _ = starbak.solvebak(X, y, method="gram", iters=30)  # the next call works
    assert lstsq_gap(X, y, a) < 1e-6


def test_solvebak_refuses():
    X, y = problem(100, 10, np.float64, 5)
    Xn = X.copy(order="F")
    Xn[3, 2] = np.nan
    with pytest.raises(ValueError, match="row 3, column 2") as e:
        starbak.solvebak(Xn, y)
    assert isinstance(e.value, starbak.InvalidArgumentError) and e.value.code == -1
    yn = y.copy()
    yn[7] = np.inf
    with pytest.raises(ValueError, match="row 7"):
        starbak.solvebak(X, yn)
    with pytest.raises(ValueError, match="one value per row"):
        starbak.solvebak(X, y[:-1])
    with pytest.raises(ValueError, match="method"):
        starbak.solvebak(X, y, method="newton")
    with pytest.raises(ValueError, match="batch: 11 exceeds"):
        starbak.solvebak(X, y, batch=11)
    with pytest.raises(ValueError, match="obs"):
        starbak.solvebak(X[:5], y[:5], method="gram")


def ann_problem(obs, nvars, dtype, seed=0):
    g = rng(seed)
    X = np.asarray(g.uniform(-1, 1, (obs, nvars)), dtype=dtype, order="F")
    y = np.asarray(0.8 * np.tanh(X.astype(float) @ g.uniform(-1, 1, nvars)), dtype=dtype)
    return X, y


def model_values(model, X):
    """The model's formula in NumPy, from its fitted weights, and the scale
    of its rounding errors (the sum of the magnitudes it adds up)."""
    H = np.tanh(X.astype(np.float64) @ model.W[:-1] + model.W[-1])
    value = model.y_center + model.y_scale * (H @ model.v[:-1] + model.v[-1])
    pre = np.abs(X.astype(np.float64)) @ np.abs(model.W[:-1]) + np.abs(model.W[-1])
    magnitude = abs(model.y_center) + abs(model.y_scale) * ((np.abs(H) + pre) @ np.abs(model.v[:-1])
                                                            + abs(model.v[-1]))
    return value, magnitude


@pytest.mark.parametrize("dtype", DTYPES)
def test_ann_fit_predict(sched, dtype):
    X, y = ann_problem(4000, 4, dtype, 6)
    model, report = starbak.ann_fit(X, y, neurons=40, seed=3)
    assert model.W.shape == (5, 40) and model.v.shape == (41,)
    yhat = model.predict(X)
    assert yhat.dtype == dtype
    ref, magnitude = model_values(model, X)
    assert np.max(np.abs(yhat - ref) / magnitude) < 10 * eps(dtype)
    assert np.corrcoef(yhat, y)[0, 1] > 0.99
    model2, _ = starbak.ann_fit(X, y, neurons=40, seed=3)
    assert np.array_equal(model.W, model2.W)  # the same model whatever the scheduler


def test_ann_scaled_y_and_files(tmp_path):
    X, y = ann_problem(3000, 3, np.float64, 7)
    y = 50 + 20 * y
    with pytest.raises(ValueError, match="atanh"):
        starbak.ann_fit(X, y, neurons=20)
    model, _ = starbak.ann_fit(X, y, neurons=20, scale_y=True)
    assert np.corrcoef(model.predict(X), y)[0, 1] > 0.99
    model.save(tmp_path / "m.sbk")
    back = starbak.AnnModel.load(tmp_path / "m.sbk")
    assert np.array_equal(back.W, model.W) and np.array_equal(back.v, model.v)
    assert back.y_center == model.y_center and back.y_scale == model.y_scale
    assert np.array_equal(back.predict(X), model.predict(X))
    (tmp_path / "bad.sbk").write_bytes(b"not a model")
    with pytest.raises(starbak.FormatError, match="bad.sbk"):
        starbak.AnnModel.load(tmp_path / "bad.sbk")
    with pytest.raises(OSError, match="missing.sbk"):
        starbak.AnnModel.load(tmp_path / "missing.sbk")
    with pytest.raises(ValueError, match="rows of 3"):
        model.predict(np.ones((4, 2)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_solvebak_tiny_and_ragged(sched, dtype):
    a, r = starbak.solvebak(np.array([[2.0]], dtype), np.array([3.0], dtype), method="per-column", iters=3)
    assert a.dtype == dtype and abs(a[0] - 1.5) <= 4 * eps(dtype)
    X, y = problem(1237, 13, dtype, 8)  # rows and columns no tile size divides
    for method in ("per-column", "gram", "block-exact"):
        a, _ = starbak.solvebak(X, y, method=method, batch=5, iters=100, tile_rows=100)
        assert lstsq_gap(X, y, a.astype(np.float64)) < (1e-6 if dtype == np.float64 else 0.1), method


def test_ann_predict_layouts(tmp_path):
    X, y = ann_problem(2000, 3, np.float64, 9)
    model, _ = starbak.ann_fit(X, y, neurons=20)
    ref = model.predict(X)
    np.save(tmp_path / "X.npy", np.ascontiguousarray(X))
    mm = np.load(tmp_path / "X.npy", mmap_mode="r")  # read-only, C-ordered: copied once
    assert np.array_equal(model.predict(mm), ref)
    with pytest.raises(starbak.CopyError):
        model.predict(mm, copy=False)
    wide = np.asfortranarray(np.hstack([X, X]))
    assert np.array_equal(model.predict(wide[:, :3], copy=False), ref)  # a column view, in place
    assert model.predict(X[:0]).shape == (0,)


def test_numeric_options_take_numpy_scalars():
    X, y = problem(500, 10, np.float64, 10)
    a, r = starbak.solvebak(X, y, method="gram", iters=np.int64(300), tol=np.float32(1e-2))
    assert r.iterations < 300 and r.rel_residual[-1] <= 1e-2
    with pytest.raises(ValueError, match="tol"):
        starbak.solvebak(X, y, tol=-1)
    with pytest.raises(ValueError, match="ridge"):
        starbak.ann_fit(*ann_problem(500, 2, np.float64), neurons=5, ridge=float("nan"))


def test_progress_callback_cannot_call_starbak_but_other_threads_can():
    X, y = problem(2000, 20, np.float64, 11)
    with pytest.raises(RuntimeError, match="progress callback cannot call starbak"):
        starbak.solvebak(X, y, iters=3, progress=lambda *a: starbak.mcpi(100))
    seen = []

    def other_thread_info(*a):
        import threading
        t = threading.Thread(target=lambda: seen.append(starbak.info()["cpu_workers"]))
        t.start()
        t.join(0.05)  # it waits for this call to end, without blocking the callback
    a, r = starbak.solvebak(X, y, iters=3, method="gram", progress=other_thread_info)
    assert r.iterations == 3 and r.rel_residual[-1] < r.rel_residual[0]
    import time
    for _ in range(100):
        if len(seen) == 3:
            break
        time.sleep(0.05)
    assert len(seen) == 3 and seen[0] >= 1


def test_ann_progress_from_starpu_threads():
    X, y = ann_problem(3000, 3, np.float64, 12)
    seen = []
    model, _ = starbak.ann_fit(X, y, neurons=40, neurons_per_task=5, progress=lambda d, t: seen.append((d, t)))
    assert seen and all(t == 40 for _, t in seen) and max(d for d, _ in seen) == 40
    with pytest.raises(KeyError):
        starbak.ann_fit(X, y, neurons=40, neurons_per_task=5, progress=lambda d, t: {}["stop"])
    assert np.corrcoef(model.predict(X), y)[0, 1] > 0.99  # and the next fit works
    assert starbak.ann_fit(X, y, neurons=10)[0].neurons == 10
