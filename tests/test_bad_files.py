"""Bad files: every loader (load_model for .keras and .h5, load_weights for
.weights.h5 and .h5) gives one error naming the file and the problem, and leaves
the file as it was; a save killed mid-write leaves the previous file loadable."""
import json
import os
import re
import signal
import subprocess
import sys
import time
import zipfile

import h5py
import numpy as np
import pytest

import kfacade
from kfacade import layers as L

# (what loads it, the file's name)
LOADERS = [("model", "m.keras"), ("model", "m.h5"), ("weights", "m.weights.h5"),
           ("weights", "m.h5")]

PNG_BYTES = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02"
             b"\x00\x00\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00"
             b"\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def small_model():
    model = kfacade.Sequential([kfacade.Input((4,)), L.Dense(3), L.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    return model


def good_bytes(tmp_path, kind, name):
    """The bytes of a valid file of this kind (written once per test)."""
    path = tmp_path / f"good-{name}"
    model = small_model()
    if kind == "model":
        model.save(str(path))
    else:
        model.save_weights(str(path))
    return path.read_bytes()


def load(kind, path):
    if kind == "model":
        return kfacade.models.load_model(str(path))
    return small_model().load_weights(str(path))


def bad_contents(problem, good, other):
    if problem == "empty":
        return b""
    if problem == "truncated":
        return good[: len(good) // 2]
    if problem == "corrupt":  # the format's signature, then garbage where the index was
        garbage = bytes((i * 97 + 13) % 256 for i in range(len(good) // 2))
        return good[:4] + garbage + good[4 + len(garbage):]
    if problem == "png":
        return PNG_BYTES
    if problem == "other_format":  # a zip named .h5, an HDF5 file named .keras
        return other
    raise AssertionError(problem)


@pytest.mark.parametrize("kind,name", LOADERS)
def test_each_bad_file_gives_one_error_naming_it_and_is_left_untouched(tmp_path, kind, name):
    good = good_bytes(tmp_path, kind, name)
    other_name = "other.h5" if name.endswith(".keras") else "other.keras"
    other = good_bytes(tmp_path, "model", other_name)
    expected_problem = {
        "empty": "empty", "truncated": "truncated|corrupt", "corrupt": "truncated|corrupt",
        "png": "PNG image",
        "other_format": "a zip file" if not name.endswith(".keras") else "an HDF5 file",
    }
    for problem, words in expected_problem.items():
        path = tmp_path / problem / name
        path.parent.mkdir()
        contents = bad_contents(problem, good, other)
        path.write_bytes(contents)
        with pytest.raises(ValueError) as caught:
            load(kind, path)
        message = str(caught.value)
        assert str(path) in message, (problem, message)
        assert re.search(words, message), (problem, message)
        assert path.read_bytes() == contents, problem
        assert os.listdir(path.parent) == [name], problem


def test_missing_file_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path / "nothing.keras"))):
        kfacade.models.load_model(str(tmp_path / "nothing.keras"))


def _rewrite_keras_config(path, change):
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(files["config.json"])
    change(config)
    files["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)


def test_unknown_class_names_the_file_and_the_class(tmp_path):
    keras_path, h5_path = tmp_path / "m.keras", tmp_path / "m.h5"
    small_model().save(str(keras_path))
    small_model().save(str(h5_path))

    def rename_first_dense(config):
        layer = next(l for l in config["config"]["layers"] if l["class_name"] == "Dense")
        layer["class_name"] = "NoSuchLayer"

    _rewrite_keras_config(keras_path, rename_first_dense)
    with h5py.File(h5_path, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        rename_first_dense(config)
        f.attrs["model_config"] = json.dumps(config).encode()
    for path in (keras_path, h5_path):
        before = path.read_bytes()
        with pytest.raises(ValueError, match=re.escape(str(path)) + ".*NoSuchLayer"):
            kfacade.models.load_model(str(path))
        assert path.read_bytes() == before


class Scale(L.Layer):
    """A custom layer that is not registered: loading needs custom_objects."""

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


@pytest.mark.parametrize("name", ["m.keras", "m.h5"])
def test_missing_custom_object_names_the_file_and_the_class(tmp_path, name):
    model = kfacade.Sequential([kfacade.Input((3,)), Scale(3.0), L.Dense(2)])
    path = str(tmp_path / name)
    model.save(path)
    with pytest.raises(ValueError, match=re.escape(path) + ".*Scale.*custom_objects"):
        kfacade.models.load_model(path)
    restored = kfacade.models.load_model(path, custom_objects={"Scale": Scale})
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0))


_KILLED_WRITER = """
import sys
import numpy as np
import kfacade
from kfacade import layers as L
model = kfacade.Sequential([kfacade.Input((2000,)), L.Dense(2000), L.Dense(2000), L.Dense(2000)])
print("ready", flush=True)
model.save_weights(sys.argv[1])
print("saved", flush=True)
"""


@pytest.mark.slow
def test_save_killed_mid_write_leaves_previous_file_loadable(tmp_path):
    """A process killed (SIGKILL) while it writes a large .weights.h5 over a good
    one: the good file is unchanged and loads."""
    path = tmp_path / "big.weights.h5"
    model = kfacade.Sequential([kfacade.Input((2000,)), L.Dense(2000), L.Dense(2000),
                                L.Dense(2000)])
    model.save_weights(str(path))
    before = path.read_bytes()
    writer = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, str(path)],
                              stdout=subprocess.PIPE, text=True,
                              env=dict(os.environ, OMP_NUM_THREADS="1"))
    try:
        assert writer.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 60
        while not any(name.startswith(".tmp-") for name in os.listdir(tmp_path)):
            assert writer.poll() is None, "the writer finished before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.0005)
        writer.send_signal(signal.SIGKILL)
    finally:
        writer.kill()
        writer.wait()
    assert writer.returncode == -signal.SIGKILL
    assert path.read_bytes() == before
    restored = kfacade.Sequential([kfacade.Input((2000,)), L.Dense(2000), L.Dense(2000),
                                   L.Dense(2000)])
    restored.load_weights(str(path))
    for saved, loaded in zip(model.weights, restored.weights):
        np.testing.assert_array_equal(np.asarray(loaded.numpy()), np.asarray(saved.numpy()))
