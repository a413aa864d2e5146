"""Cross-backend agreement: the same programs with the same weights give the
same predictions on every installed backend (within 1e-5), each backend
running in its own process."""
import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

pytestmark = pytest.mark.cross_backend

HERE = os.path.dirname(os.path.abspath(__file__))
BACKENDS = [b for b in ("tensorflow", "torch", "jax") if importlib.util.find_spec(b) is not None]


def _run(script, backend, out_path):
    env = dict(os.environ, KERAS_BACKEND=backend, OMP_NUM_THREADS="1", TF_CPP_MIN_LOG_LEVEL="2",
               PYTHONPATH=HERE + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, os.path.join(HERE, script), out_path], env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"{backend} failed:\n{proc.stderr[-3000:]}"
    with np.load(out_path) as data:
        return {k: data[k] for k in data.files}


@pytest.mark.skipif(len(BACKENDS) < 2, reason="needs at least two backend frameworks installed")
@pytest.mark.parametrize("script", ["snippets/seed_models.py"])
def test_same_predictions_on_every_backend(script, tmp_path):
    results = {b: _run(script, b, str(tmp_path / f"{b}.npz")) for b in BACKENDS}
    reference_backend = BACKENDS[0]
    for backend in BACKENDS[1:]:
        for name, value in results[reference_backend].items():
            np.testing.assert_allclose(results[backend][name], value, rtol=1e-5, atol=1e-5,
                                       err_msg=f"{name}: {backend} vs {reference_backend}")


@pytest.mark.skipif(len(BACKENDS) < 2, reason="needs at least two backend frameworks installed")
def test_training_agrees_across_backends_and_with_numpy(tmp_path):
    """20 steps of SGD and Adam on Dense+BatchNorm+ReLU+Dense (checked against
    a NumPy reference) and on a Conv2D model: final weights agree across
    backends within 1e-4 relative."""
    sys.path.insert(0, HERE)
    from snippets import numpy_training

    results = {b: _run("snippets/train_conformance.py", b, str(tmp_path / f"t_{b}.npz")) for b in BACKENDS}
    for optimizer in ("sgd", "adam"):
        expected = numpy_training.reference(optimizer)
        for backend, weights in results.items():
            for i, value in enumerate(expected):
                np.testing.assert_allclose(
                    weights[f"{optimizer}_{i}"], value, rtol=1e-4, atol=1e-5,
                    err_msg=f"{backend} {optimizer} weight {i} vs NumPy reference")
    # Every trained weight, the Conv2D model's included, agrees across backends.
    for backend in BACKENDS[1:]:
        for key, value in results[BACKENDS[0]].items():
            np.testing.assert_allclose(results[backend][key], value, rtol=1e-4, atol=1e-5,
                                       err_msg=f"{key}: {backend} vs {BACKENDS[0]}")


@pytest.mark.skipif(len(BACKENDS) < 2, reason="needs at least two backend frameworks installed")
def test_files_saved_on_one_backend_load_on_every_other(tmp_path):
    """A model of the main layer families saved as .keras, .h5 and .weights.h5 on
    each backend loads on every other with the saved predictions (within 1e-6).
    Each backend saves and loads what earlier ones saved in one process; a last
    round loads what later ones saved (five processes for three backends)."""
    root = str(tmp_path)
    script = os.path.join(HERE, "snippets", "save_load_cross.py")
    runs = [(backend, ["--save", "--load", *BACKENDS[:i]] if i else ["--save"])
            for i, backend in enumerate(BACKENDS)]
    runs += [(backend, ["--load", *BACKENDS[i + 1:]]) for i, backend in enumerate(BACKENDS[:-1])]
    for backend, args in runs:
        env = dict(os.environ, KERAS_BACKEND=backend, OMP_NUM_THREADS="1",
                   TF_CPP_MIN_LOG_LEVEL="2")
        proc = subprocess.run([sys.executable, script, root, *[a for a in args if a]], env=env,
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, f"{backend} {args} failed:\n{proc.stderr[-3000:]}"
    checked = 0
    for loader in BACKENDS:
        for source in BACKENDS:
            if loader == source:
                continue
            with np.load(os.path.join(root, f"{loader}_loaded_{source}.npz")) as data:
                for fmt in ("keras", "h5", "weights.h5"):
                    np.testing.assert_allclose(
                        data[fmt], data["saved"], rtol=0, atol=1e-6,
                        err_msg=f"saved on {source}, loaded on {loader} from .{fmt}")
                    checked += 1
    assert checked == 3 * len(BACKENDS) * (len(BACKENDS) - 1)
