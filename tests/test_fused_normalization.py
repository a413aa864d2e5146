"""The optional ``fused_batch_normalization`` / ``fused_layer_normalization``
adapter hooks against the layers' generic ops.

On an adapter with a hook (torch; TensorFlow for batch norm), each configuration runs twice on the same
weights and inputs: through the hook, then with the hook removed (the
generic ops); outputs, the gradients of every trainable weight and of the
input, and the moving statistics after a training call must agree. A spy
on the hook proves which path ran. Cases the hook must decline fall back.
On an adapter without the hook both runs would be the generic path, so the
comparisons are skipped there (``requires_adapter_hook``).
"""
import numpy as np
import pytest

from kfacade import ops
from kfacade.backend import adapter as B
from kfacade.layers import BatchNormalization, LayerNormalization

try:
    from tests.helpers import requires_adapter_hook
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    from helpers import requires_adapter_hook

#: The fused kernels order the float32 arithmetic their own way (torch's
#: batch_norm folds mean and gamma into one scale and shift,
#: ``x * (gamma * invstd) + (beta - mean * gamma * invstd)``, and sums its
#: statistics in another order), so results differ from the generic ops by
#: float32 rounding of values of order 1-10: measured up to 4.3e-6 (gamma's
#: gradient, a sum over the whole batch) on CPU, |a - b| / (1 + |b|).
#: The moving statistics come from the kernel's own batch statistics (its
#: summation order; the biased variance as ``unbiased * (n - 1) / n``, one
#: rounding more than ``sum / n``): measured up to 5.1e-8, bound 1e-6.
TOLERANCE = 1e-5
STATS_TOLERANCE = 1e-6
#: TensorFlow's FusedBatchNormV3 computes gamma's gradient as one sum of
#: ``dy * x_hat``; the generic ops' gradient of ``x * inv + (beta - mean * inv)``
#: is a difference of two large sums. On the NCHW case (144 values per feature,
#: mean 2, std 3) they differ by 4.2e-5 relative, and the float64 value lies
#: within 1.5e-5 of the kernel's and 2.3e-5 of the generic ops' (the generic
#: error is the same with the ``(x - mean) * inv`` form): float32 rounding of
#: the reference path, bound 1e-4. Every other value stays within TOLERANCE.
TF_GAMMA_GRAD_TOLERANCE = 1e-4


def to_numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


@pytest.fixture
def hook_calls(monkeypatch):
    """{hook name: number of calls that returned} for both hooks."""
    calls = {}
    for name in ("fused_batch_normalization", "fused_layer_normalization"):
        original = getattr(B, name, None)
        if original is None:
            continue

        def spy(*args, _name=name, _original=original, **kwargs):
            result = _original(*args, **kwargs)
            calls[_name] = calls.get(_name, 0) + 1
            return result

        monkeypatch.setattr(B, name, spy)
    return calls


def run(layer, x, **call_kwargs):
    """Outputs, gradients (weights and input) and the weights after the call."""
    native_x = B.convert_to_tensor(x)
    variables = list(layer.trainable_weights)

    if B.name == "torch":  # the input's gradient too
        native_x = native_x.clone().requires_grad_(True)

    def loss():
        outputs = layer(native_x, **call_kwargs)
        return ops.sum(ops.multiply(ops.tanh(outputs), ops.arange(outputs.shape[-1],
                                                                  dtype="float32"))), outputs

    (value, outputs), grads = B.value_and_grad(loss, variables)
    result = {"loss": to_numpy(value), "outputs": to_numpy(outputs)}
    result.update({f"grad/{v.name}": to_numpy(g) for v, g in zip(variables, grads)})
    result.update({f"after/{v.name}": to_numpy(v.value) for v in layer.weights})
    if B.name == "torch":
        import torch
        (input_grad,) = torch.autograd.grad(loss()[0], native_x)
        result["grad/input"] = to_numpy(input_grad)
    return result


def compare(monkeypatch, hook_calls, make_layer, x, hook_name, expect_fused, **call_kwargs):
    fused_layer, reference_layer = make_layer(), make_layer()
    fused_layer.build(x.shape)
    reference_layer.build(x.shape)
    reference_layer.set_weights(fused_layer.get_weights())
    fused = run(fused_layer, x, **call_kwargs)
    assert bool(hook_calls.get(hook_name)) == expect_fused, (hook_calls, expect_fused)
    monkeypatch.delattr(B, hook_name)
    reference = run(reference_layer, x, **call_kwargs)
    assert fused.keys() == reference.keys()
    for key in reference:
        tolerance = STATS_TOLERANCE if key.startswith("after/") else TOLERANCE
        if B.name == "tensorflow" and key == "grad/gamma":
            tolerance = TF_GAMMA_GRAD_TOLERANCE
        np.testing.assert_allclose(fused[key], reference[key], rtol=tolerance, atol=tolerance,
                                   err_msg=key)


