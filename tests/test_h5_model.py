"""Whole models in Keras 2's HDF5 layout: ``Model.save`` / ``load_model``.

Round trips compare predictions of the loaded model with the original's
(they must be identical); continued training compares a model trained
2 epochs, saved, loaded and trained 1 more with 3 uninterrupted epochs.
"""
import json
import os

import h5py
import numpy as np
import pytest

import kfacade
from kfacade.saving import h5_model, h5_weights

L = kfacade.layers


def predict(model, x):
    """An eager inference call, as NumPy (a list for several outputs)."""
    outputs = model(x, training=False)
    if isinstance(outputs, (list, tuple)):
        return [kfacade.ops.convert_to_numpy(o) for o in outputs]
    return kfacade.ops.convert_to_numpy(outputs)


def assert_identical(actual, expected):
    if isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected)
        for a, e in zip(actual, expected):
            np.testing.assert_array_equal(a, e)
    else:
        np.testing.assert_array_equal(actual, expected)


def randomize(model, rng):
    """Distinct random values for every weight (BatchNorm statistics too)."""
    model.set_weights([rng.uniform(0.5, 1.5, size=w.shape).astype(np.float32)
                       for w in model.weights])


def sequential_model():
    return kfacade.Sequential([
        L.Dense(6, activation="relu", input_dim=3, name="d1"),
        L.BatchNormalization(name="bn"),
        L.Dense(2, name="d2"),
    ], name="seq")


def two_branch_model():
    """Two inputs, two outputs, a layer shared by both inputs."""
    a = kfacade.Input(shape=(4,), name="a")
    b = kfacade.Input(shape=(4,), name="b")
    shared = L.Dense(3, activation="tanh", name="shared")
    joined = L.Concatenate(name="join")([shared(a), shared(b)])
    first = L.Dense(2, name="first")(joined)
    second = L.Dense(1, name="second")(L.Add(name="add")([shared(b), shared(a)]))
    return kfacade.Model(inputs=[a, b], outputs=[first, second], name="two_branch")


def mixed_model():
    """Conv2D, BatchNormalization, Dropout, Embedding and LSTM in one model."""
    image = kfacade.Input(shape=(6, 6, 2), name="image")
    tokens = kfacade.Input(shape=(5,), dtype="int32", name="tokens")
    x = L.Conv2D(3, 3, activation="relu", name="conv")(image)
    x = L.BatchNormalization(name="bn")(x)
    x = L.Dropout(0.5, name="drop")(x)
    x = L.Flatten(name="flat")(x)
    t = L.Embedding(10, 4, name="embed")(tokens)
    t = L.LSTM(3, name="lstm")(t)
    merged = L.Concatenate(name="merge")([x, t])
    output = L.Dense(2, activation="softmax", name="out")(merged)
    return kfacade.Model([image, tokens], output, name="mixed")


# ------------------------------------------------------------ configs
def test_sequential_config_round_trips():
    model = sequential_model()
    config = model.get_config()
    rebuilt = kfacade.Sequential.from_config(json.loads(json.dumps(config)))
    assert json.loads(json.dumps(rebuilt.get_config())) == json.loads(json.dumps(config))


