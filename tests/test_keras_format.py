"""Keras 3's formats: the ".weights.h5" layout (layers/<name>/vars/<i>) and the ".keras"
zip (config.json, metadata.json, model.weights.h5), written by kfacade and by real Keras 3
(tests/fixtures/real_keras, every Keras backend), read back on the active backend."""
import importlib.util
import json
import os
import subprocess
import sys
import zipfile

import h5py
import numpy as np
import pytest

import kfacade
from kfacade import layers as L
from kfacade.saving import keras3_weights

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures", "real_keras")
KERAS3_PRODUCERS = ("keras3_tensorflow", "keras3_torch", "keras3_jax")
FIXTURE_MODELS = ("mlp", "cnn", "lstm", "gru", "two_output")


def nested_model():
    """BatchNormalization, LSTM, Bidirectional, MultiHeadAttention, a nested
    Sequential and a shared Dense: the paths Keras 3 names specially."""
    inputs = kfacade.Input((6, 4))
    x = L.Conv1D(3, 2, padding="same")(inputs)
    x = L.BatchNormalization()(x)
    x = L.LSTM(5, return_sequences=True)(x)
    x = L.Bidirectional(L.GRU(3, return_sequences=True))(x)
    x = L.MultiHeadAttention(2, 3)(x, x)
    x = L.LayerNormalization()(x)
    inner = kfacade.Sequential([L.Dense(4), L.Dense(2)], name="inner")
    x = inner(L.GlobalAveragePooling1D()(x))
    shared = L.Dense(2)
    return kfacade.Model(inputs, L.Add()([shared(x), shared(x)]))


def data(n=8):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 6, 4)).astype("float32"), rng.normal(size=(n, 2)).astype("float32")


def small_model():
    return kfacade.Sequential([kfacade.Input((6, 4)), L.Flatten(), L.Dense(5),
                               L.BatchNormalization(), L.Dense(2)])


def fitted_model():
    """A compiled small model after two steps of Adam (optimizer state, BatchNorm
    statistics moved); small so that every backend compiles it fast."""
    model = small_model()
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    x, y = data()
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    return model


# ---------------------------------------------------------------- .weights.h5
def test_object_paths_and_variable_order_are_keras3s():
    """The paths Keras 3 writes for this model (read from a file Keras 3.15 wrote
    for the same architecture), with each layer's variables in Keras's order."""
    model = nested_model()
    paths = {path: [v.name for v in variables]
             for path, _, variables in keras3_weights.object_paths(model) if variables}
    assert paths == {
        "layers/conv1d": ["kernel", "bias"],
        "layers/batch_normalization": ["gamma", "beta", "moving_mean", "moving_variance"],
        "layers/lstm/cell": ["kernel", "recurrent_kernel", "bias"],
        "layers/bidirectional/forward_layer/cell": ["kernel", "recurrent_kernel", "bias"],
        "layers/bidirectional/backward_layer/cell": ["kernel", "recurrent_kernel", "bias"],
        "layers/multi_head_attention/query_dense": ["kernel", "bias"],
        "layers/multi_head_attention/key_dense": ["kernel", "bias"],
        "layers/multi_head_attention/value_dense": ["kernel", "bias"],
        "layers/multi_head_attention/output_dense": ["kernel", "bias"],
        "layers/layer_normalization": ["gamma", "beta"],
        "layers/sequential/layers/dense": ["kernel", "bias"],
        "layers/sequential/layers/dense_1": ["kernel", "bias"],
        "layers/dense": ["kernel", "bias"],
    }


class Subclassed(kfacade.Model):
    def __init__(self):
        super().__init__()
        self.encoder = L.Dense(4)
        self.blocks = [L.Dense(3), L.Dense(3)]
        self.norm = L.BatchNormalization()

    def call(self, x):
        x = self.encoder(x)
        for block in self.blocks:
            x = block(x)
        return self.norm(x)


def test_subclassed_model_paths_are_keras3s(tmp_path):
    """Keras 3.15 writes this model's variables at these paths: attributes by name,
    lists by class name, and its `layers` property (visited in name order) for the
    layers no earlier attribute reached."""
    model = Subclassed()
    x = np.ones((2, 5), "float32")
    model(x)
    paths = sorted(path for path, _, variables in keras3_weights.object_paths(model) if variables)
    assert paths == ["blocks/dense", "blocks/dense_1", "encoder", "layers/batch_normalization"]
    model.save_weights(str(tmp_path / "sub.weights.h5"))
    restored = Subclassed()
    restored(x)
    restored.load_weights(str(tmp_path / "sub.weights.h5"))
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))


