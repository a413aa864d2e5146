"""Configs round trip: every registered class through ``get_config``/``from_config``
and ``serialize``/``deserialize``; models through JSON, ``model_from_config`` and
``clone_model``; custom layers and models through ``register_keras_serializable``
and ``custom_objects``."""
import inspect
import json
import os
import sys

import numpy as np
import pytest

import kfacade
from kfacade import layers
from kfacade.engine import object_registry
from kfacade.saving import deserialize_keras_object, serialize_keras_object

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "snippets"))
import seed_models  # noqa: E402

L = kfacade.layers
S = kfacade.optimizers.schedules

#: Constructor arguments of the classes that have required ones; every other
#: class is built with none. A class missing here fails its test by name.
REQUIRED_ARGUMENTS = {
    "Activation": lambda: dict(activation="relu"), "AlphaDropout": lambda: dict(rate=0.1),
    "Bidirectional": lambda: dict(layer=L.LSTM(2)), "CategoryEncoding": lambda: dict(num_tokens=4),
    "CenterCrop": lambda: dict(height=2, width=2), "Dense": lambda: dict(units=3),
    "Conv1D": lambda: dict(filters=2, kernel_size=3),
    "CuDNNGRU": lambda: dict(units=2), "CuDNNLSTM": lambda: dict(units=2),
    "Conv1DTranspose": lambda: dict(filters=2, kernel_size=3),
    "Conv2D": lambda: dict(filters=2, kernel_size=3),
    "Conv2DTranspose": lambda: dict(filters=2, kernel_size=3),
    "Conv3D": lambda: dict(filters=2, kernel_size=3),
    "Conv3DTranspose": lambda: dict(filters=2, kernel_size=3),
    "ConvLSTM1D": lambda: dict(filters=2, kernel_size=3),
    "ConvLSTM2D": lambda: dict(filters=2, kernel_size=3),
    "ConvLSTM2DCell": lambda: dict(filters=2, kernel_size=3),
    "ConvLSTM3D": lambda: dict(filters=2, kernel_size=3),
    "DepthwiseConv1D": lambda: dict(kernel_size=3), "DepthwiseConv2D": lambda: dict(kernel_size=3),
    "Discretization": lambda: dict(bin_boundaries=[0.0, 1.0]), "Dot": lambda: dict(axes=1),
    "FeatureSpace": lambda: dict(features={"a": "float", "b": "string_categorical"}),
    "MaxNumBoundingBoxes": lambda: dict(max_number=2),
    "Distiller": lambda: dict(teacher=kfacade.Sequential([L.Input((3,)), L.Dense(2)]),
                              student=kfacade.Sequential([L.Input((3,)), L.Dense(2)]),
                              distillation_losses=kfacade.distillation.LogitsDistillation()),
    "Dropout": lambda: dict(rate=0.5), "Embedding": lambda: dict(input_dim=10, output_dim=3),
    "GRU": lambda: dict(units=2), "GRUCell": lambda: dict(units=2),
    "GaussianDropout": lambda: dict(rate=0.1), "GaussianNoise": lambda: dict(stddev=0.1),
    "Hashing": lambda: dict(num_bins=3), "InputLayer": lambda: dict(shape=(3,)),
    "LSTM": lambda: dict(units=2), "LSTMCell": lambda: dict(units=2),
    "LocallyConnected1D": lambda: dict(filters=2, kernel_size=2),
    "LocallyConnected2D": lambda: dict(filters=2, kernel_size=2),
    "Lambda": lambda: dict(function=kfacade.activations.relu),
    "MultiHeadAttention": lambda: dict(num_heads=2, key_dim=2),
    "GroupedQueryAttention": lambda: dict(head_dim=2, num_query_heads=2, num_key_value_heads=1),
    "ReversibleEmbedding": lambda: dict(input_dim=10, output_dim=3),
    "Permute": lambda: dict(dims=(2, 1)), "RNN": lambda: dict(cell=L.SimpleRNNCell(2)),
    "RandomBrightness": lambda: dict(factor=0.1), "RandomContrast": lambda: dict(factor=0.1),
    "RandomCrop": lambda: dict(height=2, width=2), "RandomRotation": lambda: dict(factor=0.1),
    "RandomTranslation": lambda: dict(height_factor=0.1, width_factor=0.1),
    "RandomZoom": lambda: dict(height_factor=0.1), "RepeatVector": lambda: dict(n=2),
    "Rescaling": lambda: dict(scale=0.5), "Reshape": lambda: dict(target_shape=(2, 2)),
    "Resizing": lambda: dict(height=2, width=2),
    "RandomColorDegeneration": lambda: dict(factor=0.5), "RandomHue": lambda: dict(factor=0.5),
    "RandomPosterization": lambda: dict(factor=4), "RandomSaturation": lambda: dict(factor=0.5),
    "RandomSharpness": lambda: dict(factor=0.5), "HashedCrossing": lambda: dict(num_bins=3),
    "Pipeline": lambda: dict(layers=[L.Rescaling(0.5)]),
    "SpectralNormalization": lambda: dict(layer=L.Dense(2)),
    "MultiOptimizer": lambda: dict(optimizer_map=kfacade.optimizers.OptimizerMap(
        kfacade.optimizers.SGD(), {"dense/.*": kfacade.optimizers.Adam()})),
    "SeparableConv1D": lambda: dict(filters=2, kernel_size=3),
    "SeparableConv2D": lambda: dict(filters=2, kernel_size=3),
    "SimpleRNN": lambda: dict(units=2), "SimpleRNNCell": lambda: dict(units=2),
    "SpatialDropout1D": lambda: dict(rate=0.1), "SpatialDropout2D": lambda: dict(rate=0.1),
    "SpatialDropout3D": lambda: dict(rate=0.1),
    "StackedRNNCells": lambda: dict(cells=[L.SimpleRNNCell(2), L.SimpleRNNCell(3)]),
    "TimeDistributed": lambda: dict(layer=L.Dense(2)), "Wrapper": lambda: dict(layer=L.Dense(2)),
    "LossFunctionWrapper": lambda: dict(fn=kfacade.losses.mean_squared_error),
    "LossScaleOptimizer": lambda: dict(inner_optimizer=kfacade.optimizers.SGD()),
    "MeanMetricWrapper": lambda: dict(fn=kfacade.metrics.mean_absolute_error),
    "CosineDecay": lambda: dict(initial_learning_rate=0.1, decay_steps=10),
    "ExponentialDecay": lambda: dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.9),
    "InverseTimeDecay": lambda: dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.9),
    "PiecewiseConstantDecay": lambda: dict(boundaries=[10], values=[0.1, 0.01]),
    "PolynomialDecay": lambda: dict(initial_learning_rate=0.1, decay_steps=10),
    "EinsumDense": lambda: dict(equation="ab,bc->ac", output_shape=3),
    **{f"Adaptive{kind}Pooling{rank}D": lambda: dict(output_size=2)
       for kind in ("Average", "Max") for rank in (1, 2, 3)},
    "IoU": lambda: dict(num_classes=3, target_class_ids=[0]), "MeanIoU": lambda: dict(num_classes=3),
    "OneHotIoU": lambda: dict(num_classes=3, target_class_ids=[0]),
    "OneHotMeanIoU": lambda: dict(num_classes=3),
    "PrecisionAtRecall": lambda: dict(recall=0.5), "RecallAtPrecision": lambda: dict(precision=0.5),
    "SensitivityAtSpecificity": lambda: dict(specificity=0.5),
    "SpecificityAtSensitivity": lambda: dict(sensitivity=0.5),
}

