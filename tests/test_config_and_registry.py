"""`kfacade.config` and `kfacade.saving`'s custom-object registry and Keras 3 config dicts."""
import logging
import warnings

import numpy as np
import pytest

import kfacade as keras
from kfacade import config, saving, utils
from kfacade.engine import object_registry


@pytest.fixture
def clean_registry():
    """Leaves the global custom objects and the safe-mode flag as they were."""
    objects = dict(object_registry.GLOBAL_CUSTOM_OBJECTS)
    names = dict(object_registry.GLOBAL_CUSTOM_NAMES)
    unsafe = object_registry._unsafe_globally[0]
    yield
    object_registry.GLOBAL_CUSTOM_OBJECTS.clear()
    object_registry.GLOBAL_CUSTOM_OBJECTS.update(objects)
    object_registry.GLOBAL_CUSTOM_NAMES.clear()
    object_registry.GLOBAL_CUSTOM_NAMES.update(names)
    object_registry._unsafe_globally[0] = unsafe


# ---------------------------------------------------------------- config
def test_config_numeric_settings_round_trip():
    assert config.backend() == keras.backend.backend()
    assert config.floatx() == "float32" and config.image_data_format() == "channels_last"
    try:
        config.set_floatx("float64")
        config.set_epsilon(1e-5)
        config.set_image_data_format("channels_first")
        assert (config.floatx(), config.epsilon(), config.image_data_format()) == (
            "float64", 1e-5, "channels_first")
        assert keras.backend.floatx() == "float64"  # one setting, Keras 2's K sees it too
    finally:
        config.set_floatx("float32")
        config.set_epsilon(1e-7)
        config.set_image_data_format("channels_last")
    with pytest.raises(ValueError, match="Received: 'float8'"):
        config.set_floatx("float8")
    with pytest.raises(ValueError, match="channels_middle"):
        config.set_image_data_format("channels_middle")


