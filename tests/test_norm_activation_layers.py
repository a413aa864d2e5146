"""Normalization, activation and regularization layers against NumPy
references, Keras's weight layouts, training-only noise and errors.

Runs on the active backend (``KERAS_BACKEND``). Inputs are standard normal
float32, weights set from NumPy; references take the same few float32 steps,
so forward results agree within 1e-5.
"""
import warnings

import numpy as np
import pytest

from kfacade import ops
from kfacade.layers.activations import ELU, LeakyReLU, PReLU, ReLU, Softmax, ThresholdedReLU
from kfacade.layers.normalization import (
    GroupNormalization, LayerNormalization, UnitNormalization,
)
from kfacade.layers.regularization import (
    ActivityRegularization,
    AlphaDropout,
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)

try:
    from tests.helpers import assert_close
    from tests.layer_testing import run_layer_test
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    from helpers import assert_close
    from layer_testing import run_layer_test


def normal(rng, *shape):
    return rng.standard_normal(shape).astype("float32")


def to_numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


# ----------------------------------------------------------- normalization


def numpy_layer_norm(x, axes, gamma, beta, epsilon):
    mean = x.mean(axis=tuple(axes), keepdims=True)
    variance = x.var(axis=tuple(axes), keepdims=True)
    shape = [x.shape[a] if a in axes else 1 for a in range(x.ndim)]
    y = (x - mean) / np.sqrt(variance + epsilon)
    if gamma is not None:
        y = y * gamma.reshape(shape)
    if beta is not None:
        y = y + beta.reshape(shape)
    return y


@pytest.mark.parametrize("axis,center,scale", [
    (-1, True, True), (1, True, False), ([1, 3], False, True), ([-2, -1], False, False),
], ids=str)
def test_layer_normalization_matches_numpy(axis, center, scale, rng):
    x = normal(rng, 2, 3, 4, 5)
    layer = LayerNormalization(axis=axis, center=center, scale=scale, epsilon=1e-3)
    layer.build(x.shape)
    axes = sorted(a % 4 for a in (axis if isinstance(axis, list) else [axis]))
    shape = tuple(x.shape[a] for a in axes)
    names = ["gamma"] * scale + ["beta"] * center
    assert [w.path.split("/")[-1] for w in layer.weights] == names
    assert all(tuple(w.shape) == shape for w in layer.weights)
    values = [normal(rng, *shape) for _ in names]
    layer.set_weights(values)
    gamma = values[0] if scale else None
    beta = values[-1] if center else None
    assert_close(layer(x), numpy_layer_norm(x, axes, gamma, beta, 1e-3))


def test_layer_normalization_errors_and_config():
    with pytest.raises(ValueError, match=r"Axis 3 is out of bounds for input shape \(2, 3\)"):
        LayerNormalization(axis=3)(np.zeros((2, 3), "float32"))
    with pytest.raises(TypeError, match="axis"):
        LayerNormalization(axis="last")
    config = LayerNormalization(axis=[1, 2], epsilon=1e-5, center=False).get_config()
    assert config["axis"] == [1, 2] and config["epsilon"] == 1e-5 and config["center"] is False
    assert LayerNormalization.from_config(config).get_config() == config


