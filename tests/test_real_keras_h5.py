"""Files real Keras wrote (tests/fixtures/real_keras, see its README): kfacade reads them.

Real Keras runs only in subprocesses, so this process holds one framework stack.
"""
import importlib.util
import os
import re
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
@pytest.mark.backend_independent  # tf_keras writes the files; kfacade is not involved
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


import json  # noqa: E402

import kfacade  # noqa: E402
from helpers import assert_close  # noqa: E402
from kfacade.saving import config_compat, h5_model  # noqa: E402

L = kfacade.layers
H5_PRODUCERS = ("tf_keras", "keras3_tensorflow", "keras3_torch", "keras3_jax")
MODELS = ("mlp", "cnn", "lstm", "gru", "two_output")


def _fixture(producer, model):
    data = np.load(os.path.join(FIXTURES, producer, f"{model}.npz"))
    xs = [data[k] for k in sorted(data.files) if k.startswith("x")]
    ys = [data[k] for k in sorted(data.files) if k.startswith("y")]
    return os.path.join(FIXTURES, producer, model), xs, ys, int(data["iterations"])


def _predict(model, xs):
    outputs = model(xs if len(xs) > 1 else xs[0], training=False)
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def _assert_predictions(model, xs, ys):
    outputs = _predict(model, xs)
    assert len(outputs) == len(ys)
    for output, expected in zip(outputs, ys):
        assert_close(output, expected)


def _targets(model, xs):
    """Random targets of the shapes of `model`'s outputs (one-hot for softmax heads)."""
    rng = np.random.default_rng(0)
    targets = []
    for output in _predict(model, xs):
        shape = tuple(kfacade.ops.shape(output))
        targets.append(np.eye(shape[-1], dtype="float32")[rng.integers(0, shape[-1], shape[0])])
    return targets


# ---------------------------------------------------------------- reading real Keras's .h5
@pytest.mark.parametrize("producer", H5_PRODUCERS)
@pytest.mark.parametrize("name", MODELS)
def test_real_keras_h5_loads_with_predictions_and_step_count(producer, name):
    """Every whole-model .h5 real Keras wrote loads with its predictions (1e-5), compiled,
    with the optimizer's step count, and every saved optimizer variable finds its slot."""
    stem, xs, ys, iterations = _fixture(producer, name)
    with warnings_as_errors():
        model = kfacade.models.load_model(stem + ".h5")
    _assert_predictions(model, xs, ys)
    assert model.compiled
    assert int(kfacade.ops.convert_to_numpy(model.optimizer.iterations)) == iterations