#: Registered model classes: built from a graph, checked by the model tests below.
MODEL_CLASSES = {"Functional", "Model", "Sequential"}

#: (namespace name, its base class, its serialize/deserialize module).
NAMESPACES = [
    ("initializers", kfacade.initializers.Initializer, kfacade.initializers),
    ("regularizers", kfacade.regularizers.Regularizer, kfacade.regularizers),
    ("constraints", kfacade.constraints.Constraint, kfacade.constraints),
    ("metrics", kfacade.metrics.Metric, kfacade.metrics),
    ("schedules", S.LearningRateSchedule, S),
]


def _registered_classes():
    """(category, class) of every class the object registry holds, plus the
    public classes of the namespaces that are looked up by name there."""
    found = {}
    for category in ("layers", "losses", "optimizers"):
        for name in object_registry.names(category):
            obj = object_registry.get(category, name)
            if inspect.isclass(obj) and obj.__name__ not in MODEL_CLASSES:
                found.setdefault((category, obj), None)
    for category, base, module in NAMESPACES:
        for name in dir(module):
            obj = getattr(module, name)
            if (inspect.isclass(obj) and issubclass(obj, base) and obj is not base
                    and not name.startswith("_")):
                found.setdefault((category, obj), None)
    return sorted(found, key=lambda item: (item[0], item[1].__name__))


