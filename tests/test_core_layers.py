"""Core layers and the Layer base, checked against NumPy on the active backend."""
import json

import numpy as np
import pytest

import kfacade
from kfacade import layers, ops
from helpers import assert_close


def _relu(x):
    return np.maximum(x, 0)


def test_dense_matches_numpy(rng):
    layer = layers.Dense(5, activation="relu")
    x = rng.standard_normal((4, 3)).astype("float32")
    kernel = rng.standard_normal((3, 5)).astype("float32")
    bias = rng.standard_normal((5,)).astype("float32")
    layer.build((None, 3))
    layer.set_weights([kernel, bias])
    assert_close(layer(x), _relu(x @ kernel + bias))
    assert [w.path for w in layer.weights] == [f"{layer.name}/kernel", f"{layer.name}/bias"]


def test_dense_on_3d_input_and_output_shape(rng):
    layer = layers.Dense(2, use_bias=False)
    x = rng.standard_normal((2, 3, 4)).astype("float32")
    y = layer(x)
    assert tuple(ops.shape(y)) == (2, 3, 2)
    assert layer.compute_output_shape((None, 3, 4)) == (None, 3, 2)
    assert_close(y, x @ layer.get_weights()[0])


@pytest.mark.parametrize("name,reference", [
    ("relu", _relu),
    ("sigmoid", lambda x: 1 / (1 + np.exp(-x))),
    ("tanh", np.tanh),
    ("softmax", lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True)),
    ("linear", lambda x: x),
    ("elu", lambda x: np.where(x > 0, x, np.exp(x) - 1)),
    ("selu", lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * (np.exp(x) - 1))),
    ("softplus", lambda x: np.log1p(np.exp(x))),
    ("softsign", lambda x: x / (1 + np.abs(x))),
    ("hard_sigmoid", lambda x: np.clip(x / 6 + 0.5, 0, 1)),
    ("exponential", np.exp),
])
def test_activations_by_string_and_callable(name, reference, rng):
    x = rng.standard_normal((3, 4)).astype("float32")
    assert_close(layers.Activation(name)(x), reference(x))
    fn = kfacade.activations.get(name)
    assert_close(layers.Activation(fn)(x), reference(x))


def test_unknown_activation_names_the_value():
    with pytest.raises(ValueError, match="nonsense"):
        layers.Dense(2, activation="nonsense")


def test_dropout_inference_is_identity_and_training_drops(rng):
    layer = layers.Dropout(0.5, seed=1)
    x = np.ones((50, 40), dtype="float32")
    assert_close(layer(x), x)
    y = kfacade.ops.convert_to_numpy(layer(x, training=True))
    kept = y != 0
    assert 0.35 < kept.mean() < 0.65
    np.testing.assert_allclose(y[kept], 2.0, rtol=1e-6)


def test_flatten_reshape(rng):
    x = rng.standard_normal((2, 3, 4)).astype("float32")
    assert_close(layers.Flatten()(x), x.reshape(2, 12))
    assert_close(layers.Reshape((4, 3))(x), x.reshape(2, 4, 3))
    assert_close(layers.Reshape((-1, 2))(x), x.reshape(2, 6, 2))
    with pytest.raises(ValueError, match=r"\(5, 5\)"):
        layers.Reshape((5, 5))(x)


def test_lambda_layer(rng):
    x = rng.standard_normal((2, 3)).astype("float32")
    assert_close(layers.Lambda(lambda t: ops.square(t))(x), x ** 2)
    inputs = kfacade.Input(shape=(3,))
    out = layers.Lambda(lambda t: ops.concatenate([t, t], axis=-1))(inputs)
    assert out.shape == (None, 6)


def test_lambda_output_shape_forms(rng):
    inputs = kfacade.Input(shape=(3,))
    # A given shape (batch excluded) is trusted without running the function.
    assert layers.Lambda(lambda t: ops.concatenate([t, t], -1), output_shape=(6,))(inputs).shape \
        == (None, 6)
    assert layers.Lambda(lambda t: t, output_shape=[3])(inputs).shape == (None, 3)
    pair = layers.Lambda(lambda t: [t, ops.sum(t, axis=-1, keepdims=True)],
                         output_shape=[(3,), (1,)])(inputs)
    assert [o.shape for o in pair] == [(None, 3), (None, 1)]
    full = layers.Lambda(lambda t: t[:, :2], output_shape=lambda s: (s[0], 2))(inputs)
    assert full.shape == (None, 2)
    x = rng.standard_normal((4, 3)).astype("float32")
    model = kfacade.Model(inputs, pair)
    predicted = model.predict(x, verbose=0)
    assert_close(predicted[1], x.sum(axis=-1, keepdims=True))