BN_CASES = [
    ((8, 5), {}),
    ((4, 6, 6, 3), {}),  # NHWC: features last
    ((4, 3, 6, 6), {"axis": 1}),  # NCHW
    ((4, 7, 5), {"axis": 1, "momentum": 0.9, "epsilon": 1e-5}),
    ((4, 7, 5), {"center": False}),
    ((4, 7, 5), {"scale": False, "center": False}),
]


def make_batch_norm(rng, shape, kwargs):
    def make():
        layer = BatchNormalization(**kwargs)
        layer.build(shape)
        # Moving statistics and weights away from their initial values.
        layer.set_weights([rng.uniform(0.5, 1.5, w.shape).astype("float32")
                           for w in layer.get_weights()])
        return layer
    return make


@requires_adapter_hook("fused_batch_normalization")
@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
@pytest.mark.parametrize("shape,kwargs", BN_CASES, ids=lambda c: str(c))
def test_fused_batch_normalization_equals_generic(monkeypatch, hook_calls, rng, shape, kwargs,
                                                  training):
    x = (rng.standard_normal(shape) * 3 + 2).astype("float32")
    compare(monkeypatch, hook_calls, make_batch_norm(rng, shape, kwargs), x,
            "fused_batch_normalization", True, training=training)


@requires_adapter_hook("fused_batch_normalization")
def test_fused_batch_normalization_declines_several_axes(monkeypatch, hook_calls, rng):
    shape = (4, 3, 5)
    x = rng.standard_normal(shape).astype("float32")
    compare(monkeypatch, hook_calls, make_batch_norm(rng, shape, {"axis": [1, 2]}), x,
            "fused_batch_normalization", False, training=True)


@requires_adapter_hook("fused_batch_normalization")
def test_fused_batch_normalization_declines_one_value_per_channel(monkeypatch, hook_calls, rng):
    shape = (1, 5)  # torch's kernel raises here; the generic path outputs beta
    x = rng.standard_normal(shape).astype("float32")
    compare(monkeypatch, hook_calls, make_batch_norm(rng, shape, {}), x,
            "fused_batch_normalization", False, training=True)


@requires_adapter_hook("fused_batch_normalization")
def test_fused_batch_normalization_frozen_layer_uses_moving_statistics(monkeypatch, hook_calls,
                                                                       rng):
    shape = (6, 4)
    x = rng.standard_normal(shape).astype("float32")

    def make():
        layer = make_batch_norm(rng, shape, {})()
        layer.trainable = False
        return layer

    compare(monkeypatch, hook_calls, make, x, "fused_batch_normalization", True, training=True)


def test_batch_normalization_fit_moves_statistics(rng):
    # Runs everywhere: the compiled step (hook or not) records the moving
    # statistics' assignment.
    import kfacade
    model = kfacade.Sequential([kfacade.Input((4,)), BatchNormalization(momentum=0.5)])
    model.compile(optimizer="sgd", loss="mse")
    x = (rng.standard_normal((16, 4)) * 2 + 3).astype("float32")
    model.fit(x, x, batch_size=16, epochs=1, verbose=0, shuffle=False)
    layer = model.layers[0]
    expected_mean = 0.5 * 0.0 + 0.5 * x.mean(axis=0)
    expected_variance = 0.5 * 1.0 + 0.5 * x.var(axis=0)
    np.testing.assert_allclose(to_numpy(layer.moving_mean.value), expected_mean, rtol=1e-5)
    np.testing.assert_allclose(to_numpy(layer.moving_variance.value), expected_variance,
                               rtol=1e-5)


LN_CASES = [
    ((8, 5), {}),
    ((4, 6, 5), {}),
    ((4, 3, 6), {"axis": [1, 2], "epsilon": 1e-6}),
    ((4, 6, 5), {"center": False}),
    ((4, 6, 5), {"scale": False, "center": False}),
]


