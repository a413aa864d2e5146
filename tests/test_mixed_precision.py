"""Dtype policies: float32 variables with 16-bit computations, and loss scaling (issue 10).

On every backend: ``mixed_float16`` trains the digits MLP as well as float32
does, its variables stay float32 while its layers compute in float16, and
``LossScaleOptimizer`` skips a step whose gradients overflow.
"""
import functools

import numpy as np
import pytest

import kfacade as keras
from kfacade import mixed_precision


@pytest.fixture
def policy():
    """Sets a global policy for one test and restores the default after it."""
    yield mixed_precision.set_global_policy
    mixed_precision.set_global_policy(None)


def digits():
    (x, y), (xt, yt) = keras.datasets.digits.load_data()
    return (x.reshape(len(x), -1).astype("float32") / 16.0, y,
            xt.reshape(len(xt), -1).astype("float32") / 16.0, yt)


@functools.lru_cache(maxsize=None)
def float32_accuracy():
    return train_mlp()[1]


def train_mlp():
    x, y, xt, yt = digits()
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.layers.Input((64,)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10),
        keras.layers.Activation("softmax", dtype="float32"),  # the Keras guide's float32 output
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=5, batch_size=32, verbose=0)
    return model, model.evaluate(xt, yt, verbose=0)[1], xt


@pytest.mark.parametrize("name, compute", [("mixed_float16", "float16"),
                                           ("mixed_bfloat16", "bfloat16")])
def test_mixed_policy_trains_like_float32_with_float32_variables(policy, name, compute):
    baseline = float32_accuracy()
    policy(name)
    model, accuracy, xt = train_mlp()
    dense = model.layers[0]
    assert dense.dtype_policy.name == name
    assert dense.compute_dtype == compute and dense.variable_dtype == "float32"
    assert all(v.dtype == "float32" for v in model.weights)
    assert keras.ops.dtype(dense(xt[:2])) == compute  # computes in 16 bits
    assert model.predict(xt[:2], verbose=0).dtype == np.float32  # the float32 output layer
    assert baseline > 0.9
    assert accuracy > 0.9 and abs(accuracy - baseline) < 0.03
    if name == "mixed_float16":  # compile wraps the optimizer, as Keras 3 does
        assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    else:
        assert not isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)


def test_loss_scale_optimizer_skips_overflowing_steps_and_adapts_its_scale():
    variable = keras.Variable(np.ones(3, "float32"))
    optimizer = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.5), initial_scale=8.0,
                                                    dynamic_growth_steps=2)
    optimizer.apply([np.full(3, 8.0, "float32")], [variable])  # unscaled: 1.0
    np.testing.assert_allclose(variable.numpy(), 0.5)
    assert float(optimizer.dynamic_scale.numpy()) == 8.0
    optimizer.apply([np.array([np.inf, 1.0, 1.0], "float32")], [variable])  # overflow: skipped
    np.testing.assert_allclose(variable.numpy(), 0.5)
    assert float(optimizer.dynamic_scale.numpy()) == 4.0
    assert int(optimizer.iterations.numpy()) == 1  # the skipped step is not counted
    optimizer.apply([np.zeros(3, "float32")], [variable])
    optimizer.apply([np.zeros(3, "float32")], [variable])
    assert float(optimizer.dynamic_scale.numpy()) == 8.0  # two finite steps: doubled
    np.testing.assert_allclose(keras.ops.convert_to_numpy(optimizer.scale_loss(2.0)), 16.0)
    config = optimizer.get_config()
    clone = keras.optimizers.LossScaleOptimizer.from_config(config)
    assert clone.dynamic_growth_steps == 2 and isinstance(clone.inner_optimizer, keras.optimizers.SGD)


