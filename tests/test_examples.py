"""The classic example programs of examples/, each run as a user runs it, in its
own process on this process's backend, offline (an empty KERAS_HOME, so each
trains on its named stand-in), with small CI settings: the two MNIST programs
to their accuracy targets, the others far enough to show they learn."""
import ast
import os
import re
import subprocess
import sys

import pytest

import kfacade as keras

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")

pytestmark = pytest.mark.slow


def run_example(name, args, tmp_path):
    env = dict(os.environ, KERAS_BACKEND=keras.backend.backend(), OMP_NUM_THREADS="1",
               TF_CPP_MIN_LOG_LEVEL="3", KERAS_HOME=str(tmp_path / "keras_home"))
    proc = subprocess.run([sys.executable, os.path.join(EXAMPLES, name), "--verbose", "0",
                           *args], cwd=str(tmp_path), env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert not (tmp_path / "keras_home" / "datasets").exists()  # nothing was downloaded
    return proc.stdout


def accuracy_in(out):
    return float(re.search(r"^Test accuracy: ([0-9.]+)$", out, re.M).group(1))


def stand_in_named_first(out, name):
    return out.splitlines()[0].startswith(f"Data: OFFLINE STAND-IN for {name}: ")


@pytest.mark.parametrize("script, args", [
    ("mnist_mlp.py", ["--epochs", "12"]),
    ("mnist_cnn.py", ["--epochs", "6"]),
])
def test_mnist_examples_reach_95_percent_on_the_digits_stand_in(script, args, tmp_path):
    pytest.importorskip("sklearn")
    out = run_example(script, args, tmp_path)
    assert stand_in_named_first(out, "mnist")
    assert "1437 train" in out  # the bundled digits' training split
    assert accuracy_in(out) >= 0.95


def test_cifar10_cnn_trains_with_real_time_augmentation(tmp_path):
    out = run_example("cifar10_cnn.py", ["--epochs", "1", "--train-samples", "96",
                                         "--batch-size", "32"], tmp_path)
    assert stand_in_named_first(out, "cifar10")
    assert "x_train shape: (96, 32, 32, 3)" in out
    assert 0.0 <= accuracy_in(out) <= 1.0
    assert re.search(r"^Test loss: [0-9.]+$", out, re.M)  # finite


def test_imdb_lstm_is_well_above_chance_on_the_stand_in(tmp_path):
    out = run_example("imdb_lstm.py", ["--epochs", "2", "--train-samples", "600",
                                       "--maxlen", "60", "--max-features", "5000"], tmp_path)
    assert stand_in_named_first(out, "imdb")
    assert accuracy_in(out) >= 0.75  # two balanced classes: chance is 0.5


def test_reuters_mlp_is_well_above_chance_on_the_stand_in(tmp_path):
    out = run_example("reuters_mlp.py", ["--epochs", "2"], tmp_path)
    assert stand_in_named_first(out, "reuters")
    assert "46 classes" in out
    assert accuracy_in(out) >= 0.5  # 46 topics: chance is about 0.02


def test_text_generation_writes_from_the_training_alphabet(tmp_path):
    import codecs
    import this  # noqa: F401  (the default corpus; importing it prints it, pytest captures that)

    alphabet = set(codecs.decode(this.s, "rot13").lower())
    out = run_example("text_generation_lstm.py", ["--epochs", "2", "--length", "30",
                                                  "--temperatures", "0.5", "1.0"], tmp_path)
    assert out.startswith("Data: the Zen of Python")
    samples = re.findall(r"^Generated \(temperature ([0-9.]+)\): (.*)$", out, re.M)
    assert [temperature for temperature, _ in samples] == ["0.5", "1.0"]
    for _, text in samples:
        text = ast.literal_eval(text)
        assert len(text) == 30 and set(text) <= alphabet