CLASSES = _registered_classes()
NAMESPACE_OF = {"layers": kfacade.layers, "losses": kfacade.losses,
                "optimizers": kfacade.optimizers,
                **{category: module for category, _, module in NAMESPACES}}


def _json_round_trip(value):
    return json.loads(json.dumps(value))


def test_the_walk_covers_every_family():
    categories = {category for category, _ in CLASSES}
    assert categories == {"layers", "losses", "optimizers", "initializers", "regularizers",
                          "constraints", "metrics", "schedules"}
    assert len(CLASSES) > 150


@pytest.mark.parametrize("category,cls", CLASSES,
                         ids=[f"{c}-{cls.__name__}" for c, cls in CLASSES])
def test_registered_class_round_trips(category, cls):
    instance = cls(**REQUIRED_ARGUMENTS.get(cls.__name__, dict)())
    config = instance.get_config()
    stored = _json_round_trip(config)  # JSON-serializable, as files store it

    rebuilt = cls.from_config(stored)
    assert type(rebuilt) is cls
    assert _json_round_trip(rebuilt.get_config()) == stored

    generic = deserialize_keras_object(_json_round_trip(serialize_keras_object(instance)))
    assert type(generic) is cls
    assert _json_round_trip(generic.get_config()) == stored

    namespace = NAMESPACE_OF[category]
    own = namespace.deserialize(_json_round_trip(namespace.serialize(instance)))
    assert type(own) is cls
    assert _json_round_trip(own.get_config()) == stored


@pytest.mark.parametrize("namespace,names", [
    (kfacade.activations, ["relu", "sigmoid", "softmax", "tanh", "linear", "gelu"]),
    (kfacade.losses, ["mean_squared_error", "categorical_crossentropy", "huber"]),
    (kfacade.metrics, ["mean_absolute_error", "binary_accuracy"]),
])
def test_registered_functions_round_trip(namespace, names):
    for name in names:
        function = getattr(namespace, name)
        assert deserialize_keras_object(
            _json_round_trip(serialize_keras_object(function))) is function
        restored = namespace.deserialize(_json_round_trip(namespace.serialize(function)))
        if namespace is kfacade.metrics:
            # kfacade.metrics.deserialize gives a metric object for a function's
            # name (what compile needs), computing that function.
            assert isinstance(restored, kfacade.metrics.MeanMetricWrapper)
            assert restored.name == name
        else:
            assert restored is function


def test_optimizer_with_schedule_round_trips():
    schedule = S.ExponentialDecay(0.1, decay_steps=5, decay_rate=0.5, staircase=True)
    optimizer = kfacade.optimizers.Adam(learning_rate=schedule, beta_1=0.8, clipnorm=1.0)
    restored = kfacade.optimizers.deserialize(
        _json_round_trip(kfacade.optimizers.serialize(optimizer)))
    assert isinstance(restored, kfacade.optimizers.Adam)
    assert isinstance(restored._learning_rate, S.ExponentialDecay)
    assert restored._learning_rate.get_config() == schedule.get_config()
    assert _json_round_trip(restored.get_config()) == _json_round_trip(optimizer.get_config())
    assert float(restored.get_config()["beta_1"]) == pytest.approx(0.8)


# ------------------------------------------------------------------- models
def _functional_model():
    inner = kfacade.Sequential([kfacade.Input((8,)), layers.Dense(4, name="inner_dense")],
                               name="inner")
    left = kfacade.Input((6,), name="left")
    right = kfacade.Input((6,), name="right")
    shared = layers.Dense(8, activation="relu", name="shared",
                          kernel_regularizer=kfacade.regularizers.L2(0.01),
                          kernel_constraint=kfacade.constraints.MaxNorm(2.0))
    merged = layers.concatenate([shared(left), shared(right)], name="merged")
    out_a = layers.Dense(1, name="out_a")(inner(layers.Dense(8, name="to_inner")(merged)))
    out_b = layers.Dense(3, activation="softmax", name="out_b")(merged)
    return kfacade.Model([left, right], [out_a, out_b], name="two_outputs")


def _sequential_model():
    return kfacade.Sequential([
        kfacade.Input((5, 3)), layers.LSTM(4, return_sequences=True),
        layers.BatchNormalization(), layers.Flatten(), layers.Dropout(0.1), layers.Dense(2)],
        name="stack")