def test_weights_h5_is_keras3_layout_and_plain_h5_keras2(tmp_path):
    model = fitted_model()
    model.save_weights(str(tmp_path / "m.weights.h5"))
    model.save_weights(str(tmp_path / "m.h5"))
    with h5py.File(tmp_path / "m.weights.h5", "r") as f:
        assert "layer_names" not in f.attrs
        norm = next(layer for layer in model.layers if isinstance(layer, L.BatchNormalization))
        assert f["layers/batch_normalization/vars"].attrs["name"] == norm.name
        np.testing.assert_array_equal(f["layers/batch_normalization/vars/2"],
                                      np.asarray(norm.moving_mean.numpy()))
        assert f["optimizer/vars/0"][()] == 2  # iterations
        assert len(f["optimizer/vars"]) == len(model.optimizer.variables)
    with h5py.File(tmp_path / "m.h5", "r") as f:
        assert "layer_names" in f.attrs


def test_weights_h5_round_trip_restores_weights_and_optimizer(tmp_path):
    model = fitted_model()
    path = str(tmp_path / "m.weights.h5")
    model.save_weights(path)
    x, y = data()
    restored = small_model()
    restored.compile(optimizer="adam", loss="mse", metrics=["mae"])
    restored.load_weights(path)
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0),
                               atol=1e-6)
    assert int(restored.optimizer.iterations.numpy()) == 2
    for saved, loaded in zip(model.optimizer.variables, restored.optimizer.variables):
        np.testing.assert_array_equal(np.asarray(loaded.numpy()), np.asarray(saved.numpy()))
    # fit continues from the restored state exactly as the original does
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    restored.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0),
                               atol=1e-5)


def test_weights_h5_mismatch_names_layer_and_shapes(tmp_path):
    path = str(tmp_path / "m.weights.h5")
    kfacade.Sequential([kfacade.Input((3,)), L.Dense(2)]).save_weights(path)
    other = kfacade.Sequential([kfacade.Input((3,)), L.Dense(5)])
    before = open(path, "rb").read()
    with pytest.raises(ValueError, match=r"m\.weights\.h5.*'layers/dense'.*\(3, 5\).*\(3, 2\)"):
        other.load_weights(path)
    assert open(path, "rb").read() == before


# ---------------------------------------------------------------- .keras
def test_keras_zip_holds_keras3_config_metadata_and_weights(tmp_path):
    model = fitted_model()
    path = tmp_path / "m.keras"
    model.save(str(path))
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        metadata = json.loads(archive.read("metadata.json"))
        config = json.loads(archive.read("config.json"))
    assert set(metadata) == {"keras_version", "date_saved"}
    assert metadata["keras_version"].startswith("3.")
    assert (config["module"], config["class_name"]) == ("keras.src.models.sequential",
                                                         "Sequential")
    assert config["compile_config"]["optimizer"]["class_name"] == "Adam"
    assert config["compile_config"]["loss"] == "mse"
    assert not [name for name in os.listdir(tmp_path) if name != "m.keras"]  # no temp file left
    nested_model().save(str(tmp_path / "nested.keras"))
    with zipfile.ZipFile(tmp_path / "nested.keras") as archive:
        config = json.loads(archive.read("config.json"))
    by_class = {layer["class_name"]: layer for layer in config["config"]["layers"]}
    assert by_class["Bidirectional"]["module"] == "keras.layers"
    assert by_class["Bidirectional"]["config"]["layer"]["module"] == "keras.layers"
    assert by_class["Sequential"]["module"] == "keras.src.models.sequential"
    # Keras 3's node encoding: MultiHeadAttention's value is a keyword tensor
    node = by_class["MultiHeadAttention"]["inbound_nodes"][0]
    assert node["args"][0]["class_name"] == "__keras_tensor__"
    assert node["kwargs"]["value"]["config"]["keras_history"][0] == by_class["Bidirectional"]["name"]
    assert config["config"]["input_layers"][0] == config["config"]["layers"][0]["name"]


def test_keras_round_trip_compiled_model_continues_fit(tmp_path):
    model = fitted_model()
    path = str(tmp_path / "m.keras")
    model.save(path)
    restored = kfacade.saving.load_model(path)
    x, y = data()
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0),
                               atol=1e-6)
    assert type(restored.optimizer).__name__ == "Adam"
    assert int(restored.optimizer.iterations.numpy()) == 2
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    history = restored.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    assert set(history.history) == {"loss", "mae"}
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0),
                               atol=1e-5)
    uncompiled = kfacade.models.load_model(path, compile=False)
    assert uncompiled.optimizer is None