def test_functional_config_layout_and_round_trip():
    model = two_branch_model()
    config = model.get_config()
    assert config["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    assert config["output_layers"] == [["first", 0, 0], ["second", 0, 0]]
    layers = {entry["name"]: entry for entry in config["layers"]}
    assert layers["a"]["class_name"] == "InputLayer" and layers["a"]["inbound_nodes"] == []
    # The shared layer: four calls, in the order the model made them.
    assert layers["shared"]["inbound_nodes"] == [
        [["a", 0, 0, {}]], [["b", 0, 0, {}]], [["b", 0, 0, {}]], [["a", 0, 0, {}]]]
    assert layers["add"]["inbound_nodes"] == [[["shared", 2, 0, {}], ["shared", 3, 0, {}]]]
    text = json.dumps(config)
    rebuilt = kfacade.Model.from_config(json.loads(text))
    assert isinstance(rebuilt, kfacade.models.Functional)
    assert json.dumps(rebuilt.get_config()) == text


def test_functional_single_input_output_config_is_keras2_style(rng):
    inputs = kfacade.Input(shape=(3,), name="x")
    model = kfacade.Model(inputs, L.Dense(2, name="d")(inputs))
    config = model.get_config()
    assert config["input_layers"] == [["x", 0, 0]]
    assert config["output_layers"] == [["d", 0, 0]]
    rebuilt = kfacade.models.Functional.from_config(config)
    rebuilt.set_weights(model.get_weights())
    x = rng.normal(size=(4, 3)).astype(np.float32)
    assert_identical(predict(rebuilt, x), predict(model, x))  # one tensor, not a list


def test_subclassed_model_get_config_raises(tmp_path):
    class MLP(kfacade.Model):
        def __init__(self):
            super().__init__(name="mlp")
            self.dense = L.Dense(2)

        def call(self, inputs, training=None):
            return self.dense(inputs)

    model = MLP()
    with pytest.raises(NotImplementedError, match="get_config"):
        model.get_config()
    with pytest.raises(NotImplementedError, match="subclassed"):
        model.save(str(tmp_path / "never_written.h5"))
    assert os.listdir(tmp_path) == []


# ------------------------------------------------------------ round trips
def test_sequential_save_load_predictions_identical(tmp_path, rng):
    model = sequential_model()
    randomize(model, rng)
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    path = str(tmp_path / "seq.h5")
    model.save(path)
    loaded = kfacade.models.load_model(path)
    assert isinstance(loaded, kfacade.Sequential)
    assert [layer.name for layer in loaded.layers] == ["d1", "bn", "d2"]
    x = rng.normal(size=(5, 3)).astype(np.float32)
    assert_identical(predict(loaded, x), predict(model, x))
    assert loaded.compiled and type(loaded.optimizer).__name__ == "SGD"


def test_functional_shared_layer_two_inputs_outputs(tmp_path, rng):
    model = two_branch_model()
    randomize(model, rng)
    path = str(tmp_path / "two.hdf5")
    kfacade.saving.save_model(model, path)
    loaded = kfacade.saving.load_model(path)
    x = [rng.normal(size=(4, 4)).astype(np.float32) for _ in range(2)]
    assert_identical(predict(loaded, x), predict(model, x))
    assert len(loaded.get_layer("shared")._inbound_nodes) == 4


def test_mixed_layers_model(tmp_path, rng):
    model = mixed_model()
    randomize(model, rng)
    path = str(tmp_path / "mixed.h5")
    model.save(path)
    loaded = kfacade.models.load_model(path)
    x = [rng.normal(size=(3, 6, 6, 2)).astype(np.float32),
         rng.integers(0, 10, size=(3, 5)).astype(np.int32)]
    assert_identical(predict(loaded, x), predict(model, x))
    assert [w.path for w in loaded.weights] == [w.path for w in model.weights]


def test_nested_models_and_dict_inputs(tmp_path, rng):
    inner_input = kfacade.Input(shape=(3,), name="inner_input")
    inner = kfacade.Model(inner_input, L.Dense(2, name="inner_dense")(inner_input), name="inner")
    tail = kfacade.Sequential([L.Dense(4, input_dim=2, name="tail_dense")], name="tail")
    a = kfacade.Input(shape=(3,), name="a")
    b = kfacade.Input(shape=(3,), name="b")
    model = kfacade.Model({"a": a, "b": b}, tail(L.Add(name="add")([inner(a), inner(b)])))
    randomize(model, rng)
    path = str(tmp_path / "nested.h5")
    model.save(path)
    loaded = kfacade.models.load_model(path)
    x = {"a": rng.normal(size=(2, 3)).astype(np.float32),
         "b": rng.normal(size=(2, 3)).astype(np.float32)}
    assert_identical(predict(loaded, x), predict(model, x))
    assert isinstance(loaded.get_layer("tail"), kfacade.Sequential)


def test_file_layout_is_keras2(tmp_path, rng):
    model = sequential_model()
    model.compile(optimizer=kfacade.optimizers.Adam(1e-3), loss="mse",
                  metrics=["mae", kfacade.metrics.MeanSquaredError(name="mse_metric")])
    x = rng.normal(size=(8, 3)).astype(np.float32)
    model.fit(x, np.zeros((8, 2), np.float32), epochs=1, verbose=0)
    path = str(tmp_path / "layout.h5")
    model.save(path)
    with h5py.File(path, "r") as f:
        config = json.loads(f.attrs["model_config"])
        assert config["class_name"] == "Sequential"
        assert "keras_version" in f.attrs and "backend" in f.attrs
        training = json.loads(f.attrs["training_config"])
        assert training["loss"] == "mean_squared_error"  # Keras 3's legacy loader misreads "mse"
        assert training["metrics"][0] == "mae"
        assert training["metrics"][1]["class_name"] == "MeanSquaredError"
        assert training["optimizer_config"]["class_name"] == "Adam"
        assert h5_weights._load_attribute(f["model_weights"], "layer_names") == ["d1", "bn", "d2"]
        assert np.asarray(f["model_weights"]["d1"]["d1"]["kernel:0"]).shape == (3, 6)
        names = h5_weights._load_attribute(f["optimizer_weights"], "weight_names")
        assert names[0].endswith("iteration:0")
        assert int(np.asarray(f["optimizer_weights"][names[0]])) == 1
    # model.load_weights reads the weights of a whole-model file.
    other = sequential_model()
    other.load_weights(path)
    assert_identical(predict(other, x), predict(model, x))


def test_include_optimizer_false_and_compile_false(tmp_path):
    model = sequential_model()
    model.compile(optimizer="adam", loss="mse")
    path = str(tmp_path / "plain.h5")
    model.save(path, include_optimizer=False)
    with h5py.File(path, "r") as f:
        assert "training_config" not in f.attrs and "optimizer_weights" not in f
    assert not getattr(kfacade.models.load_model(path), "compiled", False)
    model.save(path)
    assert not getattr(kfacade.models.load_model(path, compile=False), "compiled", False)


# ------------------------------------------------------------ continued training
@pytest.mark.parametrize("make_optimizer", [
    lambda: kfacade.optimizers.SGD(learning_rate=0.05, momentum=0.9),
    lambda: kfacade.optimizers.Adam(learning_rate=0.01),
], ids=["sgd_momentum", "adam"])
def test_fit_continues_exactly_after_load(tmp_path, rng, make_optimizer):
    x = rng.normal(size=(32, 3)).astype(np.float32)
    y = rng.normal(size=(32, 2)).astype(np.float32)

    def make():
        model = kfacade.Sequential([
            L.Dense(8, activation="tanh", input_dim=3, name="d1"),
            L.BatchNormalization(name="bn"),
            L.Dense(2, name="d2"),
        ])
        model.compile(optimizer=make_optimizer(), loss="mse", metrics=["mae"])
        return model

    uninterrupted, interrupted = make(), make()
    interrupted.set_weights(uninterrupted.get_weights())
    uninterrupted.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    interrupted.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    path = str(tmp_path / "resume.h5")
    interrupted.save(path)
    resumed = kfacade.models.load_model(path)
    assert int(kfacade.ops.convert_to_numpy(resumed.optimizer.iterations)) == 8
    resumed.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for expected, actual in zip(uninterrupted.weights, resumed.weights):
        np.testing.assert_allclose(kfacade.ops.convert_to_numpy(actual),
                                   kfacade.ops.convert_to_numpy(expected), rtol=0, atol=1e-6,
                                   err_msg=expected.path)
    for expected, actual in zip(uninterrupted.optimizer.variables, resumed.optimizer.variables):
        np.testing.assert_allclose(kfacade.ops.convert_to_numpy(actual),
                                   kfacade.ops.convert_to_numpy(expected), rtol=0, atol=1e-6,
                                   err_msg=expected.path)


# ------------------------------------------------------------ ModelCheckpoint
def test_model_checkpoint_hdf5_template_writes_loadable_models(tmp_path, rng):
    model = sequential_model()
    model.compile(optimizer="adam", loss="mse")
    x = rng.normal(size=(16, 3)).astype(np.float32)
    y = rng.normal(size=(16, 2)).astype(np.float32)
    template = str(tmp_path / "weights.{epoch:02d}.hdf5")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0,
              callbacks=[kfacade.callbacks.ModelCheckpoint(template)])
    assert sorted(os.listdir(tmp_path)) == ["weights.01.hdf5", "weights.02.hdf5"]
    first = kfacade.models.load_model(str(tmp_path / "weights.01.hdf5"))
    last = kfacade.models.load_model(str(tmp_path / "weights.02.hdf5"))
    assert_identical(predict(last, x), predict(model, x))
    assert int(kfacade.ops.convert_to_numpy(first.optimizer.iterations)) == 2
    assert int(kfacade.ops.convert_to_numpy(last.optimizer.iterations)) == 4


