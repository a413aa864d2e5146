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


def _env(backend):
    return dict(os.environ, KERAS_BACKEND=backend, OMP_NUM_THREADS="1", TF_CPP_MIN_LOG_LEVEL="2",
                PYTHONPATH=HERE + os.pathsep + os.environ.get("PYTHONPATH", ""))


def _run_all(commands):
    """Runs ``{label: (backend, argv)}`` as concurrent processes (the backends
    are independent; a CI machine's cores then share them); fails naming
    each one that failed."""
    procs = {label: subprocess.Popen([sys.executable, *argv], env=_env(backend),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for label, (backend, argv) in commands.items()}
    failures = []
    for label, proc in procs.items():
        try:
            _, stderr = proc.communicate(timeout=600)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, stderr = proc.communicate()
        if proc.returncode != 0:
            failures.append(f"{label} failed:\n{stderr[-3000:]}")
    assert not failures, "\n".join(failures)


def _run_each_backend(script, out_path):
    """`script` on every backend at once; ``{backend: its saved arrays}``."""
    paths = {b: out_path.format(backend=b) for b in BACKENDS}
    _run_all({b: (b, [os.path.join(HERE, script), paths[b]]) for b in BACKENDS})
    results = {}
    for backend, path in paths.items():
        with np.load(path) as data:
            results[backend] = {k: data[k] for k in data.files}
    return results


@pytest.mark.skipif(len(BACKENDS) < 2, reason="needs at least two backend frameworks installed")
@pytest.mark.parametrize("script", ["snippets/seed_models.py"])
def test_same_predictions_on_every_backend(script, tmp_path):
    results = _run_each_backend(script, str(tmp_path / "{backend}.npz"))
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

    results = _run_each_backend("snippets/train_conformance.py", str(tmp_path / "t_{backend}.npz"))
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
    each backend loads on every other with the saved predictions (within 1e-6):
    every backend saves, then every backend loads what the others saved."""
    root = str(tmp_path)
    script = os.path.join(HERE, "snippets", "save_load_cross.py")
    _run_all({f"{b} --save": (b, [script, root, "--save"]) for b in BACKENDS})
    _run_all({f"{b} --load": (b, [script, root, "--load", *[o for o in BACKENDS if o != b]])
              for b in BACKENDS})
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
