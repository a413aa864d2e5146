"""Files real Keras wrote (tests/fixtures/real_keras, see its README): kfacade reads them.

Real Keras runs only in subprocesses, so this process holds one framework stack.
"""
import importlib.util
import os
import subprocess
import sys

import h5py
import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures", "real_keras")
MAKE_FIXTURES = os.path.join(FIXTURES, "make_fixtures.py")


def _real_keras_env(backend=None):
    env = dict(os.environ)
    env.pop("KERAS_BACKEND", None)
    env.pop("KFACADE_ROOT", None)
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    env.setdefault("OMP_NUM_THREADS", "1")
    if backend:
        env["KERAS_BACKEND"] = backend
    return env


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("tf_keras") is None, reason="tf_keras is not installed")
def test_make_fixtures_reruns_for_one_producer(tmp_path):
    """The committed script still writes the files the tests read (tf_keras, one model)."""
    done = subprocess.run([sys.executable, MAKE_FIXTURES, "--producer", "tf_keras",
                           "--out", str(tmp_path), "--models", "mlp"],
                          env=_real_keras_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    out = tmp_path / "tf_keras"
    assert sorted(p.name for p in out.iterdir()) == ["mlp.h5", "mlp.legacy_weights.h5", "mlp.npz",
                                                    "mlp.weights.h5"]
    with h5py.File(out / "mlp.h5", "r") as f:
        assert f.attrs["keras_version"].startswith("2.")
        assert list(f["model_weights"].attrs["layer_names"]) == ["hidden", "out"]
        assert "optimizer_weights" in f
    data = np.load(out / "mlp.npz")
    committed = np.load(os.path.join(FIXTURES, "tf_keras", "mlp.npz"))
    np.testing.assert_array_equal(data["x0"], committed["x0"])
    assert data["y0"].shape == committed["y0"].shape == (8, 3)
    assert int(data["iterations"]) == 2