def test_keras_round_trip_of_nested_layers(tmp_path):
    model = nested_model()
    path = str(tmp_path / "nested.keras")
    model.save(path)
    x, _ = data(4)
    restored = kfacade.models.load_model(path)
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0),
                               atol=1e-6)


def test_keras_sequential_uncompiled_round_trip(tmp_path):
    model = kfacade.Sequential([kfacade.Input((5,)), L.Embedding(9, 3), L.Flatten(),
                                L.Dropout(0.5), L.Dense(2)])
    path = str(tmp_path / "seq.keras")
    kfacade.saving.save_model(model, path)
    restored = kfacade.models.load_model(path)
    x = np.arange(10).reshape(2, 5) % 9
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0),
                               atol=1e-6)
    assert restored.optimizer is None


def test_lambda_needs_safe_mode_false(tmp_path):
    model = kfacade.Sequential([kfacade.Input((3,)), L.Lambda(lambda t: t * 2.0), L.Dense(1)])
    path = str(tmp_path / "lambda.keras")
    model.save(path)
    with pytest.raises(ValueError, match=r"lambda\.keras.*safe_mode=False"):
        kfacade.models.load_model(path)
    restored = kfacade.models.load_model(path, safe_mode=False)
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0))


def test_saving_namespace_has_keras3_names():
    names = ["load_model", "save_model", "load_weights", "save_weights",
             "register_keras_serializable", "get_registered_name", "get_registered_object",
             "serialize_keras_object", "deserialize_keras_object", "custom_object_scope",
             "CustomObjectScope", "get_custom_objects"]
    assert [name for name in names if not callable(getattr(kfacade.saving, name, None))] == []
    assert kfacade.models.load_model is kfacade.saving.load_model
    assert kfacade.models.save_model is kfacade.saving.save_model


# ---------------------------------------------------------------- real Keras 3's files
def _fixture(producer, name):
    data_file = np.load(os.path.join(FIXTURES, producer, f"{name}.npz"))
    xs = [data_file[k] for k in sorted(k for k in data_file.files if k.startswith("x"))]
    ys = [data_file[k] for k in sorted(k for k in data_file.files if k.startswith("y"))]
    return xs, ys, int(data_file["iterations"])


def _predict(model, xs):
    out = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    return [np.asarray(o) for o in (out if isinstance(out, (list, tuple)) else [out])]


@pytest.mark.slow
@pytest.mark.parametrize("producer", KERAS3_PRODUCERS)
def test_real_keras3_files_load_with_their_predictions(producer):
    """Every model (.keras, and .weights.h5 into the same architecture): the
    predictions Keras 3 made within 1e-5, its step count, and fit continues
    for an epoch (of one batch) from Keras's optimizer state."""
    for name in FIXTURE_MODELS:
        xs, ys, iterations = _fixture(producer, name)
        model = kfacade.models.load_model(os.path.join(FIXTURES, producer, f"{name}.keras"))
        for predicted, expected in zip(_predict(model, xs), ys):
            np.testing.assert_allclose(predicted, expected, atol=1e-5, err_msg=f"{producer} {name}")
        assert int(model.optimizer.iterations.numpy()) == iterations
        targets = [np.asarray(t) for t in _predict(model, xs)]
        model.fit(xs if len(xs) > 1 else xs[0], targets if len(targets) > 1 else targets[0],
                  epochs=1, batch_size=len(xs[0]), verbose=0)  # one step from Keras's state
        assert int(model.optimizer.iterations.numpy()) == iterations + 1, f"{producer} {name}"
        fresh = kfacade.models.load_model(os.path.join(FIXTURES, producer, f"{name}.keras"),
                                          compile=False)
        for variable in fresh.weights:
            variable.assign(np.zeros(variable.shape, variable.dtype))
        fresh.load_weights(os.path.join(FIXTURES, producer, f"{name}.weights.h5"))
        for predicted, expected in zip(_predict(fresh, xs), ys):
            np.testing.assert_allclose(predicted, expected, atol=1e-5, err_msg=f"{producer} {name}")