def make_layer_norm(rng, shape, kwargs):
    def make():
        layer = LayerNormalization(**kwargs)
        layer.build(shape)
        layer.set_weights([rng.uniform(0.5, 1.5, w.shape).astype("float32")
                           for w in layer.get_weights()])
        return layer
    return make


@requires_adapter_hook("fused_layer_normalization")
@pytest.mark.parametrize("shape,kwargs", LN_CASES, ids=lambda c: str(c))
def test_fused_layer_normalization_equals_generic(monkeypatch, hook_calls, rng, shape, kwargs):
    x = (rng.standard_normal(shape) * 3 + 2).astype("float32")
    compare(monkeypatch, hook_calls, make_layer_norm(rng, shape, kwargs), x,
            "fused_layer_normalization", True)


@requires_adapter_hook("fused_layer_normalization")
@pytest.mark.parametrize("kwargs", [{"axis": 1}, {"rms_scaling": True}], ids=["axis-1", "rms"])
def test_fused_layer_normalization_declines(monkeypatch, hook_calls, rng, kwargs):
    shape = (4, 3, 6)
    x = rng.standard_normal(shape).astype("float32")
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rms_scaling is deprecated
        compare(monkeypatch, hook_calls, make_layer_norm(rng, shape, kwargs), x,
                "fused_layer_normalization", False)


@requires_adapter_hook("fused_batch_normalization")
def test_fit_with_fused_hooks_equals_generic(monkeypatch, rng):
    # The whole training step (the trainer's step, the moving statistics'
    # assignment, the optimizer) with every fused hook, then with none.
    import kfacade
    from kfacade import layers

    def build():
        inputs = kfacade.Input((6, 4))
        attention = layers.MultiHeadAttention(2, 4)(inputs, inputs)
        x = layers.LayerNormalization()(layers.Add()([inputs, attention]))
        x = layers.BatchNormalization(momentum=0.5)(x)
        model = kfacade.Model(inputs, layers.Dense(1)(layers.GlobalAveragePooling1D()(x)))
        model.compile(optimizer="sgd", loss="mse")
        return model

    x = (rng.standard_normal((16, 6, 4)) * 2 + 3).astype("float32")
    y = rng.standard_normal((16, 1)).astype("float32")
    fused = build()
    weights = fused.get_weights()
    fused.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
    for hook in ("fused_batch_normalization", "fused_layer_normalization",
                 "fused_dot_product_attention"):
        monkeypatch.delattr(B, hook, raising=False)
    reference = build()
    reference.set_weights(weights)
    reference.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
    for after, expected in zip(fused.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(after, expected, rtol=TOLERANCE, atol=TOLERANCE)
    np.testing.assert_allclose(fused.predict(x, verbose=0), reference.predict(x, verbose=0),
                               rtol=TOLERANCE, atol=TOLERANCE)


@requires_adapter_hook("fused_batch_normalization")
@pytest.mark.parametrize("compute", ["bfloat16", "float16"])
@pytest.mark.parametrize("shape", [(16, 6), (4, 5, 5, 3)])
def test_mixed_batch_norm_hands_the_kernel_its_half_inputs(monkeypatch, compute, shape):
    """A mixed policy's BatchNormalization computes in float32 (as Keras); the
    adapter's kernel takes the half inputs with the float32 variables and
    writes half outputs (no cast passes), equal to normalizing the upcast
    inputs in float32 and rounding once."""
    import kfacade as keras

    original, seen = B.fused_batch_normalization, []

    def spy(x, *args):
        outputs = original(x, *args)
        seen.append((B.dtype(x), B.dtype(outputs[0])))
        return outputs

    monkeypatch.setattr(B, "fused_batch_normalization", spy)
    x = np.random.default_rng(2).standard_normal(shape).astype("float32") * 3 + 1
    x = keras.ops.convert_to_numpy(keras.ops.cast(keras.ops.cast(x, compute), "float32"))
    mixed = keras.layers.BatchNormalization(dtype=f"mixed_{compute}")
    reference = keras.layers.BatchNormalization()
    for training in (True, False):
        out = mixed(x, training=training)
        expected = keras.ops.cast(reference(x, training=training), compute)
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(keras.ops.cast(out, "float32")),
            keras.ops.convert_to_numpy(keras.ops.cast(expected, "float32")),
            rtol=2.0 ** -7, atol=1e-6)  # one rounding of the half dtype apart at most
    # The mixed layer's two calls (the reference's are float32).
    assert [pair for pair in seen if pair[0] != "float32"] == [(compute, compute)] * 2
    for got, want in zip(mixed.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