# ------------------------------------------------------------ errors
class Scale(L.Layer):
    """A layer kfacade does not know by name."""

    def call(self, inputs):
        return inputs * 2.0


def test_unknown_layer_needs_custom_objects(tmp_path, rng):
    inputs = kfacade.Input(shape=(3,), name="x")
    model = kfacade.Model(inputs, Scale(name="scale")(L.Dense(2, name="d")(inputs)))
    path = str(tmp_path / "custom.h5")
    model.save(path)
    with pytest.raises(ValueError, match=r"Scale.*custom_objects"):
        kfacade.models.load_model(path)
    loaded = kfacade.models.load_model(path, custom_objects={"Scale": Scale})
    x = rng.normal(size=(2, 3)).astype(np.float32)
    assert_identical(predict(loaded, x), predict(model, x))


def test_bad_files_raise_clear_errors(tmp_path):
    text = tmp_path / "not_hdf5.h5"
    text.write_text("this is not an HDF5 file")
    with pytest.raises(ValueError, match="not_hdf5.h5"):
        kfacade.models.load_model(str(text))

    model = sequential_model()
    good = tmp_path / "good.h5"
    model.save(str(good))
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ValueError, match="truncated.h5"):
        kfacade.models.load_model(str(truncated))

    weights_only = tmp_path / "only.weights.h5"
    model.save_weights(str(weights_only))
    with pytest.raises(ValueError, match=r"only.weights.h5.*load_weights"):
        kfacade.models.load_model(str(weights_only))

    with pytest.raises(FileNotFoundError, match="missing.h5"):
        kfacade.models.load_model(str(tmp_path / "missing.h5"))


def test_other_paths_are_refused(tmp_path):
    model = sequential_model()
    with pytest.raises(ValueError, match=r"\.h5"):
        model.save(str(tmp_path / "saved_model_dir"))
    model.save(str(tmp_path / "model.bin"), save_format="h5")
    assert kfacade.models.load_model(str(tmp_path / "model.bin")).name == "seq"
    assert sorted(os.listdir(tmp_path)) == ["model.bin"]


def test_failure_mid_save_leaves_previous_file_intact(tmp_path, monkeypatch):
    model = sequential_model()
    path = tmp_path / "model.h5"
    model.save(str(path))
    before = path.read_bytes()

    def fail_after_some_weights(group, model):
        group.create_group("d1")
        raise RuntimeError("disk full")

    monkeypatch.setattr(h5_model.h5_weights, "write_weights_group", fail_after_some_weights)
    with pytest.raises(RuntimeError, match="disk full"):
        model.save(str(path))
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.h5"]
    monkeypatch.undo()
    assert kfacade.models.load_model(str(path)).name == "seq"
