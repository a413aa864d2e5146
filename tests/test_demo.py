"""`python -m kfacade.demo`, the README's main command, run as a user runs it."""
import importlib.util
import json
import os
import shutil
import subprocess
import sys

import pytest

import kfacade as keras

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_demo(args, tmp_path, backend=None):
    env = dict(os.environ, OMP_NUM_THREADS="1", TF_CPP_MIN_LOG_LEVEL="3",
               KERAS_BACKEND=backend or keras.backend.backend())
    proc = subprocess.run([sys.executable, "-m", "kfacade.demo", *args], cwd=str(tmp_path),
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


@pytest.mark.slow
def test_the_demo_trains_saves_reloads_and_draws(tmp_path):
    pytest.importorskip("sklearn")
    pytest.importorskip("h5py")
    pytest.importorskip("pydot")
    out = run_demo(["--epochs", "3", "--verbose", "1"], tmp_path)
    folder = tmp_path / "kfacade-demo"  # the default output folder, in the current directory
    backend = keras.backend.backend()
    assert f"backend:        {backend}" in out
    assert "Epoch 3/3" in out and "45/45" in out  # the progress bar, one line per epoch
    assert "model.h5 predicts the same" in out and "model.keras predicts the same" in out
    with open(folder / "summary.json") as handle:
        summary = json.load(handle)
    assert summary["backend"] == backend and summary["epochs"] == 3
    assert summary["test_accuracy"] > 0.5  # 3 epochs of Adam on the digits; 10 classes
    assert f"test accuracy:  {summary['test_accuracy']:.4f}" in out
    assert all(value <= 1e-5 for value in summary["reload_differences"].values())
    for name in ("model.h5", "model.keras", "predictions.npy"):
        assert (folder / name).stat().st_size > 0, name
    if shutil.which("dot") is not None:  # Graphviz: the drawing itself
        assert (folder / "model.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    else:  # the README's command on a machine without Graphviz still runs to the end
        assert not (folder / "model.png").exists()
        assert (folder / "model.dot").read_text().lstrip().startswith("digraph")
        assert "model drawing:  Graphviz's dot is not installed" in out
    if importlib.util.find_spec("matplotlib") is not None:
        assert (folder / "training_curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        assert "training curve: skipped (matplotlib is not installed" in out
    assert "files written:  " + str(os.path.join("kfacade-demo", "predictions.npy")) in out


BACKENDS = [b for b in ("tensorflow", "torch", "jax") if importlib.util.find_spec(b) is not None]


@pytest.mark.slow
@pytest.mark.cross_backend
@pytest.mark.skipif(len(BACKENDS) < 2, reason="needs at least two backend frameworks installed")
def test_the_demo_compares_every_backend(tmp_path):
    pytest.importorskip("sklearn")
    pytest.importorskip("h5py")
    out = run_demo(["--all-backends", "--epochs", "1", "--verbose", "0", "--output-dir",
                    "runs"], tmp_path)
    table = out[out.index("backend     "):].splitlines()
    assert table[0].split()[:3] == ["backend", "test", "accuracy"]
    rows = {line.split()[0]: line.split() for line in table[2:] if line.strip()}
    assert sorted(rows) == sorted(BACKENDS)
    differences = [float(row[3]) for row in rows.values() if row[3] != "reference"]
    assert len(differences) == len(BACKENDS) - 1
    assert all(difference <= 1e-5 for difference in differences)
    for backend, row in rows.items():
        with open(tmp_path / "runs" / backend / "summary.json") as handle:
            assert row[1] == f"{json.load(handle)['test_accuracy']:.4f}"
    # --backend runs the named one even when KERAS_BACKEND names another.
    out = run_demo(["--backend", BACKENDS[-1], "--epochs", "1", "--verbose", "0"], tmp_path,
                   backend=BACKENDS[0])
    assert f"backend:        {BACKENDS[-1]}" in out