def _inputs_for(model, rng):
    return [rng.standard_normal((2,) + tuple(x.shape[1:])).astype("float32")
            for x in model.inputs]


def _predict(model, inputs):
    outputs = model(inputs if len(inputs) > 1 else inputs[0])
    return [kfacade.ops.convert_to_numpy(y) for y in (outputs if isinstance(outputs, (list, tuple))
                                                      else [outputs])]


def _assert_same_architecture(original, rebuilt, rng):
    assert type(rebuilt) is type(original)
    assert [type(layer) for layer in rebuilt.layers] == [type(layer) for layer in original.layers]
    assert [layer.name for layer in rebuilt.layers] == [layer.name for layer in original.layers]
    assert rebuilt.get_config() == original.get_config()
    assert not any(a is b for a, b in zip(rebuilt.weights, original.weights))
    rebuilt.set_weights(original.get_weights())
    inputs = _inputs_for(original, rng)
    for ours, theirs in zip(_predict(rebuilt, inputs), _predict(original, inputs)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("build", [_functional_model, _sequential_model])
def test_model_json_and_config_round_trip(build, rng):
    model = build()
    text = model.to_json(indent=2)
    assert json.loads(text)["class_name"] == type(model).__name__
    _assert_same_architecture(model, kfacade.models.model_from_json(text), rng)
    _assert_same_architecture(model, type(model).from_config(model.get_config()), rng)
    generic = deserialize_keras_object(_json_round_trip(serialize_keras_object(model)))
    _assert_same_architecture(model, generic, rng)


@pytest.mark.parametrize("build", [_functional_model, _sequential_model])
def test_model_from_config_round_trip(build, rng):
    model = build()
    _assert_same_architecture(
        model, kfacade.models.model_from_config(json.loads(model.to_json())), rng)


@pytest.mark.parametrize("build", [_functional_model, _sequential_model])
def test_clone_model_new_weights_same_architecture(build, rng):
    model = build()
    clone = kfacade.models.clone_model(model)
    _assert_same_architecture(model, clone, rng)


def test_clone_model_keeps_shared_layers_shared_and_takes_input_tensors(rng):
    model = _functional_model()
    clone = kfacade.models.clone_model(model)
    shared = clone.get_layer("shared")
    assert shared is not model.get_layer("shared")
    assert len([n for n in shared._inbound_nodes if n.outputs]) == 2  # both calls, one layer

    left, right = kfacade.Input((6,), name="new_left"), kfacade.Input((6,), name="new_right")
    on_inputs = kfacade.models.clone_model(model, input_tensors=[left, right])
    assert on_inputs.inputs[0] is left and on_inputs.inputs[1] is right
    with pytest.raises(ValueError, match="2 input"):
        kfacade.models.clone_model(model, input_tensors=[left])
    with pytest.raises(ValueError, match="symbolic"):
        kfacade.models.clone_model(model, input_tensors=[np.zeros((1, 6)), right])


def test_clone_model_clone_function_call_function_and_recursive(rng):
    model = _functional_model()

    cloned = []

    def no_activation(layer):
        cloned.append(layer.name)
        config = layer.get_config()
        if "activation" in config:
            config["activation"] = "linear"
        return layer.__class__.from_config(config)

    calls = []

    def record_call(layer, *args, **kwargs):
        calls.append(layer.name)
        return layer(*args, **kwargs)

    clone = kfacade.models.clone_model(model, clone_function=no_activation,
                                       call_function=record_call)
    assert clone.get_layer("shared").get_config()["activation"] == "linear"
    assert calls.count("shared") == 2 and "out_b" in calls and "inner" in calls
    assert "inner" in cloned and "inner_dense" not in cloned  # the nested model, whole

    cloned.clear()
    recursive = kfacade.models.clone_model(model, clone_function=no_activation,
                                           call_function=record_call, recursive=True)
    assert "inner_dense" in cloned and "inner" not in cloned  # its layers, one by one
    inner = recursive.get_layer("inner")
    assert isinstance(inner, kfacade.Sequential) and inner is not model.get_layer("inner")
    assert inner.layers[0] is not model.get_layer("inner").layers[0]

    # A clone function returning the layer itself shares it (and its weights).
    sharing = kfacade.models.clone_model(model, clone_function=lambda layer: layer)
    assert sharing.get_layer("out_a") is model.get_layer("out_a")

    sequential = _sequential_model()
    with pytest.raises(ValueError, match="call_function"):
        kfacade.models.clone_model(sequential, call_function=record_call)
    new_input = kfacade.Input((5, 3))
    cloned = kfacade.models.clone_model(sequential, input_tensors=new_input)
    assert cloned.inputs[0] is new_input


# ---------------------------------------------------------- custom objects
def test_keras2_custom_layer_without_get_config_through_json_and_clone(rng):
    inputs = kfacade.Input((4,))
    model = kfacade.Model(inputs, seed_models.MyLayer(3, name="mine")(inputs))
    config = model.get_layer("mine").get_config()
    assert config["output_dim"] == 3  # taken from the constructor call, as Keras 3 does

    with pytest.raises(ValueError, match="Unknown layer: 'MyLayer'"):
        kfacade.models.model_from_json(model.to_json())
    restored = kfacade.models.model_from_json(model.to_json(),
                                              custom_objects={"MyLayer": seed_models.MyLayer})
    _assert_same_architecture(model, restored, rng)
    _assert_same_architecture(model, kfacade.models.clone_model(model), rng)


def test_layer_with_unplain_arguments_must_write_get_config():
    class Wrapping(kfacade.layers.Layer):
        def __init__(self, inner, **kwargs):
            super().__init__(**kwargs)
            self.inner = inner

        def call(self, x):
            return self.inner(x)

    with pytest.raises(NotImplementedError, match="implement `get_config\\(\\)`"):
        Wrapping(layers.Dense(2)).get_config()
    # The base layer's own arguments stay the base config's business.
    plain = kfacade.layers.Layer(activity_regularizer=kfacade.regularizers.L2(0.1))
    assert set(plain.get_config()) == {"name", "trainable", "dtype"}


@object_registry.register_keras_serializable(package="roundtrip_test")
class ScaledDense(kfacade.layers.Layer):
    def __init__(self, units, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.units, self.scale = units, scale

    def build(self, input_shape):
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units))

    def call(self, x):
        return kfacade.ops.matmul(x, self.kernel) * self.scale

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "scale": self.scale}