def test_lambda_mask_and_training_arguments(rng):
    seen = {}

    def function(t, mask=None, training=None):
        seen["mask"], seen["training"] = mask, training
        return t

    x = rng.standard_normal((2, 3)).astype("float32")
    layers.Lambda(function)(x, training=True)
    assert seen == {"mask": None, "training": True}
    masking = layers.Lambda(lambda t: t, mask=lambda inputs, mask: ops.not_equal(inputs, 0.0))
    assert masking.supports_masking and not layers.Lambda(lambda t: t).supports_masking
    out = masking(kfacade.Input((3,)))
    assert out._keras_mask is not None and out._keras_mask.shape == (None, 3)


def scale_by_three(t):
    return ops.multiply(t, 3.0)


def test_lambda_config_round_trip_and_safe_mode(rng):
    x = rng.standard_normal((2, 3)).astype("float32")
    named = layers.Lambda(scale_by_three, output_shape=(3,), arguments={})
    config = json.loads(json.dumps(named.get_config()))
    assert config["function"]["class_name"] == "function" and config["output_shape"] == [3]
    restored = layers.Lambda.from_config(config, custom_objects={"scale_by_three": scale_by_three})
    assert_close(restored(x), 3 * x)
    with pytest.raises(ValueError, match="unknown function 'scale_by_three'"):
        layers.Lambda.from_config(config)
    # A lambda travels as bytecode with its closure; loading it needs safe mode off.
    offset = 2.0
    anonymous = layers.Lambda(lambda t, power=2: ops.add(ops.power(t, power), offset))
    config = json.loads(json.dumps(anonymous.get_config()))
    assert config["function"]["class_name"] == "__lambda__"
    with pytest.raises(ValueError, match="arbitrary code execution"):
        layers.Lambda.from_config(config)
    restored = layers.Lambda.from_config(config, safe_mode=False)
    assert_close(restored(x), x ** 2 + offset)
    # Keras 2's form: the function as (code, defaults, closure) and a function_type.
    keras2 = {"name": "old", "function": list(config["function"]["config"].values()),
              "function_type": "lambda", "module": "__main__", "output_shape": [3],
              "output_shape_type": "raw", "output_shape_module": None, "arguments": {}}
    old = layers.Lambda.from_config(keras2, safe_mode=False)
    assert_close(old(x), x ** 2 + offset)
    assert old.compute_output_shape((None, 3)) == (None, 3)