@pytest.mark.parametrize("producer", H5_PRODUCERS)
@pytest.mark.parametrize("name", MODELS)
def test_loaded_real_keras_model_continues_fit(name, producer):
    stem, xs, _, iterations = _fixture(producer, name)
    model = kfacade.models.load_model(stem + ".h5")
    targets = _targets(model, xs)
    history = model.fit(xs if len(xs) > 1 else xs[0], targets if len(targets) > 1 else targets[0],
                        batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert int(kfacade.ops.convert_to_numpy(model.optimizer.iterations)) == iterations + 1


def warnings_as_errors():
    import warnings

    class _Scope:
        def __enter__(self):
            self._catch = warnings.catch_warnings()
            self._catch.__enter__()
            warnings.simplefilter("error", UserWarning)

        def __exit__(self, *exc):
            return self._catch.__exit__(*exc)

    return _Scope()


def test_optimizer_slots_come_from_the_file():
    """tf_keras's ``Adam/m/<var>`` and Keras 3's ``<var>_momentum`` land in kfacade's
    slot of that variable (by kind and order; BatchNormalization's gamma and beta too)."""
    for producer in ("tf_keras", "keras3_jax"):
        stem, *_ = _fixture(producer, "two_output")
        model = kfacade.models.load_model(stem + ".h5")
        with h5py.File(stem + ".h5", "r") as f:
            group = f["optimizer_weights"]
            saved = {n.decode() if isinstance(n, bytes) else str(n): np.asarray(group[n])
                     for n in group.attrs["weight_names"]}
        slots = {v.name.split("/")[-1]: kfacade.ops.convert_to_numpy(v)
                 for v in model.optimizer.variables}
        for saved_name, value in saved.items():
            if value.ndim == 0:
                continue
            kind, path = h5_model._saved_optimizer_entry(saved_name)
            flat = path.replace("/", "_")
            np.testing.assert_array_equal(slots[f"{flat}_{kind}"], value, err_msg=saved_name)


# ---------------------------------------------------------------- weights
def _model_from_file(stem):
    return kfacade.models.load_model(stem + ".h5", compile=False)


def test_legacy_weights_only_file_loads_by_name_and_by_order():
    stem, xs, ys, _ = _fixture("tf_keras", "two_output")
    model = _model_from_file(stem)
    for weight in model.weights:
        weight.assign(np.zeros(weight.shape, "float32"))
    model.load_weights(stem + ".legacy_weights.h5")
    _assert_predictions(model, xs, ys)
    # Other layer names: matched in topological order.
    config = json.loads(model.to_json())
    for entry in config["config"]["layers"]:
        if entry["class_name"] != "InputLayer":
            renamed = "renamed_" + entry["name"]
            for other in config["config"]["layers"]:
                for node in other.get("inbound_nodes", []):
                    for ref in node:
                        if ref[0] == entry["name"]:
                            ref[0] = renamed
            for ref in config["config"]["output_layers"]:
                if ref[0] == entry["name"]:
                    ref[0] = renamed
            entry["name"] = entry["config"]["name"] = renamed
    renamed = kfacade.models.model_from_json(json.dumps(config))
    renamed.load_weights(stem + ".legacy_weights.h5")
    _assert_predictions(renamed, xs, ys)


@pytest.mark.parametrize("producer", ["tf_keras", "keras3_torch"])
def test_load_weights_of_a_whole_model_file(producer):
    stem, xs, ys, _ = _fixture(producer, "gru")
    model = _model_from_file(stem)
    fresh = kfacade.models.model_from_json(model.to_json())
    fresh.load_weights(stem + ".h5")
    _assert_predictions(fresh, xs, ys)


def test_by_name_and_skip_mismatch():
    stem, xs, ys, _ = _fixture("tf_keras", "mlp")
    # Same "hidden" layer, another head: by_name loads "hidden" only.
    model = kfacade.Sequential([kfacade.Input((5,)), L.Dense(4, activation="relu", name="hidden"),
                                L.Dense(7, name="out")])
    head_before = kfacade.ops.convert_to_numpy(model.layers[-1].kernel)
    with pytest.raises(ValueError, match=r"Shape mismatch in layer #\d+ \(named 'out'"):
        model.load_weights(stem + ".legacy_weights.h5", by_name=True)
    with pytest.warns(UserWarning) as record:
        model.load_weights(stem + ".legacy_weights.h5", by_name=True, skip_mismatch=True)
    messages = [str(w.message) for w in record]
    assert any(re.search(r"Skipping loading weights for layer #\d+ \(named 'out'.*kernel.*"
                         r"expects shape \(4, 7\).*\(4, 3\)", m) for m in messages), messages
    assert any("out/bias" in m and "(7,)" in m and "(3,)" in m for m in messages), messages
    np.testing.assert_array_equal(kfacade.ops.convert_to_numpy(model.layers[-1].kernel), head_before)
    reference = _model_from_file(stem)
    hidden = kfacade.Model(reference.inputs, reference.get_layer("hidden").output)
    assert_close(model.layers[0](xs[0]), hidden(xs[0]))


# ---------------------------------------------------------------- configs of each era
KERAS2_SEQUENTIAL = {"class_name": "Sequential", "config": {"name": "s", "layers": [
    {"class_name": "Dense", "config": {
        "name": "d", "trainable": True, "batch_input_shape": [None, 5, 3], "dtype": "float32",
        "units": 2, "activation": "relu", "use_bias": True,
        "kernel_initializer": {"class_name": "VarianceScaling",
                               "config": {"scale": 1.0, "mode": "fan_avg",
                                          "distribution": "uniform", "seed": None}},
        "bias_initializer": {"class_name": "Zeros", "config": {}},
        "kernel_regularizer": {"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.01}},
        "bias_regularizer": None, "activity_regularizer": None,
        "kernel_constraint": {"class_name": "MaxNorm", "config": {"max_value": 2, "axis": 0}},
        "bias_constraint": None}},
    {"class_name": "LSTM", "config": {"name": "r", "units": 3, "time_major": False,
                                      "implementation": 1, "return_sequences": False}},
]}}


def _keras_tensor(name, node=0, index=0):
    return {"class_name": "__keras_tensor__",
            "config": {"shape": [None, 4], "dtype": "float32", "keras_history": [name, node, index]}}


def _keras3_functional(inner=None):
    policy = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
              "registered_name": None}
    return {"module": "keras.src.models.functional", "class_name": "Functional",
            "registered_name": "Functional", "config": {
                "name": "f", "trainable": True, "layers": [
                    {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
                     "name": "x", "inbound_nodes": [], "config": {
                         "batch_shape": [None, 4], "dtype": "float32", "sparse": False,
                         "ragged": False, "optional": False, "name": "x"}},
                    {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
                     "name": "shared", "build_config": {"input_shape": [None, 4]},
                     "config": {"name": "shared", "units": 4, "dtype": policy,
                                "kernel_initializer": {
                                    "module": "keras.initializers", "class_name": "GlorotUniform",
                                    "config": {"seed": None, "input_axes": None,
                                               "output_axes": None}, "registered_name": None},
                                "quantization_config": None, **(inner or {})},
                     "inbound_nodes": [{"args": [_keras_tensor("x")], "kwargs": {}},
                                       {"args": [_keras_tensor("shared", 0)], "kwargs": {}}]},
                    {"module": "keras.layers", "class_name": "Add", "registered_name": None,
                     "name": "add", "config": {"name": "add", "dtype": policy},
                     "inbound_nodes": [{"args": [[_keras_tensor("shared", 0),
                                                  _keras_tensor("shared", 1)]],
                                        "kwargs": {}}]},
                ], "input_layers": [["x", 0, 0]], "output_layers": [["add", 0, 0]]}}


def test_keras2_sequential_config():
    model = kfacade.models.model_from_config(KERAS2_SEQUENTIAL)
    dense = model.get_layer("d")
    assert tuple(model.inputs[0].shape) == (None, 5, 3)
    assert dense.kernel_regularizer.l2 == pytest.approx(0.01)
    assert dense.kernel_constraint.max_value == 2
    assert type(dense.kernel_initializer).__name__ == "VarianceScaling"
    assert tuple(kfacade.ops.shape(model(np.ones((2, 5, 3), "float32")))) == (2, 3)


def test_keras3_functional_config_with_shared_layer():
    model = config_compat.model_from_keras_config(_keras3_functional())
    assert [layer.name for layer in model.layers] == ["x", "shared", "add"]
    shared = model.get_layer("shared")
    assert len(shared._inbound_nodes) == 2  # called twice: x, then its own output
    x = np.random.default_rng(0).normal(size=(2, 4)).astype("float32")
    first = shared(x)
    assert_close(model(x), kfacade.ops.convert_to_numpy(first) + kfacade.ops.convert_to_numpy(shared(first)))


def test_keras3_node_with_two_positional_tensors():
    """Keras 3 records ``mha(x, x)`` with two positional arguments; the second
    is ``call``'s ``value``, as if passed by keyword."""
    config = {"module": "keras.src.models.functional", "class_name": "Functional",
              "registered_name": "Functional", "config": {
                  "name": "f", "layers": [
                      {"module": "keras.layers", "class_name": "InputLayer", "name": "x",
                       "inbound_nodes": [], "config": {"batch_shape": [None, 3, 4], "name": "x"}},
                      {"module": "keras.layers", "class_name": "MultiHeadAttention", "name": "mha",
                       "config": {"name": "mha", "num_heads": 2, "key_dim": 2},
                       "inbound_nodes": [{"args": [_keras_tensor("x"), _keras_tensor("x")],
                                          "kwargs": {}}]},
                  ], "input_layers": [["x", 0, 0]], "output_layers": [["mha", 0, 0]]}}
    model = config_compat.model_from_keras_config(config)
    mha = model.get_layer("mha")
    x = np.random.default_rng(0).normal(size=(2, 3, 4)).astype("float32")
    assert_close(model(x), mha(x, x))


def test_nested_models_and_model_class_names():
    inner = {"class_name": "Sequential", "config": {
        "name": "inner", "layers": [{"class_name": "Dense", "config": {"name": "d", "units": 2}}],
        "build_input_shape": [None, 4]}}
    outer = {"class_name": "Model", "config": {
        "name": "outer", "layers": [
            {"class_name": "InputLayer", "name": "i", "inbound_nodes": [],
             "config": {"batch_input_shape": [None, 4], "dtype": "float32", "name": "i",
                        "sparse": False, "ragged": False}},
            dict(inner, name="inner", inbound_nodes=[[["i", 0, 0, {}]]]),
            {"class_name": "keras.layers.Activation", "name": "act",
             "config": {"name": "act", "activation": "tanh"},
             "inbound_nodes": [[["inner", 0, 0, {}]]]}],
        "input_layers": [["i", 0, 0]], "output_layers": [["act", 0, 0]]}}
    model = kfacade.models.model_from_json(json.dumps(outer))
    assert type(model).__name__ == "Functional"
    assert type(model.get_layer("inner")).__name__ == "Sequential"
    assert tuple(kfacade.ops.shape(model(np.ones((3, 4), "float32")))) == (3, 2)
    frozen = config_compat.model_from_keras_config(
        {"class_name": "Sequential", "config": dict(inner["config"], trainable=False)})
    assert frozen.trainable is False


def test_registered_name_finds_a_custom_layer():
    @kfacade.saving.register_keras_serializable(package="legacy_test")
    class Doubler(L.Layer):
        def call(self, x):
            return x * 2

    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None, 2], "name": "in"}},
        {"module": "my_module", "class_name": "Doubler", "registered_name": "legacy_test>Doubler",
         "config": {"name": "dbl", "trainable": True, "dtype": "float32"}}]}}
    model = config_compat.model_from_keras_config(config)
    assert_close(model(np.ones((1, 2), "float32")), np.full((1, 2), 2.0, "float32"))