def numpy_group_norm(x, groups, axis, gamma, beta, epsilon):
    axis = axis % x.ndim
    channels = x.shape[axis]
    grouped_shape = list(x.shape)
    grouped_shape[axis:axis + 1] = [groups, channels // groups]
    grouped = x.reshape(grouped_shape)
    reduce = tuple(a for a in range(1, grouped.ndim) if a != axis)
    mean = grouped.mean(axis=reduce, keepdims=True)
    variance = grouped.var(axis=reduce, keepdims=True)
    y = ((grouped - mean) / np.sqrt(variance + epsilon)).reshape(x.shape)
    shape = [1] * x.ndim
    shape[axis] = channels
    return y * gamma.reshape(shape) + beta.reshape(shape)


@pytest.mark.parametrize("shape,groups,axis", [
    ((2, 3, 6), 2, -1), ((2, 3, 6), -1, -1), ((2, 4, 3, 5), 2, 1), ((2, 3, 4, 6), 1, 3),
], ids=str)
def test_group_normalization_matches_numpy(shape, groups, axis, rng):
    x = normal(rng, *shape)
    layer = GroupNormalization(groups=groups, axis=axis)
    layer.build(shape)
    channels = shape[axis]
    assert [(w.path.split("/")[-1], tuple(w.shape)) for w in layer.weights] == [
        ("gamma", (channels,)), ("beta", (channels,))]
    gamma, beta = normal(rng, channels), normal(rng, channels)
    layer.set_weights([gamma, beta])
    n_groups = channels if groups == -1 else groups
    assert_close(layer(x), numpy_group_norm(x, n_groups, axis, gamma, beta, 1e-3))
    assert layer.get_config()["groups"] == groups  # -1 stays -1 after building


def test_group_normalization_errors():
    with pytest.raises(ValueError, match=r"groups.*Received: groups=0"):
        GroupNormalization(groups=0)
    with pytest.raises(ValueError, match=r"Number of groups \(4\) cannot be more than the number of channels \(3\)"):
        GroupNormalization(groups=4)(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match=r"channels \(6\) must be a multiple of the number of groups \(4\)"):
        GroupNormalization(groups=4)(np.zeros((2, 6), "float32"))


# ------------------------------------------------------------- activations


def numpy_relu(x, max_value=None, negative_slope=0.0, threshold=0.0):
    y = np.where(x > threshold, x, negative_slope * (x - threshold))
    return np.minimum(y, max_value) if max_value is not None else y


@pytest.mark.parametrize("kwargs", [
    {}, {"max_value": 1.0}, {"negative_slope": 0.1}, {"threshold": 0.5},
    {"max_value": 0.8, "negative_slope": 0.2, "threshold": 0.3},
], ids=str)
def test_relu_matches_numpy(kwargs, rng):
    x = normal(rng, 3, 5)
    layer = ReLU(**kwargs)
    assert_close(layer(x), numpy_relu(x, **kwargs))
    assert ReLU.from_config(layer.get_config()).get_config() == layer.get_config()


def test_elementwise_activations_match_numpy(rng):
    x = normal(rng, 3, 5)
    assert_close(LeakyReLU()(x), np.where(x >= 0, x, 0.3 * x))
    assert_close(LeakyReLU(negative_slope=0.1)(x), np.where(x >= 0, x, 0.1 * x))
    with pytest.warns(DeprecationWarning, match="alpha"):
        keras2 = LeakyReLU(alpha=0.2)
    assert keras2.get_config()["negative_slope"] == 0.2
    assert_close(keras2(x), np.where(x >= 0, x, 0.2 * x))
    assert_close(ELU()(x), np.where(x > 0, x, np.expm1(x)))
    assert_close(ELU(alpha=0.5)(x), np.where(x > 0, x, 0.5 * np.expm1(x)))
    assert_close(ThresholdedReLU()(x), np.where(x > 1.0, x, 0.0))
    assert_close(ThresholdedReLU(theta=0.2)(x), np.where(x > 0.2, x, 0.0))
    for layer in [LeakyReLU(0.1), ELU(alpha=0.5), ThresholdedReLU(theta=0.2)]:
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config
        assert layer.supports_masking


def test_activation_argument_errors():
    with pytest.raises(ValueError, match=r"max_value.*Received: max_value=-1"):
        ReLU(max_value=-1)
    with pytest.raises(ValueError, match=r"negative_slope.*Received: negative_slope=-0.1"):
        ReLU(negative_slope=-0.1)
    with pytest.raises(ValueError, match=r"threshold.*Received: threshold=-1"):
        ReLU(threshold=-1)
    with pytest.raises(ValueError, match=r"Received: negative_slope=-1"):
        LeakyReLU(negative_slope=-1)
    with pytest.raises(ValueError, match=r">=0. Received: theta=-1"):
        ThresholdedReLU(theta=-1)


@pytest.mark.parametrize("shared_axes,alpha_shape", [
    (None, (3, 4)), ([1], (1, 4)), (2, (3, 1)), ([1, 2], (1, 1)),
], ids=str)
def test_prelu_weight_layout_and_values(shared_axes, alpha_shape, rng):
    x = normal(rng, 2, 3, 4)
    layer = PReLU(shared_axes=shared_axes, name="prelu")
    layer.build(x.shape)
    assert [(w.path, tuple(w.shape)) for w in layer.weights] == [("prelu/alpha", alpha_shape)]
    assert np.all(layer.get_weights()[0] == 0)  # alpha_initializer="zeros": a plain ReLU
    alpha = normal(rng, *alpha_shape)
    layer.set_weights([alpha])
    assert_close(layer(x), np.where(x >= 0, x, alpha[None] * x))


def test_prelu_errors():
    with pytest.raises(ValueError, match=r"shared_axes.*Received: shared_axes=\[0\]"):
        PReLU(shared_axes=[0]).build((2, 3))
    layer = PReLU()
    layer(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError):
        layer(np.zeros((2, 4), "float32"))


def numpy_masked_softmax(x, mask, axis):
    axis = tuple(axis) if isinstance(axis, list) else axis
    if mask is not None:
        x = np.where(mask, x, -1e9)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    y = e / e.sum(axis=axis, keepdims=True)
    return np.where(mask, y, 0.0) if mask is not None else y


@pytest.mark.parametrize("axis,mask_shape", [
    (1, None), ([1, 2], None), (-1, (2, 3, 4)), (1, (2, 3, 4)), (-1, (2, 1, 4)),
    ([1, 2], (2, 3, 4)),
], ids=str)
def test_softmax_with_masks_matches_numpy(axis, mask_shape, rng):
    x = normal(rng, 2, 3, 4)
    mask = None if mask_shape is None else rng.random(mask_shape) > 0.3
    layer = Softmax(axis=axis)
    output = layer(x) if mask is None else layer(x, mask=ops.convert_to_tensor(mask))
    assert_close(output, numpy_masked_softmax(x, mask, axis))


def test_softmax_fully_masked_row_is_zero_and_float_masks(rng):
    x = normal(rng, 2, 4)
    mask = np.array([[1, 1, 0, 0], [0, 0, 0, 0]], "float32")  # float masks: kept where > 0.5
    output = to_numpy(Softmax()(x, mask=ops.convert_to_tensor(mask)))
    np.testing.assert_allclose(output[1], 0.0)
    assert_close(output[0], numpy_masked_softmax(x[:1], mask[:1] > 0.5, -1)[0])
    with pytest.raises(ValueError, match=r"broadcastable.*inputs.shape=\(2, 4\), mask.shape=\(2, 3\)"):
        Softmax()(x, mask=ops.convert_to_tensor(np.ones((2, 3), bool)))


@pytest.mark.parametrize("layer_cls,kwargs,weights", [
    (ReLU, {"max_value": 6.0}, 0), (LeakyReLU, {"negative_slope": 0.2}, 0),
    (PReLU, {"shared_axes": [1]}, 1), (ELU, {"alpha": 0.5}, 0), (Softmax, {"axis": 1}, 0),
    (ThresholdedReLU, {"theta": 0.5}, 0),
    (LayerNormalization, {"axis": [1, 2]}, 2), (GroupNormalization, {"groups": 2}, 2),
], ids=lambda v: getattr(v, "__name__", None))
def test_run_layer_test(layer_cls, kwargs, weights):
    run_layer_test(layer_cls, kwargs, input_shape=(2, 3, 4), expected_output_shape=(2, 3, 4),
                   expected_num_trainable_weights=weights, supports_masking=True)


# ---------------------------------------------------------- regularization


@pytest.mark.parametrize("layer_cls,kwargs", [
    (SpatialDropout1D, {"rate": 0.5}), (SpatialDropout2D, {"rate": 0.5}),
    (GaussianNoise, {"stddev": 0.5}), (GaussianDropout, {"rate": 0.5}),
    (AlphaDropout, {"rate": 0.5}), (ActivityRegularization, {"l1": 0.1}),
], ids=lambda v: getattr(v, "__name__", None))
def test_regularization_layers_are_identity_in_inference(layer_cls, kwargs, rng):
    shape = (2, 3, 4, 5) if layer_cls is SpatialDropout2D else (2, 3, 4)
    x = normal(rng, *shape)
    layer = layer_cls(seed=1, **kwargs) if "seed" in layer_cls.__init__.__code__.co_varnames else layer_cls(**kwargs)
    assert_close(layer(x), x)
    assert_close(layer(x, training=False), x)
    config = layer.get_config()
    assert layer_cls.from_config(config).get_config() == config
    run_layer_test(layer_cls, kwargs, input_shape=shape, expected_output_shape=shape,
                   expected_num_trainable_weights=0, supports_masking=True)


@pytest.mark.parametrize("layer_cls,shape,data_format,channel_axis", [
    (SpatialDropout1D, (4, 6, 8), None, -1),
    (SpatialDropout2D, (4, 8, 5, 5), "channels_first", 1),
    (SpatialDropout3D, (4, 3, 3, 3, 8), "channels_last", -1),
], ids=str)
def test_spatial_dropout_drops_whole_channels(layer_cls, shape, data_format, channel_axis, rng):
    kwargs = {} if data_format is None else {"data_format": data_format}
    layer = layer_cls(0.5, seed=3, **kwargs)
    x = rng.uniform(1.0, 2.0, size=shape).astype("float32")
    y = to_numpy(layer(x, training=True))
    ratio = np.moveaxis(y / x, channel_axis, -1).reshape(shape[0], -1, shape[channel_axis])
    # Per (sample, channel) every position is dropped (0) or kept and scaled by 1 / (1 - rate).
    assert np.allclose(ratio, ratio[:, :1], atol=1e-6)
    assert set(np.round(np.unique(ratio), 4)) <= {0.0, 2.0}
    assert 0 < np.mean(ratio == 0) < 1
    if data_format is not None:
        assert layer.get_config()["data_format"] == data_format


def test_spatial_dropout_rank_and_rate_errors():
    with pytest.raises(ValueError):
        SpatialDropout2D(0.5)(np.zeros((2, 3, 4), "float32"), training=True)
    with pytest.raises(ValueError, match="rate=1.5"):
        SpatialDropout1D(1.5)


def test_gaussian_noise_and_dropout_statistics(rng):
    x = np.ones((200, 50), "float32")
    noisy = to_numpy(GaussianNoise(0.5, seed=1)(x, training=True)) - 1.0
    assert abs(noisy.mean()) < 0.02 and abs(noisy.std() - 0.5) < 0.02
    scaled = to_numpy(GaussianDropout(0.2, seed=1)(x, training=True))
    assert abs(scaled.mean() - 1.0) < 0.02 and abs(scaled.std() - np.sqrt(0.2 / 0.8)) < 0.02
    # Same seed, same noise; the generator advances between calls.
    first = GaussianNoise(0.5, seed=7)
    second = GaussianNoise(0.5, seed=7)
    a, b = to_numpy(first(x, training=True)), to_numpy(second(x, training=True))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, to_numpy(first(x, training=True)))
    with pytest.raises(ValueError, match="stddev=2"):
        GaussianNoise(2)
    with pytest.raises(ValueError, match="rate=-0.1"):
        GaussianDropout(-0.1)