def test_batch_normalization_training_and_inference(rng):
    x = rng.standard_normal((8, 3)).astype("float32") * 3 + 1
    bn = layers.BatchNormalization(momentum=0.9, epsilon=1e-3)
    bn.build((None, 3))
    assert [w.name for w in bn.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    gamma = np.array([1.0, 2.0, 0.5], "float32")
    beta = np.array([0.0, -1.0, 1.0], "float32")
    bn.set_weights([gamma, beta, np.zeros(3, "float32"), np.ones(3, "float32")])
    mean, var = x.mean(0), x.var(0)
    assert_close(bn(x, training=True), (x - mean) / np.sqrt(var + 1e-3) * gamma + beta)
    assert_close(bn.moving_mean, 0.1 * mean)
    assert_close(bn.moving_variance, 0.9 + 0.1 * var)
    moving_mean, moving_var = 0.1 * mean, 0.9 + 0.1 * var
    assert_close(bn(x), (x - moving_mean) / np.sqrt(moving_var + 1e-3) * gamma + beta)
    assert len(bn.trainable_weights) == 2 and len(bn.non_trainable_weights) == 2


def test_batch_normalization_channels_first_axis(rng):
    x = rng.standard_normal((4, 3, 2, 2)).astype("float32")
    bn = layers.BatchNormalization(axis=1, epsilon=1e-3)
    y = bn(x, training=True)
    mean = x.mean(axis=(0, 2, 3), keepdims=True)
    var = x.var(axis=(0, 2, 3), keepdims=True)
    assert_close(y, (x - mean) / np.sqrt(var + 1e-3), atol=1e-4)


def test_initializers_by_string_and_object_are_seeded():
    init = kfacade.initializers
    for name in ["glorot_uniform", "he_normal", "zeros", "ones", "uniform", "random_uniform",
                 "normal", "random_normal", "orthogonal"]:
        cls = type(init.get(name))
        seeded = isinstance(init.get(name), init._Random)
        a = cls(seed=3)((4, 5)) if seeded else cls()((4, 5))
        b = cls(seed=3)((4, 5)) if seeded else cls()((4, 5))
        np.testing.assert_array_equal(a, b)
        assert a.shape == (4, 5)
    limit = np.sqrt(6 / (4 + 5))
    values = init.GlorotUniform(seed=1)((4, 5))
    assert np.abs(values).max() <= limit
    q = init.Orthogonal(seed=2)((5, 5))
    np.testing.assert_allclose(q @ q.T, np.eye(5), atol=1e-5)
    np.testing.assert_array_equal(init.get("constant")((2,)), [0, 0])
    np.testing.assert_array_equal(init.Constant(3.0)((2,)), [3, 3])
    with pytest.raises(ValueError, match="nonsense"):
        init.get("nonsense")


def test_layer_weights_api_and_config():
    layer = layers.Dense(3, input_dim=4, name="my_dense")
    layer.build((None, 4))
    assert layer.count_params() == 15
    weights = layer.get_weights()
    clone = layers.Dense.from_config(layer.get_config())
    clone.build((None, 4))
    clone.set_weights(weights)
    for a, b in zip(weights, clone.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(5, 3\)"):
        clone.set_weights([np.zeros((5, 3)), np.zeros(3)])
    with pytest.raises(ValueError, match="isn't built"):
        layers.Dense(2).count_params()
    with pytest.raises(TypeError, match="unknown_arg"):
        layers.Dense(2, unknown_arg=1)


def test_layer_names_are_unique():
    a, b = layers.Dense(1), layers.Dense(1)
    assert a.name != b.name


def test_sublayers_are_tracked_and_stateless_call_is_pure(rng):
    class Block(layers.Layer):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(4)
            self.bn = layers.BatchNormalization()
            self.extra = [layers.Dense(2)]

        def call(self, x, training=None):
            return self.extra[0](self.bn(self.dense(x), training=training))

    block = Block()
    x = rng.standard_normal((5, 3)).astype("float32")
    block(x)
    assert len(block.trainable_weights) == 6 and len(block.non_trainable_weights) == 2
    before = [w.numpy().copy() for w in block.non_trainable_variables]
    trainable = [v.value for v in block.trainable_variables]
    non_trainable = [v.value for v in block.non_trainable_variables]
    out, new_state = block.stateless_call(trainable, non_trainable, x, training=True)
    for w, old in zip(block.non_trainable_variables, before):
        np.testing.assert_array_equal(w.numpy(), old)
    assert not np.allclose(kfacade.ops.convert_to_numpy(new_state[0]), before[0])
    assert_close(out, block(x, training=True), atol=1e-5)


def test_regularizer_losses_are_collected(rng):
    layer = layers.Dense(2, kernel_regularizer=kfacade.regularizers.l2(0.1))
    layer(rng.standard_normal((3, 4)).astype("float32"))
    kernel = layer.get_weights()[0]
    assert_close(layer.losses[0], 0.1 * np.sum(kernel ** 2))


def test_shape_mismatch_names_both_shapes():
    layer = layers.Dense(3)
    layer(np.zeros((2, 4), "float32"))
    with pytest.raises(ValueError, match=r"value 4.*\(2, 5\)"):
        layer(np.zeros((2, 5), "float32"))


def test_identity_returns_its_inputs_and_masks(rng):
    x = rng.standard_normal((2, 3)).astype("float32")
    assert_close(layers.Identity()(x), x)
    nested = layers.Identity()({"a": x, "b": [x]})
    assert_close(nested["b"][0], x)
    inputs = kfacade.Input((4,))
    masked = layers.Masking(0.0)(layers.Reshape((2, 2))(inputs))
    assert layers.Identity()(masked)._keras_mask is masked._keras_mask
    config = layers.Identity(name="pass").get_config()
    assert layers.Identity.from_config(config).get_config() == config


def test_numpy_integer_sizes_are_python_ints():
    """Keras 2 programs pass sizes computed with NumPy (``np.max(y) + 1``)."""
    import json

    n = np.int64(3)
    made = [layers.Dense(n), layers.Embedding(np.int64(10), np.int32(4)), layers.LSTM(n),
            layers.GRU(n), layers.SimpleRNN(n), layers.Conv1D(n, 2), layers.Conv2DTranspose(n, 2),
            layers.SeparableConv1D(n, 2, depth_multiplier=np.int64(2)), layers.RepeatVector(n)]
    for layer in made:
        for attr in ("units", "input_dim", "output_dim", "filters", "depth_multiplier", "n"):
            value = getattr(layer, attr, None)
            if value is not None:
                assert type(value) is int, (layer, attr)
        json.dumps(layer.get_config())
    assert layers.Dense(n)(np.ones((2, 4), "float32")).shape == (2, 3)


def test_augmented_assignment_in_call_leaves_the_callers_array_alone():
    """Keras 2's antirectifier writes ``inputs -= K.mean(inputs, ...)`` in ``call``.
    The tensor a layer receives from a NumPy array must not share its memory:
    on torch an in-place op would otherwise change the caller's data."""
    from kfacade import backend as K

    class Centre(layers.Layer):
        def call(self, inputs):
            inputs -= K.mean(inputs, axis=1, keepdims=True)
            return inputs

    x = np.arange(8, dtype="float32").reshape(2, 4)
    original = x.copy()
    assert_close(Centre()(x), original - original.mean(axis=1, keepdims=True))
    np.testing.assert_array_equal(x, original)
    model = kfacade.Sequential([layers.Input((4,)), Centre()])
    model.compile(optimizer="sgd", loss="mse")
    model.predict(x, verbose=0)
    model.evaluate(x, x, verbose=0)
    np.testing.assert_array_equal(x, original)


def test_input_check_runs_once_per_shape_and_still_refuses_a_wrong_one(monkeypatch):
    """An eager loop on one shape checks its input once; a new shape, or a new
    spec, is checked again, so a wrong input is still named."""
    from kfacade.layers import layer as layer_module

    dense = layers.Dense(3)
    dense(np.ones((2, 4), "float32"))
    calls = []
    real = layer_module.assert_input_compatibility
    monkeypatch.setattr(layer_module, "assert_input_compatibility",
                        lambda *a: (calls.append(a[1]), real(*a)))
    for _ in range(3):
        dense(np.ones((2, 4), "float32"))
    assert calls == []
    dense(np.ones((5, 4), "float32"))
    assert calls == [[(5, 4)]]
    with pytest.raises(ValueError, match=r"expected axis -1 of input shape to have value 4"):
        dense(np.ones((5, 6), "float32"))
    dense.input_spec = layers.InputSpec(min_ndim=3)
    with pytest.raises(ValueError, match=r"expected min_ndim=3, found ndim=2"):
        dense(np.ones((5, 4), "float32"))


# ------------------------------------------------------------------ Wrapper
class _Doubled(layers.Wrapper):
    """A custom wrapper as Keras 2 and 3 programs write them: ``call`` over ``self.layer``."""

    def call(self, inputs):
        return ops.multiply(2.0, self.layer(inputs))


def test_a_custom_wrapper_builds_trains_and_saves_its_layer(rng, tmp_path):
    from layer_testing import run_layer_test

    run_layer_test(_Doubled, {"layer": layers.Dense(3)}, input_shape=(2, 4),
                   expected_output_shape=(2, 3), expected_num_trainable_weights=2)
    wrapper = _Doubled(layers.Dense(3, name="inner"), name="doubled")
    model = kfacade.Sequential([kfacade.Input((4,)), wrapper])
    kernel, bias = wrapper.layer.get_weights()
    x = rng.standard_normal((5, 4)).astype("float32")
    assert_close(model.predict(x, verbose=0), 2.0 * (x @ kernel + bias))
    assert [w.path for w in wrapper.weights] == ["doubled/inner/kernel", "doubled/inner/bias"]
    assert wrapper.get_config()["layer"]["class_name"] == "Dense"
    model.compile("sgd", "mse")
    model.fit(x, np.zeros((5, 3), "float32"), verbose=0)
    assert not np.allclose(wrapper.layer.get_weights()[0], kernel)  # the wrapped layer trains
    for name in ("m.keras", "m.h5"):
        model.save(tmp_path / name)
        loaded = kfacade.models.load_model(tmp_path / name, custom_objects={"_Doubled": _Doubled})
        assert type(loaded.layers[0]) is _Doubled
        assert_close(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert isinstance(layers.TimeDistributed(layers.Dense(2)), layers.Wrapper)
    with pytest.raises(ValueError, match="supplied to Wrapper"):
        _Doubled("dense")
