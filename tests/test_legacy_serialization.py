"""``kfacade.utils.legacy``: Keras 2's ``{"class_name", "config"}`` dicts, both ways.

Expected dicts are written from the documented Keras 2 form: ``class_name``
is the registered name, ``config`` is ``get_config()`` with objects serialized
the same way (marked ``"__passive_serialization__": True``) and functions
replaced by their names; no ``module`` or ``registered_name`` keys.
"""
import json

import numpy as np
import pytest

import kfacade
from kfacade.utils import legacy

MODULE_OBJECTS = {**vars(kfacade.layers), **vars(kfacade.models), **vars(kfacade.optimizers),
                  **vars(kfacade.losses), **vars(kfacade.initializers), **vars(kfacade.activations)}


@kfacade.saving.register_keras_serializable(package="test_legacy")
class Holder(kfacade.layers.Layer):
    """A custom layer whose config holds an object and a function, not their dicts."""

    def __init__(self, init=None, fn=None, units=2, **kwargs):
        super().__init__(**kwargs)
        self.init, self.fn, self.units = init, fn, units

    def call(self, x):
        return self.fn(x)

    def get_config(self):
        return {"name": self.name, "init": self.init, "fn": self.fn, "units": self.units}


def _json_round_trip(config):
    return json.loads(json.dumps(config))


def test_namespace_is_exposed():
    assert kfacade.utils.legacy is legacy
    assert legacy.__all__ == ["deserialize_keras_object", "serialize_keras_object"]


def test_layer_round_trip_and_form():
    layer = kfacade.layers.Dense(3, activation="relu", name="d",
                                 kernel_initializer=kfacade.initializers.Constant(0.5))
    config = legacy.serialize_keras_object(layer)
    assert config == {"class_name": "Dense", "config": layer.get_config()}
    restored = legacy.deserialize_keras_object(_json_round_trip(config),
                                               module_objects=MODULE_OBJECTS)
    assert isinstance(restored, kfacade.layers.Dense)
    assert restored.get_config() == layer.get_config()


def test_custom_object_passive_items_and_function_names():
    layer = Holder(init=kfacade.initializers.Constant(2.0), fn=kfacade.activations.relu,
                   units=4, name="h")
    config = legacy.serialize_keras_object(layer)
    assert config == {"class_name": "test_legacy>Holder", "config": {
        "name": "h",
        "init": {"class_name": "Constant", "config": {"value": 2.0},
                 "__passive_serialization__": True},
        "fn": "relu",
        "units": 4}}
    restored = legacy.deserialize_keras_object(_json_round_trip(config),
                                               module_objects=MODULE_OBJECTS)
    assert isinstance(restored, Holder) and restored.name == "h" and restored.units == 4
    assert isinstance(restored.init, kfacade.initializers.Constant)
    assert restored.init.get_config() == {"value": 2.0}
    assert restored.fn is kfacade.activations.relu


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_model_config_round_trip(kind):
    if kind == "sequential":
        model = kfacade.Sequential([kfacade.Input((4,)), kfacade.layers.Dense(2, name="dd")],
                                   name="seq")
    else:
        inputs = kfacade.Input((4,), name="inp")
        model = kfacade.Model(inputs, kfacade.layers.Dense(2, name="fd")(inputs), name="fm")
    config = legacy.serialize_keras_object(model)
    assert set(config) == {"class_name", "config"}
    assert config["config"] == model.get_config()
    restored = legacy.deserialize_keras_object(_json_round_trip(config),
                                               module_objects=MODULE_OBJECTS)
    assert type(restored) is type(model)
    assert restored.get_config() == model.get_config()
    restored.set_weights(model.get_weights())
    x = np.arange(8, dtype="float32").reshape(2, 4)
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)


def test_optimizer_round_trip_and_keras2_arguments():
    optimizer = kfacade.optimizers.Adam(learning_rate=0.01, beta_1=0.8)
    config = legacy.serialize_keras_object(optimizer)
    assert config == {"class_name": "Adam", "config": optimizer.get_config()}
    restored = legacy.deserialize_keras_object(config, module_objects=MODULE_OBJECTS)
    assert isinstance(restored, kfacade.optimizers.Adam)
    assert restored.get_config() == optimizer.get_config()
    # tf.keras 2.x wrote "lr" (read by the .h5 loader's rules as learning_rate).
    sgd = legacy.deserialize_keras_object(
        {"class_name": "SGD", "config": {"name": "SGD", "lr": 0.5, "momentum": 0.9,
                                         "decay": 0.0, "nesterov": False}},
        module_objects=MODULE_OBJECTS)
    assert isinstance(sgd, kfacade.optimizers.SGD)
    assert sgd.get_config()["learning_rate"] == 0.5 and sgd.get_config()["momentum"] == 0.9


def test_loss_round_trip():
    loss = kfacade.losses.Huber(delta=2.0)
    config = legacy.serialize_keras_object(loss)
    assert config == {"class_name": "Huber", "config": loss.get_config()}
    restored = legacy.deserialize_keras_object(config, module_objects=MODULE_OBJECTS)
    assert isinstance(restored, kfacade.losses.Huber)
    assert restored.get_config() == loss.get_config()
    # tf.keras 2.x's reduction "auto" reads as Keras 3's default reduction.
    keras2 = legacy.deserialize_keras_object(
        {"class_name": "Huber", "config": {"name": "huber_loss", "reduction": "auto",
                                           "delta": 2.0}}, module_objects=MODULE_OBJECTS)
    assert keras2.get_config()["reduction"] == "sum_over_batch_size"
    # A function is its name, and a name is looked up in module_objects.
    assert legacy.serialize_keras_object(kfacade.losses.mean_squared_error) == \
        "mean_squared_error"
    assert legacy.deserialize_keras_object("mean_squared_error", MODULE_OBJECTS) is \
        kfacade.losses.mean_squared_error
    assert isinstance(legacy.deserialize_keras_object("Zeros", MODULE_OBJECTS),
                      kfacade.initializers.Zeros)


def test_errors_and_plain_values():
    assert legacy.serialize_keras_object(None) is None
    assert legacy.deserialize_keras_object(None) is None
    with pytest.raises(ValueError, match="Cannot serialize 3 because it doesn't implement"):
        legacy.serialize_keras_object(3)
    # As Keras 2: built-in classes are found only through module_objects.
    with pytest.raises(ValueError, match="Unknown object: 'Dense'"):
        legacy.deserialize_keras_object({"class_name": "Dense", "config": {"units": 2}})
    with pytest.raises(ValueError, match="Unknown layer: 'Nope'"):
        legacy.deserialize_keras_object("Nope", MODULE_OBJECTS, printable_module_name="layer")
    with pytest.raises(ValueError, match="Improper config format"):
        legacy.deserialize_keras_object({"config": {}})
    with pytest.raises(ValueError, match="Could not interpret serialized object: 3"):
        legacy.deserialize_keras_object(3)