def test_alpha_dropout_affine_values_and_noise_shape(rng):
    rate = 0.3
    x = normal(rng, 64, 6, 5)
    alpha_p = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946
    a = ((1 - rate) * (1 + rate * alpha_p ** 2)) ** -0.5
    b = -a * alpha_p * rate
    y = to_numpy(AlphaDropout(rate, seed=2)(x, training=True))
    kept = np.isclose(y, a * x + b, atol=1e-5)
    dropped = np.isclose(y, a * alpha_p + b, atol=1e-5)
    assert np.all(kept | dropped) and 0.2 < dropped.mean() < 0.4
    shared = to_numpy(AlphaDropout(rate, noise_shape=(None, 1, 5), seed=2)(x, training=True))
    dropped = np.isclose(shared, a * alpha_p + b, atol=1e-5) & ~np.isclose(x * a + b, a * alpha_p + b)
    assert np.all(dropped == dropped[:, :1])  # one draw shared along axis 1
    assert AlphaDropout(rate, noise_shape=(None, 1, 5)).get_config()["noise_shape"] == [None, 1, 5]


def test_activity_regularization_adds_the_penalty_per_sample(rng):
    x = normal(rng, 4, 3)
    layer = ActivityRegularization(l1=0.1, l2=0.2)
    assert_close(layer(x), x)
    expected = (0.1 * np.abs(x).sum() + 0.2 * np.square(x).sum()) / 4
    assert len(layer.losses) == 1
    np.testing.assert_allclose(to_numpy(layer.losses[0]), expected, rtol=1e-5)
    config = layer.get_config()
    assert config["l1"] == 0.1 and config["l2"] == 0.2 and "activity_regularizer" not in config
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ActivityRegularization.from_config(config).get_config() == config


# ------------------------------------------------------- UnitNormalization


@pytest.mark.parametrize("axis", [-1, 1, [1, 2], (0, 2)])
def test_unit_normalization_matches_numpy(axis, rng):
    x = normal(rng, 3, 4, 5)
    x[1] = 0.0  # an all-zero sample stays zero (the norm's lower bound is 1e-12)
    axes = tuple(axis) if isinstance(axis, (list, tuple)) else axis
    norm = np.sqrt(np.sum(np.square(x.astype(np.float64)), axis=axes, keepdims=True))
    assert_close(UnitNormalization(axis=axis)(x), x / np.maximum(norm, 1e-12))


def test_unit_normalization_contract_and_errors():
    run_layer_test(UnitNormalization, {"axis": [1, 2]}, input_shape=(2, 3, 4),
                   expected_output_shape=(2, 3, 4), expected_num_trainable_weights=0,
                   supports_masking=True)
    with pytest.raises(TypeError, match="Received: axis=x"):
        UnitNormalization(axis="x")
    with pytest.raises(ValueError, match="out of bounds"):
        UnitNormalization(axis=3).compute_output_shape((2, 3))