def _real_keras_env(backend):
    env = {k: v for k, v in os.environ.items() if k not in ("KFACADE_ROOT",)}
    env.update(KERAS_BACKEND=backend, OMP_NUM_THREADS="1", TF_CPP_MIN_LOG_LEVEL="3")
    return env


_REAL_KERAS_READER = """
import sys, numpy as np, keras
folder = sys.argv[1]
for name in sys.argv[2:]:
    data = np.load(f"{folder}/{name}.npz")
    xs = [data[k] for k in sorted(k for k in data.files if k.startswith("x"))]
    ys = [data[k] for k in sorted(k for k in data.files if k.startswith("y"))]
    model = keras.saving.load_model(f"{folder}/{name}.keras")
    out = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    out = out if isinstance(out, (list, tuple)) else [out]
    error = max(float(np.abs(np.asarray(o) - y).max()) for o, y in zip(out, ys))
    steps = int(model.optimizer.iterations) if model.optimizer is not None else -1
    model.set_weights([np.zeros_like(w) for w in model.get_weights()])
    model.load_weights(f"{folder}/{name}.weights.h5")
    out = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    out = out if isinstance(out, (list, tuple)) else [out]
    error = max([error] + [float(np.abs(np.asarray(o) - y).max()) for o, y in zip(out, ys)])
    print("RESULT", name, error, steps)
"""


@pytest.mark.slow
# Real Keras reads the files, whose layout is the same from every kfacade backend (the
# cross-backend test loads each backend's files on every other): one session suffices.
@pytest.mark.backend_independent
@pytest.mark.skipif(importlib.util.find_spec("keras") is None, reason="keras (Keras 3) is not installed")
def test_real_keras3_loads_kfacade_keras_files(tmp_path):
    """Four models saved here (Sequential, CNN with BatchNormalization, Embedding
    with LSTM and Bidirectional GRU, MultiHeadAttention with a nested Sequential and
    a shared layer) load in real Keras 3 (one subprocess, on this backend's
    framework) with kfacade's predictions within 1e-5 and the step count, from the
    .keras file and again from the .weights.h5 file."""
    rng = np.random.default_rng(1)
    models = {}
    models["mlp"] = (kfacade.Sequential([kfacade.Input((5,)), L.Dense(4, activation="relu"),
                                         L.Dropout(0.1), L.Dense(3)]),
                     [rng.normal(size=(4, 5)).astype("float32")])
    image = kfacade.Input((8, 8, 2))
    x = L.BatchNormalization()(L.MaxPooling2D()(L.Conv2D(3, 3, activation="relu")(image)))
    models["cnn"] = (kfacade.Model(image, L.Dense(2, activation="softmax")(L.Flatten()(x))),
                     [rng.normal(size=(4, 8, 8, 2)).astype("float32")])
    tokens = kfacade.Input((5,), dtype="int32")
    x = L.LSTM(3, return_sequences=True)(L.Embedding(10, 4)(tokens))
    x = L.LayerNormalization()(L.Bidirectional(L.GRU(2, return_sequences=True))(x))
    models["rnn"] = (kfacade.Model(tokens, L.Dense(2)(L.GlobalAveragePooling1D()(x))),
                     [rng.integers(0, 10, size=(4, 5)).astype("int32")])
    models["attention"] = (nested_model(), [data(4)[0]])
    for name, (model, xs) in models.items():
        model.compile(optimizer="adam", loss="mse")
        if name == "mlp":  # one model with optimizer state (the others compile fast)
            model.fit(xs[0], _predict(model, xs)[0], epochs=1, verbose=0)
        model.save(str(tmp_path / f"{name}.keras"))
        model.save_weights(str(tmp_path / f"{name}.weights.h5"))
        np.savez(tmp_path / f"{name}.npz", **{f"x{i}": v for i, v in enumerate(xs)},
                 **{f"y{i}": v for i, v in enumerate(_predict(model, xs))})
    backend = kfacade.backend.backend()
    done = subprocess.run([sys.executable, "-c", _REAL_KERAS_READER, str(tmp_path), *models],
                          env=_real_keras_env(backend), capture_output=True, text=True,
                          timeout=600, cwd=str(tmp_path))
    assert done.returncode == 0, done.stderr[-3000:]
    results = {line.split()[1]: line.split()[2:] for line in done.stdout.splitlines()
               if line.startswith("RESULT")}
    assert sorted(results) == sorted(models)
    for name, (error, steps) in results.items():
        assert float(error) <= 1e-5, (name, error)
        assert int(steps) == (1 if name == "mlp" else 0), (name, steps)