@pytest.mark.parametrize("argument, value", [("ragged", True), ("optional", True),
                                             ("time_major", True), ("implementation", 3)])
def test_unsupported_argument_values_are_named(argument, value):
    config = json.loads(json.dumps(KERAS2_SEQUENTIAL))
    target = config["config"]["layers"][1]["config"]
    target[argument] = value
    with pytest.raises(ValueError, match=rf"Layer 'r'.*{argument}={value!r}"):
        kfacade.models.model_from_config(config)


def test_unknown_argument_names_layer_argument_and_value():
    with pytest.raises(ValueError, match=r"Layer 'shared': argument lora_rank=4 is not supported"):
        config_compat.model_from_keras_config(_keras3_functional({"lora_rank": 4}))
    with pytest.raises(TypeError, match=r"Layer 'shared' \(Dense\).*'new_argument': 'x'"):
        config_compat.model_from_keras_config(_keras3_functional({"new_argument": "x"}))
    with pytest.raises(ValueError, match=r"Layer 'shared'.*dtype.*QuantizedDTypePolicy"):
        config_compat.model_from_keras_config(_keras3_functional({"dtype": {
            "module": "keras", "class_name": "QuantizedDTypePolicy",
            "config": {"name": "int8_from_float32"}, "registered_name": None}}))