def test_max_epochs_and_steps_cap_every_loop():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((40, 2), np.float32), np.ones((40, 1), np.float32)

    class CountBatches(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.train, self.test, self.predict = 0, 0, 0

        def on_train_batch_end(self, batch, logs=None):
            self.train += 1

        def on_test_batch_end(self, batch, logs=None):
            self.test += 1

        def on_predict_batch_end(self, batch, logs=None):
            self.predict += 1

    assert (config.max_epochs(), config.max_steps_per_epoch()) == (None, None)
    counter = CountBatches()
    config.set_max_epochs(2)
    config.set_max_steps_per_epoch(3)
    try:
        with pytest.warns(UserWarning, match="Limiting epochs to 2"):
            history = model.fit(x, y, batch_size=4, epochs=5, verbose=0, callbacks=[counter])
        with pytest.warns(UserWarning, match="Limiting steps_per_epoch to 3"):
            model.evaluate(x, y, batch_size=4, verbose=0, callbacks=[counter])
            predictions = model.predict(x, batch_size=4, verbose=0, callbacks=[counter])
    finally:
        config.set_max_epochs(None)
        config.set_max_steps_per_epoch(None)
    assert len(history.history["loss"]) == 2
    assert (counter.train, counter.test, counter.predict) == (6, 3, 3)
    assert predictions.shape == (12, 1)
    assert len(model.fit(x, y, batch_size=4, epochs=3, verbose=0).history["loss"]) == 3


def test_dtype_policy_is_the_global_policy():
    assert config.dtype_policy().name == "float32"
    config.set_dtype_policy("mixed_bfloat16")
    try:
        assert config.dtype_policy().compute_dtype == "bfloat16"
    finally:
        config.set_dtype_policy(None)
    assert config.dtype_policy().name == "float32"


def test_traceback_filtering_and_nnx_say_what_kfacade_does():
    assert config.is_traceback_filtering_enabled() is False
    config.disable_traceback_filtering()
    with pytest.warns(UserWarning, match="does not filter tracebacks"):
        config.enable_traceback_filtering()
    assert config.is_traceback_filtering_enabled() is False
    assert config.is_nnx_enabled() is False


def test_interactive_logging_switches_progbar_to_logging(capsys, caplog):
    assert config.is_interactive_logging_enabled() and utils.is_interactive_logging_enabled()
    try:
        config.disable_interactive_logging()
        assert not utils.is_interactive_logging_enabled()
        with caplog.at_level(logging.INFO, logger="kfacade"):
            bar = utils.Progbar(target=2, verbose=2)
            bar.update(2, values=[("loss", 0.5)])
        assert capsys.readouterr().out == ""
        assert any("2/2" in record.getMessage() and "loss: 0.5000" in record.getMessage()
                   for record in caplog.records)
    finally:
        config.enable_interactive_logging()
    utils.Progbar(target=1, verbose=2).update(1)
    assert "1/1" in capsys.readouterr().out


# ---------------------------------------------------------------- registry
def test_register_keras_serializable_names_and_finds(clean_registry):
    @saving.register_keras_serializable(package="my_package")
    class MyDense(keras.layers.Dense):
        pass

    @utils.register_keras_serializable(package="my_package", name="half")
    def halve(x):
        return x / 2

    assert saving.get_registered_name(MyDense) == "my_package>MyDense"
    assert saving.get_registered_name(halve) == "my_package>half"
    assert saving.get_registered_name(keras.layers.Dense) == "Dense"
    assert saving.get_registered_object("my_package>MyDense") is MyDense
    assert saving.get_custom_objects()["my_package>half"] is halve
    assert saving.get_registered_object("nothing") is None
    assert saving.get_registered_object("x", module_objects={"x": 1}) == 1
    with pytest.raises(ValueError, match="get_config"):
        saving.register_keras_serializable()(type("NoConfig", (), {}))
    # Registered objects are found by the namespaces' own deserializers.
    assert keras.activations.get("my_package>half") is halve
    from kfacade.layers.serialization import deserialize_layer, serialize_layer

    restored = deserialize_layer(serialize_layer(MyDense(3)))
    assert type(restored) is MyDense and restored.units == 3


def test_custom_object_scope_nests_and_ends():
    def double(x):
        return x * 2

    def triple(x):
        return x * 3

    assert utils.custom_object_scope is saving.CustomObjectScope
    with saving.custom_object_scope({"double": double}):
        assert saving.get_registered_object("double") is double
        with utils.custom_object_scope({"triple": triple}, None):
            assert saving.get_registered_object("double") is double
            assert keras.activations.get("triple") is triple
        assert saving.get_registered_object("triple") is None
    assert saving.get_registered_object("double") is None
    with pytest.raises(ValueError, match="double"):
        keras.activations.get("double")


def test_custom_objects_reach_every_namespace(clean_registry):
    class Scaled(keras.initializers.Initializer):
        def __init__(self, value=1.0):
            self.value = value

        def __call__(self, shape, dtype=None):
            return np.full(shape, self.value, "float32")

        def get_config(self):
            return {"value": self.value}

    class Tiny(keras.regularizers.Regularizer):
        def __call__(self, x):
            return 0.0

        def get_config(self):
            return {}

    saving.register_keras_serializable("t")(Scaled)
    config_dict = keras.initializers.serialize(Scaled(2.0))
    assert config_dict["class_name"] == "t>Scaled"
    assert keras.initializers.get(config_dict).value == 2.0
    assert keras.initializers.deserialize(config_dict).value == 2.0
    with saving.custom_object_scope({"Tiny": Tiny}):
        assert isinstance(keras.regularizers.get("Tiny"), Tiny)
        assert isinstance(keras.regularizers.get({"class_name": "Tiny", "config": {}}), Tiny)
    assert isinstance(keras.regularizers.deserialize({"class_name": "Tiny", "config": {}},
                                                     custom_objects={"Tiny": Tiny}), Tiny)
    assert keras.activations.deserialize("relu") is keras.activations.relu
    assert keras.activations.deserialize({"module": "builtins", "class_name": "function",
                                          "config": "relu"}) is keras.activations.relu
    with pytest.raises(ValueError, match="Unknown regularizer class_name: 'Nope'"):
        keras.regularizers.get({"class_name": "Nope", "config": {}})
    with pytest.raises(ValueError, match="Unknown constraint class_name: 'Nope'"):
        keras.constraints.get({"class_name": "Nope", "config": {}})
    max_norm = keras.constraints.deserialize({"class_name": "MaxNorm",
                                              "config": {"max_value": 3.0}})
    assert max_norm.get_config()["max_value"] == 3.0


# ---------------------------------------------------------------- Keras 3 config dicts
def test_serialize_keras_object_writes_keras3_dicts():
    dense = saving.serialize_keras_object(keras.layers.Dense(2, name="d"))
    assert (dense["module"], dense["class_name"], dense["registered_name"]) == (
        "keras.layers", "Dense", None)
    huber = saving.serialize_keras_object(keras.losses.Huber(delta=2.0))
    assert huber["module"] == "keras.losses" and huber["config"]["delta"] == 2.0
    assert saving.serialize_keras_object(keras.activations.relu) == {
        "module": "builtins", "class_name": "function", "config": "relu",
        "registered_name": "function"}
    assert saving.serialize_keras_object(np.arange(3)) == {
        "class_name": "__numpy__", "config": {"value": [0, 1, 2], "dtype": "int64"}}
    assert saving.serialize_keras_object((1, np.float32(2.5), {"a": [b"x"]})) == (
        1, 2.5, {"a": [{"class_name": "__bytes__", "config": {"value": "x"}}]})


@pytest.mark.parametrize("make", [
    lambda: keras.layers.Dense(3, activation="relu", name="dense_rt"),
    lambda: keras.losses.Huber(delta=2.0),
    lambda: keras.optimizers.Adam(learning_rate=0.01),
    lambda: keras.initializers.GlorotUniform(seed=3),
    lambda: keras.regularizers.L2(0.1),
    lambda: keras.metrics.MeanSquaredError(),
])
def test_serialize_deserialize_round_trip(make):
    original = make()
    config_dict = saving.serialize_keras_object(original)
    restored = utils.deserialize_keras_object(config_dict)
    assert type(restored) is type(original)
    assert saving.serialize_keras_object(restored) == config_dict


def test_deserialize_reads_keras3_and_kfacade_modules_and_special_values():
    from_keras3 = saving.deserialize_keras_object(
        {"module": "keras.layers", "class_name": "Dense", "config": {"units": 4},
         "registered_name": None})
    assert isinstance(from_keras3, keras.layers.Dense) and from_keras3.units == 4
    assert isinstance(saving.deserialize_keras_object(
        {"class_name": "Dense", "config": {"units": 2}}), keras.layers.Dense)
    assert isinstance(saving.deserialize_keras_object(
        {"module": "kfacade.optimizers", "class_name": "SGD", "config": {}}),
        keras.optimizers.SGD)
    assert saving.deserialize_keras_object(
        {"class_name": "function", "config": "mean_squared_error", "module": "keras.losses"}
    ) is keras.losses.mean_squared_error
    array = saving.deserialize_keras_object(
        {"class_name": "__numpy__", "config": {"value": [1, 2], "dtype": "float32"}})
    assert array.dtype == np.float32 and array.tolist() == [1.0, 2.0]
    assert saving.deserialize_keras_object({"class_name": "__slice__", "config": {
        "start": 1, "stop": 3, "step": None}}) == slice(1, 3)
    assert saving.deserialize_keras_object({"a": [1, "b"]}) == {"a": [1, "b"]}
    with pytest.raises(ValueError, match="register_keras_serializable"):
        saving.deserialize_keras_object({"module": "my_lib", "class_name": "Unknown",
                                         "config": {}})
    with pytest.raises(ValueError, match="Unknown function"):
        saving.deserialize_keras_object({"class_name": "function", "config": "no_such_fn"})


def test_lambdas_load_only_outside_safe_mode(clean_registry):
    offset = 3
    with pytest.warns(UserWarning, match="lambda"):
        config_dict = saving.serialize_keras_object(lambda x, k=2: x * k + offset)
    with pytest.raises(ValueError, match="enable_unsafe_deserialization"):
        saving.deserialize_keras_object(config_dict)
    assert saving.deserialize_keras_object(config_dict, safe_mode=False)(5) == 13
    assert object_registry.in_safe_mode()
    config.enable_unsafe_deserialization()
    assert not object_registry.in_safe_mode()
    assert saving.deserialize_keras_object(config_dict)(1) == 5


def test_registered_custom_layer_and_loss_survive_an_h5_round_trip(tmp_path, clean_registry):
    pytest.importorskip("h5py", reason="h5py (the HDF5 format's reader) is not installed")

    @saving.register_keras_serializable(package="test_pkg")
    class Scale(keras.layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    @saving.register_keras_serializable(package="test_pkg")
    def half_mse(y_true, y_pred):
        return keras.ops.mean(keras.ops.square(y_true - y_pred), axis=-1) / 2

    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(2)(Scale(3.0)(inputs)))
    model.compile(optimizer="sgd", loss=half_mse)
    x = np.random.default_rng(0).random((8, 3)).astype("float32")
    model.fit(x, x[:, :2], epochs=1, verbose=0)
    path = str(tmp_path / "model.h5")
    saving.save_model(model, path)
    # No custom_objects: the registry finds both by their registered names.
    restored = saving.load_model(path)
    assert type(restored.layers[1]) is Scale and restored.layers[1].factor == 3.0
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)
    assert keras.models.model_from_json(model.to_json()).layers[1].factor == 3.0
    weights_path = str(tmp_path / "model.weights.h5")
    saving.save_weights(model, weights_path)
    clone = keras.models.model_from_json(model.to_json())
    saving.load_weights(clone, weights_path)
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)


def test_top_level_keras3_names():
    assert keras.version() == keras.__version__
    assert keras.config is config and keras.saving is saving
    assert keras.tree.flatten({"b": 1, "a": 2}) == [2, 1]
    assert isinstance(keras.losses.Huber(), keras.Loss)
    assert isinstance(keras.optimizers.SGD(), keras.Optimizer)
    assert isinstance(keras.metrics.Mean(), keras.Metric)
    assert isinstance(keras.initializers.Zeros(), keras.Initializer)
    assert isinstance(keras.regularizers.L1(), keras.Regularizer)
    assert isinstance(keras.Input((2,)), keras.KerasTensor)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert keras.initializers.OrthogonalInitializer is keras.initializers.Orthogonal