def test_policies_by_name_and_their_errors(policy):
    assert mixed_precision.global_policy().name == "float32"
    assert mixed_precision.Policy("mixed_bfloat16").compute_dtype == "bfloat16"
    with pytest.raises(ValueError, match="mixed precision DTypePolicy"):
        mixed_precision.Policy("mixed_float8")
    policy("mixed_float16")
    layer = keras.layers.Dense(2)
    assert layer.dtype == "float32" and layer.compute_dtype == "float16"
    assert keras.layers.Dense(2, dtype="float32").compute_dtype == "float32"
    assert keras.layers.Dense.from_config(layer.get_config()).compute_dtype == "float16"
    from kfacade.mixed_precision import experimental

    experimental.set_policy("float32")  # Keras 2.1-2.3's path
    assert experimental.global_policy().name == "float32"


@pytest.mark.parametrize("compute", ["bfloat16", "float16"])
@pytest.mark.parametrize("layer", ["BatchNormalization", "LayerNormalization"])
def test_normalization_computes_in_float32_under_a_mixed_policy(layer, compute):
    """As in Keras, a mixed normalization layer upcasts its half inputs and
    computes in float32 from float32 variables (statistics summed in a half
    dtype lose digits, and the moving averages would drift), then casts its
    outputs to the compute dtype: outputs and moving statistics equal the
    float32 layer's on the same (half-representable) inputs."""
    rng = np.random.default_rng(3)
    # Features far from 0 with a small spread: a half-precision mean or
    # variance of these loses most of its digits.
    x = (100.0 + rng.standard_normal((16, 6)) * 0.5).astype("float32")
    x = keras.ops.convert_to_numpy(keras.ops.cast(keras.ops.cast(x, compute), "float32"))
    cls = getattr(keras.layers, layer)
    mixed, reference = cls(dtype=f"mixed_{compute}"), cls(dtype="float32")
    mixed.build(x.shape)
    reference.build(x.shape)
    weights = [rng.uniform(0.5, 1.5, np.shape(w)).astype("float32") for w in reference.get_weights()]
    mixed.set_weights(weights)
    reference.set_weights(weights)
    assert all(keras.backend.standardize_dtype(w.dtype) == "float32" for w in mixed.weights)
    kwargs = {"training": True} if layer == "BatchNormalization" else {}
    out = mixed(keras.ops.convert_to_tensor(x), **kwargs)
    expected = reference(keras.ops.convert_to_tensor(x), **kwargs)
    assert keras.backend.standardize_dtype(out.dtype) == compute
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(keras.ops.cast(out, "float32")),
                                  keras.ops.convert_to_numpy(keras.ops.cast(
                                      keras.ops.cast(expected, compute), "float32")))
    for got, want in zip(mixed.get_weights(), reference.get_weights()):  # BN's moving statistics
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("layer", ["LSTM", "GRU", "SimpleRNN"])
def test_a_mixed_rnn_casts_its_cell_weights_once_per_call(monkeypatch, layer):
    """A mixed-precision RNN's scan reads each cell weight through one cast
    per call, not one per step (a traced loop ran them all at every step),
    and computes exactly what casting at every step computes."""
    import contextlib

    from kfacade.backend import adapter as B
    from kfacade.layers.rnn import rnn as rnn_module

    options = {} if layer == "SimpleRNN" else {"use_cudnn": False}  # the scan, not a fused kernel
    rnn = getattr(keras.layers, layer)(4, return_sequences=True, dtype="mixed_bfloat16", **options)
    x = np.random.default_rng(0).standard_normal((2, 9, 3)).astype("float32")
    rnn.build(x.shape)
    kernel = rnn.cell.kernel.handle
    casts = []
    original = B.cast

    def spy(value, dtype):
        casts.append(value is kernel)
        return original(value, dtype)

    monkeypatch.setattr(B, "cast", spy)
    once = keras.ops.convert_to_numpy(keras.ops.cast(rnn(x), "float32"))
    assert sum(casts) == 1
    monkeypatch.setattr(rnn_module, "_weights_cast_once", lambda cell: contextlib.nullcontext())
    casts.clear()
    every_step = keras.ops.convert_to_numpy(keras.ops.cast(rnn(x), "float32"))
    assert sum(casts) >= 1  # the scan's own count: one per step unless traced once
    np.testing.assert_array_equal(once, every_step)