@object_registry.register_keras_serializable(package="roundtrip_test")
class TwoLayerNet(kfacade.Model):
    def __init__(self, hidden=5, **kwargs):
        super().__init__(**kwargs)
        self.hidden = hidden
        self.first = ScaledDense(hidden, scale=0.5)
        self.second = layers.Dense(2)

    def call(self, inputs):
        return self.second(self.first(inputs))

    def get_config(self):
        return {**super().get_config(), "hidden": self.hidden}


def test_registered_custom_layer_through_json_and_clone(rng):
    inputs = kfacade.Input((4,))
    model = kfacade.Model(inputs, ScaledDense(3, scale=2.0, name="scaled")(inputs))
    text = model.to_json()
    assert '"roundtrip_test>ScaledDense"' in text
    restored = kfacade.models.model_from_json(text)  # found by its registered name
    assert restored.get_layer("scaled").scale == 2.0
    _assert_same_architecture(model, restored, rng)
    _assert_same_architecture(model, kfacade.models.clone_model(model), rng)


def test_subclassed_model_through_serialization_and_clone(rng):
    model = TwoLayerNet(hidden=6, name="net")
    x = rng.standard_normal((2, 4)).astype("float32")
    model(x)
    config = serialize_keras_object(model)
    assert config["registered_name"] == "roundtrip_test>TwoLayerNet"
    restored = deserialize_keras_object(_json_round_trip(config))
    assert type(restored) is TwoLayerNet and restored.hidden == 6 and restored.name == "net"

    clone = kfacade.models.clone_model(model)
    assert type(clone) is TwoLayerNet and clone.hidden == 6
    clone(x)
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(kfacade.ops.convert_to_numpy(clone(x)),
                               kfacade.ops.convert_to_numpy(model(x)), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="subclassed model"):
        kfacade.models.clone_model(model, clone_function=lambda layer: layer)

    # An unregistered subclassed model is found through custom_objects.
    class Unregistered(kfacade.Model):
        def __init__(self, units=2, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.dense = layers.Dense(units)

        def call(self, inputs):
            return self.dense(inputs)

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    plain = Unregistered(units=3)
    data = _json_round_trip(serialize_keras_object(plain))
    rebuilt = deserialize_keras_object(data, custom_objects={"Unregistered": Unregistered})
    assert type(rebuilt) is Unregistered and rebuilt.units == 3
    assert type(kfacade.models.clone_model(plain)) is Unregistered