def test_keras2_training_config():
    converted = config_compat.training_config_compat({
        "loss": {"class_name": "MeanSquaredError", "config": {"reduction": "auto", "name": "mse"}},
        "metrics": [[{"class_name": "MeanMetricWrapper",
                      "config": {"name": "acc", "dtype": "float32", "fn": "binary_accuracy"}}]],
        "weighted_metrics": None, "loss_weights": None,
        "optimizer_config": {"class_name": "Adam", "config": {
            "name": "Adam", "lr": 0.5, "decay": 0.1, "beta_1": 0.9, "beta_2": 0.999,
            "epsilon": 1e-7, "amsgrad": False}}})
    assert converted["loss"]["config"]["reduction"] == "sum_over_batch_size"
    assert converted["metrics"] == [["acc"]]
    optimizer = kfacade.optimizers.deserialize(converted["optimizer_config"])
    schedule = optimizer._learning_rate
    assert type(schedule).__name__ == "InverseTimeDecay"
    assert float(schedule(10)) == pytest.approx(0.5 / (1 + 0.1 * 10))


# ---------------------------------------------------------------- writing for real Keras
@pytest.mark.slow
# Real Keras reads the file, whose layout is the same from every kfacade backend (the
# cross-backend test loads each backend's files on every other): one session suffices.
@pytest.mark.backend_independent
@pytest.mark.skipif(importlib.util.find_spec("tf_keras") is None, reason="tf_keras is not installed")
@pytest.mark.skipif(importlib.util.find_spec("keras") is None, reason="keras is not installed")
def test_real_keras_loads_what_kfacade_saves(tmp_path):
    """tf_keras and Keras 3's legacy loader read kfacade's ``model.save("m.h5")`` with the
    same predictions (1e-5); Keras 3 continues the step count. One subprocess reads
    every model."""
    paths, saved_names = [], {}
    for name in MODELS:
        stem, xs, _, iterations = _fixture("tf_keras", name)
        model = kfacade.models.load_model(stem + ".h5")
        targets = _targets(model, xs)
        model.fit(xs if len(xs) > 1 else xs[0], targets if len(targets) > 1 else targets[0],
                  batch_size=8, epochs=1, verbose=0)
        path = str(tmp_path / f"{name}.h5")
        model.save(path)
        outputs = [kfacade.ops.convert_to_numpy(o) for o in _predict(model, xs)]
        np.savez(str(tmp_path / f"{name}.npz"), **{f"x{i}": x for i, x in enumerate(xs)},
                 **{f"y{i}": y for i, y in enumerate(outputs)})
        with h5py.File(path, "r") as f:
            saved_names[path] = [n.decode() if isinstance(n, bytes) else str(n)
                                 for n in f["optimizer_weights"].attrs["weight_names"]]
        paths.append((path, iterations + 1))
    done = subprocess.run([sys.executable, os.path.join(FIXTURES, "load_with_real_keras.py"),
                           *[p for p, _ in paths]],
                          env=_real_keras_env(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.split("REPORT ", 1)[1])
    for path, iterations in paths:
        for loader in ("tf_keras", "keras3"):
            result = report[f"{loader}:{path}"]
            assert "error" not in result, (loader, path, result.get("error"))
            assert result["max_error"] <= 1e-5, (loader, path, result["max_error"])
        keras3 = report[f"keras3:{path}"]
        assert keras3["iterations"] == iterations, (path, keras3)

        def short(name):
            return name.split("/")[-1].split(":")[0]

        # Keras 3.15's legacy loader builds its optimizer on no variables (its own files
        # too), so it restores the leading unslotted variables only, by position.
        restored = [short(n) for n in keras3["optimizer_variables"]]
        assert restored == [short(n) for n in saved_names[path][:len(restored)]], path


@pytest.mark.parametrize("saved, expected", [
    ("iteration:0", ("iterations", None)),                     # tf_keras >= 2.11
    ("Adam/m/dense/kernel:0", ("momentum", "dense/kernel")),
    ("Adam/vhat/dense/bias:0", ("velocity_hat", "dense/bias")),
    ("Adam/iter:0", ("iterations", None)),                     # Keras 2 before 2.11
    ("Adam/dense/kernel/v:0", ("velocity", "dense/kernel")),
    ("RMSprop/dense/kernel/rms:0", ("velocity", "dense/kernel")),
    ("adam_3/iteration", ("iterations", None)),                # Keras 3
    ("adam_3/learning_rate", ("learning_rate", None)),
    ("adam_3/gru_model_gru1_gru_cell_kernel_velocity_hat", ("velocity_hat",
                                                            "gru_model_gru1_gru_cell_kernel")),
    ("training/Adam/Variable:0", (None, None)),                # Keras 2.0's numbered slots
])
def test_saved_optimizer_names_of_each_era(saved, expected):
    assert h5_model._saved_optimizer_entry(saved) == expected


def test_unmapped_optimizer_variables_are_named_in_one_warning(tmp_path):
    stem, xs, ys, iterations = _fixture("tf_keras", "mlp")
    path = str(tmp_path / "mlp.h5")
    with open(stem + ".h5", "rb") as source, open(path, "wb") as target:
        target.write(source.read())
    with h5py.File(path, "r+") as f:
        group = f["optimizer_weights"]
        names = [n.decode() if isinstance(n, bytes) else str(n) for n in group.attrs["weight_names"]]
        group.create_dataset("training/Adam/Variable:0", data=np.zeros((3,), "float32"))
        group.attrs["weight_names"] = [n.encode() for n in names + ["training/Adam/Variable:0"]]
    with pytest.warns(UserWarning, match=r"1 optimizer variable\(s\).*\['training/Adam/Variable:0'\]"):
        model = kfacade.models.load_model(path)
    _assert_predictions(model, xs, ys)
    assert int(kfacade.ops.convert_to_numpy(model.optimizer.iterations)) == iterations


@pytest.mark.parametrize("name", MODELS)
def test_keras3_dot_keras_configs_build_the_same_models(name):
    """The config.json of Keras 3's .keras files (module/registered_name/build_config keys)
    goes through the same entry point and builds the model its .h5 holds."""
    import zipfile

    stem, *_ = _fixture("keras3_torch", name)
    with zipfile.ZipFile(stem + ".keras") as archive:
        config = json.loads(archive.read("config.json"))
    assert config.get("module") and "build_config" in config  # Keras 3's envelope
    model = config_compat.model_from_keras_config(config)
    reference = _model_from_file(stem)
    assert [layer.name for layer in model.layers] == [layer.name for layer in reference.layers]
    assert [tuple(w.shape) for w in model.weights] == [tuple(w.shape) for w in reference.weights]


def test_keras2_training_config_compiles_a_loaded_model(tmp_path):
    """A Keras 2 (before 2.11) optimizer config (``lr``, ``decay``) and metric names in a
    real file's training_config compile the loaded model."""
    stem, xs, ys, _ = _fixture("tf_keras", "mlp")
    path = str(tmp_path / "mlp.h5")
    with open(stem + ".h5", "rb") as source, open(path, "wb") as target:
        target.write(source.read())
    with h5py.File(path, "r+") as f:
        training = json.loads(f.attrs["training_config"])
        training["optimizer_config"] = {"class_name": "Adam", "config": {
            "name": "Adam", "lr": 0.02, "decay": 0.5, "beta_1": 0.9, "beta_2": 0.999,
            "epsilon": 1e-07, "amsgrad": False}}
        training["metrics"] = ["mae"]
        f.attrs["training_config"] = json.dumps(training)
        del f["optimizer_weights"]
    model = kfacade.models.load_model(path)
    _assert_predictions(model, xs, ys)
    schedule = model.optimizer._learning_rate
    assert type(schedule).__name__ == "InverseTimeDecay"
    assert float(schedule(2)) == pytest.approx(0.02 / (1 + 0.5 * 2))
    result = model.evaluate(xs[0], np.zeros((8, 3), "float32"), verbose=0, return_dict=True)
    assert set(result) == {"loss", "mae"}


#: tf_keras writes a model of its cuDNN layers (which build, but cannot run, on a
#: CPU) and predicts with GRU(reset_after=True)/LSTM given the same weights in
#: their layouts: the biases reshaped and added, as Keras 2's converter did.
_CUDNN_WRITER = """
import sys
import numpy as np
import tf_keras as K
from tf_keras.src.layers.rnn.cudnn_gru import CuDNNGRU
from tf_keras.src.layers.rnn.cudnn_lstm import CuDNNLSTM
out = sys.argv[1]
K.utils.set_random_seed(0)
model = K.Sequential([K.Input((5, 3)), CuDNNGRU(4, return_sequences=True, name="cu_gru"),
                      CuDNNLSTM(2, go_backwards=True, name="cu_lstm"), K.layers.Dense(1)])
model.compile(K.optimizers.Adam(0.01), "mse")
rng = np.random.default_rng(0)
weights = [w + rng.standard_normal(w.shape).astype("float32") * 0.3 for w in model.get_weights()]
model.set_weights(weights)
model.save(out + "/cudnn.h5")
twin = K.Sequential([K.Input((5, 3)), K.layers.GRU(4, return_sequences=True, reset_after=True),
                     K.layers.LSTM(2, go_backwards=True), K.layers.Dense(1)])
gk, gr, gb, lk, lr, lb, dk, db = weights
twin.set_weights([gk, gr, gb.reshape(2, -1), lk, lr, lb[:8] + lb[8:], dk, db])
x = rng.standard_normal((6, 5, 3)).astype("float32")
np.savez(out + "/cudnn.npz", x=x, y=twin.predict(x, verbose=0))
"""


@pytest.mark.skipif(importlib.util.find_spec("tf_keras") is None, reason="tf_keras is not installed")
def test_tf_keras_cudnn_layers_load_and_predict_as_their_plain_twins(tmp_path):
    """A Keras 2 model of CuDNNGRU and CuDNNLSTM (tf_keras's) loads from .h5, predicts
    what tf_keras's GRU/LSTM give with the same weights, and trains on."""
    done = subprocess.run([sys.executable, "-c", _CUDNN_WRITER, str(tmp_path)],
                          env=_real_keras_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    data = np.load(tmp_path / "cudnn.npz")
    model = kfacade.models.load_model(str(tmp_path / "cudnn.h5"))
    assert [type(layer).__name__ for layer in model.layers] == ["CuDNNGRU", "CuDNNLSTM", "Dense"]
    assert [tuple(w.shape) for w in model.layers[1].get_weights()] == [(4, 8), (2, 8), (16,)]
    assert_close(model.predict(data["x"], verbose=0), data["y"])
    history = model.fit(data["x"], np.zeros((6, 1), "float32"), epochs=2, verbose=0)
    assert history.history["loss"][1] < history.history["loss"][0]


_LOCALLY_CONNECTED_WRITER = """
import sys
import numpy as np
import tf_keras as K
out = sys.argv[1]
K.utils.set_random_seed(0)
image = K.Input((7, 6, 3))
a = K.layers.LocallyConnected2D(4, (3, 2), strides=(2, 1), activation="relu")(image)
b = K.layers.Permute((3, 1, 2))(image)
b = K.layers.LocallyConnected2D(2, 2, data_format="channels_first")(b)
steps = K.Input((9, 3))
c = K.layers.LocallyConnected1D(5, 3, strides=2)(steps)
d = K.layers.LocallyConnected1D(2, 2, data_format="channels_first")(steps)
merged = K.layers.Concatenate()([K.layers.Flatten()(a), K.layers.Flatten()(b), K.layers.Flatten()(c), K.layers.Flatten()(d)])
model = K.Model([image, steps], K.layers.Dense(1)(merged))
model.compile(K.optimizers.Adam(0.01), "mse")
rng = np.random.default_rng(0)
model.set_weights([w + rng.standard_normal(w.shape).astype("float32") * 0.3
                   for w in model.get_weights()])
model.save(out + "/local.h5")
x0 = rng.standard_normal((4, 7, 6, 3)).astype("float32")
x1 = rng.standard_normal((4, 9, 3)).astype("float32")
np.savez(out + "/local.npz", x0=x0, x1=x1, y=model.predict([x0, x1], verbose=0))
"""


@pytest.mark.skipif(importlib.util.find_spec("tf_keras") is None, reason="tf_keras is not installed")
def test_tf_keras_locally_connected_layers_load_with_their_predictions(tmp_path):
    """Keras 2's LocallyConnected1D/2D (both data formats, strides, an activation) from a
    tf_keras .h5: the same weights layout and the same predictions, and they train on."""
    done = subprocess.run([sys.executable, "-c", _LOCALLY_CONNECTED_WRITER, str(tmp_path)],
                          env=_real_keras_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    data = np.load(tmp_path / "local.npz")
    model = kfacade.models.load_model(str(tmp_path / "local.h5"))
    names = [type(layer).__name__ for layer in model.layers]
    assert names.count("LocallyConnected2D") == 2 and names.count("LocallyConnected1D") == 2
    xs = [data["x0"], data["x1"]]
    assert_close(model.predict(xs, verbose=0), data["y"])
    history = model.fit(xs, np.zeros((4, 1), "float32"), epochs=2, verbose=0)
    assert history.history["loss"][1] < history.history["loss"][0]
