"""Keras 3's newer activations and nn ops (``ops.celu`` ... ``ops.psnr``,
``activations.mish`` ...) and the ``RMSNormalization`` layer, against NumPy.

References are computed in float64 from the float32 inputs the backend
receives, and compared with ``tests.helpers``' float32 tolerances. Inputs
include the points where a piecewise op changes branch (its thresholds, -1
and 1), where Keras's strict and non-strict comparisons decide the value.
Runs on the active backend (``KERAS_BACKEND``).
"""
import numpy as np
import pytest

import kfacade
from kfacade import activations, layers, ops

try:
    from tests.helpers import assert_close
    from tests.layer_testing import run_layer_test
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    from helpers import assert_close
    from layer_testing import run_layer_test

F32 = np.float32

#: Branch points of the piecewise ops, and values far out on both sides.
SPECIAL = np.array([-30.0, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 30.0], F32)


def elementwise_inputs(rng):
    """(4, 9) float32: random values in [-3, 3], and one row of `SPECIAL`."""
    return np.concatenate([rng.uniform(-3.0, 3.0, (3, 9)), SPECIAL[None]]).astype(F32)


def to_numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


# ------------------------------------------------------- NumPy references


def np_softplus(x):
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def np_celu(x, alpha=1.0):
    return np.where(x >= 0, x, alpha * (np.exp(np.minimum(x, 0) / alpha) - 1.0))


def np_glu(x, axis=-1):
    a, b = np.split(x, 2, axis=axis)
    return a * np_sigmoid(b)


def np_hard_silu(x):
    return x * np.clip(x / 6.0 + 0.5, 0.0, 1.0)


def np_sparse_plus(x):
    return np.select([x <= -1, x < 1], [0.0, (x + 1) ** 2 / 4], x)


def np_sparse_sigmoid(x):
    return np.select([x <= -1, x < 1], [0.0, (x + 1) / 2], 1.0)


def np_soft_shrink(x, threshold=0.5):
    return np.select([x > threshold, x < -threshold], [x - threshold, x + threshold], 0.0)


def np_sparsemax(x, axis=-1):
    """The projection onto the simplex by bisection on tau (no sort): the tau
    with ``sum(max(x - tau, 0)) == 1`` lies in [max(x) - 1, max(x)]."""
    x = np.moveaxis(x, axis, -1)
    low = x.max(axis=-1, keepdims=True) - 1.0
    high = low + 1.0
    for _ in range(100):
        tau = (low + high) / 2
        too_much = np.maximum(x - tau, 0).sum(axis=-1, keepdims=True) > 1.0
        low, high = np.where(too_much, tau, low), np.where(too_much, high, tau)
    return np.moveaxis(np.maximum(x - (low + high) / 2, 0.0), -1, axis)


#: (op name, keyword arguments, float64 NumPy reference of x).
ELEMENTWISE = [
    ("celu", {}, np_celu),
    ("celu", {"alpha": 0.5}, lambda x: np_celu(x, 0.5)),
    ("hard_shrink", {}, lambda x: np.where(np.abs(x) > 0.5, x, 0.0)),
    ("hard_shrink", {"threshold": 1.0}, lambda x: np.where(np.abs(x) > 1.0, x, 0.0)),
    ("hard_tanh", {}, lambda x: np.clip(x, -1.0, 1.0)),
    ("hard_silu", {}, np_hard_silu),
    ("hard_swish", {}, np_hard_silu),
    ("log_sigmoid", {}, lambda x: -np_softplus(-x)),
    ("soft_shrink", {}, np_soft_shrink),
    ("soft_shrink", {"threshold": 1.0}, lambda x: np_soft_shrink(x, 1.0)),
    ("sparse_plus", {}, np_sparse_plus),
    ("sparse_sigmoid", {}, np_sparse_sigmoid),
    ("squareplus", {}, lambda x: (x + np.sqrt(x * x + 4.0)) / 2),
    ("squareplus", {"b": 1}, lambda x: (x + np.sqrt(x * x + 1.0)) / 2),
    ("tanh_shrink", {}, lambda x: x - np.tanh(x)),
    ("threshold", {"threshold": 0.5, "default_value": -2.0}, lambda x: np.where(x > 0.5, x, -2.0)),
]


def case_id(case):
    name, kwargs, _ = case
    return name + "".join(f"-{k}={v}" for k, v in kwargs.items())


@pytest.mark.parametrize("case", ELEMENTWISE, ids=case_id)
def test_elementwise_op_matches_numpy(case, rng):
    name, kwargs, reference = case
    x = elementwise_inputs(rng)
    result = getattr(ops, name)(x, **kwargs)
    assert ops.dtype(result) == "float32"
    assert_close(result, reference(x.astype(np.float64)), err_msg=name)


@pytest.mark.parametrize("case", [c for c in ELEMENTWISE if c[0] != "hard_swish"], ids=case_id)
def test_activation_matches_its_op(case, rng):
    name, kwargs, reference = case
    x = elementwise_inputs(rng)
    assert_close(getattr(activations, name)(x, **kwargs), reference(x.astype(np.float64)),
                 err_msg=name)


def test_mish_matches_numpy(rng):
    x = elementwise_inputs(rng)
    x64 = x.astype(np.float64)
    assert_close(activations.mish(x), x64 * np.tanh(np_softplus(x64)))


def test_log_sigmoid_is_finite_far_out():
    x = np.array([-200.0, -30.0, 30.0, 200.0], F32)
    result = to_numpy(ops.log_sigmoid(x))
    assert np.all(np.isfinite(result))
    assert_close(result, [-200.0, -30.0, -np.exp(-30.0), 0.0], rtol=1e-6, atol=1e-12)


def test_integer_inputs_give_float_activations():
    x = np.array([-2, 0, 2], np.int32)
    result = ops.sparse_sigmoid(x)
    assert ops.dtype(result) == kfacade.config.floatx()
    assert_close(result, [0.0, 0.5, 1.0])
    assert ops.dtype(ops.hard_tanh(x)) == "int32"  # clipping keeps the integers


# ----------------------------------------------------------------- glu


@pytest.mark.parametrize("axis", [-1, 0])
def test_glu_halves_the_axis(axis, rng):
    x = rng.uniform(-3, 3, (4, 6, 2)).astype(F32)
    result = ops.glu(x, axis=axis)
    expected_shape = list(x.shape)
    expected_shape[axis] //= 2
    assert tuple(ops.shape(result)) == tuple(expected_shape)
    assert_close(result, np_glu(x.astype(np.float64), axis))
    assert_close(activations.glu(x, axis=axis), np_glu(x.astype(np.float64), axis))


def test_glu_rejects_an_odd_axis():
    with pytest.raises(ValueError, match=r"must be even.*x.shape=\(2, 3\) with axis=-1 \(size 3\)"):
        ops.glu(np.zeros((2, 3), F32))
    with pytest.raises(ValueError, match=r"out of bounds.*axis=2"):
        ops.glu(np.zeros((2, 4), F32), axis=2)


# ----------------------------------------------------------- sparsemax


#: Rows with known projections. Keras 3.15 gives [0, 0, 0.25] for the second
#: and zeros for the third (keras-team/keras#23425).
SPARSEMAX_ROWS = np.array(
    [[-1.0, 0.0, 1.0], [0.0, 0.5, 1.0], [1.0, 1.0, 1.0], [10.0, 0.0, -10.0]], F32)
SPARSEMAX_EXPECTED = np.array([[0.0, 0.0, 1.0], [0.0, 0.25, 0.75], [1 / 3, 1 / 3, 1 / 3],
                               [1.0, 0.0, 0.0]])


@pytest.mark.parametrize("axis", [-1, 0])
def test_sparsemax_projects_onto_the_simplex(axis, rng):
    rows = np.concatenate([SPARSEMAX_ROWS, rng.uniform(-2, 2, (6, 3)).astype(F32)])
    x = rows if axis == -1 else rows.T  # the same rows along either axis
    result = to_numpy(ops.sparsemax(x, axis=axis))
    assert_close(activations.sparsemax(x, axis=axis), result)
    result = result if axis == -1 else result.T
    assert_close(result, np_sparsemax(rows.astype(np.float64)))
    assert_close(result[:4], SPARSEMAX_EXPECTED)
    assert_close(result.sum(axis=-1), np.ones(len(rows)))
    assert np.all(result >= 0.0)
    # Exact zeros outside the support, not tiny positives.
    assert result[0, 0] == 0.0 and result[1, 0] == 0.0 and result[3, 2] == 0.0


# ------------------------------------------------- depth and space


def np_depth_to_space(x, r, data_format):
    """Index by index: channels_last reads channel ``(i * r + j) * C + c``
    (TensorFlow's order), channels_first ``c * r * r + i * r + j`` (PyTorch's)."""
    if data_format == "channels_first":
        n, c_in, h, w = x.shape
        c = c_in // (r * r)
        out = np.empty((n, c, h * r, w * r), x.dtype)
        for i in range(r):
            for j in range(r):
                for k in range(c):
                    out[:, k, i::r, j::r] = x[:, k * r * r + i * r + j]
        return out
    n, h, w, c_in = x.shape
    c = c_in // (r * r)
    out = np.empty((n, h * r, w * r, c), x.dtype)
    for i in range(r):
        for j in range(r):
            out[:, i::r, j::r, :] = x[:, :, :, (i * r + j) * c:(i * r + j + 1) * c]
    return out


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("block_size", [2, 3])
def test_depth_to_space_and_back(data_format, block_size, rng):
    r = block_size
    shape = (2, 3, 4, 2 * r * r) if data_format == "channels_last" else (2, 2 * r * r, 3, 4)
    x = rng.standard_normal(shape).astype(F32)
    spread = to_numpy(ops.depth_to_space(x, r, data_format=data_format))
    np.testing.assert_array_equal(spread, np_depth_to_space(x, r, data_format))
    # space_to_depth is its inverse, value for value.
    np.testing.assert_array_equal(
        to_numpy(ops.space_to_depth(spread, r, data_format=data_format)), x)


def test_depth_and_space_errors():
    with pytest.raises(ValueError,
                       match=r"channels \(5\) must be divisible by block_size\*\*2 \(4\)"):
        ops.depth_to_space(np.zeros((1, 2, 2, 5), F32), 2)
    with pytest.raises(ValueError, match=r"channels \(6\) must be divisible"):
        ops.depth_to_space(np.zeros((1, 6, 2, 2), F32), 2, data_format="channels_first")
    with pytest.raises(ValueError, match=r"height \(3\) must be divisible by block_size \(2\)"):
        ops.space_to_depth(np.zeros((1, 3, 4, 1), F32), 2)
    with pytest.raises(ValueError, match=r"width \(5\) must be divisible"):
        ops.space_to_depth(np.zeros((1, 1, 4, 5), F32), 2, data_format="channels_first")
    with pytest.raises(ValueError, match=r"at least 2. Received: block_size=1"):
        ops.depth_to_space(np.zeros((1, 2, 2, 4), F32), 1)
    with pytest.raises(ValueError, match=r"4-D input.*x.shape=\(2, 4\)"):
        ops.space_to_depth(np.zeros((2, 4), F32), 2)
    with pytest.raises(ValueError, match="data_format"):
        ops.depth_to_space(np.zeros((1, 2, 2, 4), F32), 2, data_format="nhwc")


# ---------------------------------------------------- multi_hot, psnr


def test_multi_hot_matches_numpy():
    labels = np.array([[0, 3, 3], [1, 2, -1]], np.int32)
    result = ops.multi_hot(labels, num_classes=4)
    assert ops.dtype(result) == "float32"
    np.testing.assert_array_equal(to_numpy(result), [[1, 0, 0, 1], [0, 1, 1, 0]])
    # 1-D labels: one vector; Keras 2's `num_tokens`; another dtype.
    np.testing.assert_array_equal(
        to_numpy(ops.multi_hot(np.array([0, 2]), num_tokens=4, dtype="int32")), [1, 0, 1, 0])
    # axis=0 puts the classes first, then reduces axis 1 (Keras's rule):
    # result[c, j] is whether some row i has labels[i, j] == c.
    np.testing.assert_array_equal(
        to_numpy(ops.multi_hot(labels, 4, axis=0)),
        (labels[None] == np.arange(4)[:, None, None]).any(axis=1))


def test_multi_hot_errors():
    with pytest.raises(ValueError, match="sparse tensors are not supported"):
        ops.multi_hot(np.array([0, 1]), num_classes=3, sparse=True)
    with pytest.raises(ValueError, match="`num_classes` must be specified"):
        ops.multi_hot(np.array([0, 1]))


def test_psnr_matches_numpy(rng):
    x1 = rng.uniform(0, 1, (2, 4, 4, 3)).astype(F32)
    x2 = np.clip(x1 + rng.normal(0, 0.1, x1.shape), 0, 1).astype(F32)
    mse = np.mean((x1.astype(np.float64) - x2) ** 2)
    for max_val in (1.0, 255.0):
        result = ops.psnr(x1, x2, max_val)
        assert tuple(ops.shape(result)) == ()
        assert_close(result, 20 * np.log10(max_val) - 10 * np.log10(mse))
    with pytest.raises(ValueError, match=r"x1.shape=\(2, 3\), x2.shape=\(3,\)"):
        ops.psnr(np.zeros((2, 3), F32), np.zeros(3, F32), 1.0)


# ------------------------------------------------------ normalization


def np_layer_norm(x, axes, gamma=None, beta=None, epsilon=1e-7):
    mean = x.mean(axis=tuple(axes), keepdims=True)
    y = (x - mean) / np.sqrt(x.var(axis=tuple(axes), keepdims=True) + epsilon)
    shape = [x.shape[a] if a in axes else 1 for a in range(x.ndim)]
    if gamma is not None:
        y = y * gamma.reshape(shape)
    if beta is not None:
        y = y + beta.reshape(shape)
    return y


def np_rms_norm(x, axes, scale=None, epsilon=1e-7):
    y = x / np.sqrt(np.mean(x * x, axis=tuple(axes), keepdims=True) + epsilon)
    if scale is not None:
        y = y * scale.reshape([x.shape[a] if a in axes else 1 for a in range(x.ndim)])
    return y


@pytest.mark.parametrize("axis", [-1, [0, 2]], ids=str)
def test_layer_normalization_matches_numpy(axis, rng):
    x = rng.standard_normal((2, 3, 4)).astype(F32)
    axes = sorted(a % 3 for a in (axis if isinstance(axis, list) else [axis]))
    shape = tuple(x.shape[a] for a in axes)
    gamma, beta = (rng.standard_normal(shape).astype(F32) for _ in range(2))
    x64 = x.astype(np.float64)
    # Default epsilon: config.epsilon() (1e-7), not the layer's 1e-3.
    assert_close(ops.layer_normalization(x, axis=axis), np_layer_norm(x64, axes))
    assert_close(ops.layer_normalization(x, gamma, beta, axis=axis, epsilon=0.5),
                 np_layer_norm(x64, axes, gamma, beta, 0.5))


def test_layer_normalization_rms_scaling_and_half_inputs(rng):
    x = rng.standard_normal((2, 5)).astype(F32)
    gamma = rng.standard_normal(5).astype(F32)
    with pytest.warns(UserWarning, match="deprecated"):
        result = ops.layer_normalization(x, gamma, np.ones(5, F32), rms_scaling=True)
    x64 = x.astype(np.float64)
    assert_close(result, x64 / np.sqrt(x64.var(axis=-1, keepdims=True) + 1e-7) * gamma)
    half = ops.layer_normalization(x.astype("float16"))
    assert ops.dtype(half) == "float16"
    assert_close(ops.cast(half, "float32"), np_layer_norm(x64, [1]), rtol=2e-3, atol=2e-3)
    with pytest.raises(TypeError, match="unexpected keyword arguments"):
        ops.layer_normalization(x, center=False)


@pytest.mark.parametrize("axis", [-1, 1, [1, 2]], ids=str)
def test_rms_normalization_matches_numpy(axis, rng):
    x = rng.standard_normal((2, 3, 4)).astype(F32)
    axes = sorted(a % 3 for a in (axis if isinstance(axis, list) else [axis]))
    scale = rng.standard_normal(tuple(x.shape[a] for a in axes)).astype(F32)
    x64 = x.astype(np.float64)
    assert_close(ops.rms_normalization(x, axis=axis), np_rms_norm(x64, axes))
    # `scale` multiplies the normalized values (it is not added).
    assert_close(ops.rms_normalization(x, scale, axis=axis, epsilon=1e-2),
                 np_rms_norm(x64, axes, scale, 1e-2))


def test_rms_normalization_default_epsilon_is_config_epsilon():
    x = np.full((1, 4), 1e-4, F32)  # mean square 1e-8: the epsilon (1e-7) dominates
    assert_close(ops.rms_normalization(x), x / np.sqrt(1e-8 + 1e-7), rtol=1e-5, atol=0)
    assert ops.dtype(ops.rms_normalization(x.astype("float16"))) == "float16"


# ------------------------------------------------------ symbolic calls


def test_symbolic_calls_infer_output_shapes():
    x = kfacade.Input((4, 6))
    assert tuple(ops.glu(x).shape) == (None, 4, 3)
    assert tuple(ops.glu(x, axis=1).shape) == (None, 2, 6)
    assert tuple(ops.sparsemax(x, axis=1).shape) == (None, 4, 6)
    assert tuple(activations.mish(x).shape) == (None, 4, 6)
    assert tuple(ops.rms_normalization(x).shape) == (None, 4, 6)
    assert tuple(ops.psnr(x, x, 1.0).shape) == ()
    image = kfacade.Input((2, 3, 8))
    assert tuple(ops.depth_to_space(image, 2).shape) == (None, 4, 6, 2)
    assert tuple(ops.space_to_depth(kfacade.Input((4, 6, 3)), 2).shape) == (None, 2, 3, 12)
    labels = kfacade.Input((3,), dtype="int32")
    assert tuple(ops.multi_hot(labels, num_classes=5).shape) == (None, 5)


def test_unknown_sizes_stay_unknown_where_a_stand_in_would_not_divide(rng):
    # Shape rules, not runs on stand-ins of 2 and 3 for the unknown sizes.
    image = kfacade.Input((None, None, 3))
    packed = ops.space_to_depth(image, 2)
    assert tuple(packed.shape) == (None, None, None, 12)
    assert tuple(ops.depth_to_space(kfacade.Input((8, None, None)), 2,
                                    data_format="channels_first").shape) == (None, 2, None, None)
    assert tuple(ops.glu(kfacade.Input((None,))).shape) == (None, None)
    assert tuple(ops.glu(kfacade.Input((4,)), axis=0).shape) == (None, 4)
    with pytest.raises(ValueError, match=r"must be even.*\(size 3\)"):
        ops.glu(kfacade.Input((3,)))
    with pytest.raises(ValueError, match=r"width \(5\) must be divisible"):
        ops.space_to_depth(kfacade.Input((4, 5, 3)), 2)
    model = kfacade.Model(image, ops.depth_to_space(packed, 2))
    x = rng.standard_normal((1, 4, 6, 3)).astype(F32)
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)  # the round trip


def test_a_functional_model_of_the_ops_predicts_the_eager_values(rng):
    inputs = kfacade.Input((4, 6))
    outputs = ops.sparsemax(ops.glu(ops.layer_normalization(inputs), axis=-1))
    model = kfacade.Model(inputs, outputs)
    x = rng.standard_normal((3, 4, 6)).astype(F32)
    expected = np_sparsemax(np_glu(np_layer_norm(x.astype(np.float64), [2])))
    assert_close(model.predict(x, verbose=0), expected)


# ---------------------------------------------- activations by name

NEW_ACTIVATIONS = ["celu", "glu", "hard_shrink", "hard_silu", "hard_tanh", "log_sigmoid", "mish",
                   "soft_shrink", "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus",
                   "tanh_shrink", "threshold"]


@pytest.mark.parametrize("name", NEW_ACTIVATIONS)
def test_activation_is_found_and_serialized_by_name(name):
    fn = getattr(activations, name)
    assert activations.get(name) is fn
    assert activations.serialize(fn) == name
    assert activations.deserialize(name) is fn


def test_hard_swish_is_hard_silu():
    assert activations.hard_swish is activations.hard_silu
    assert activations.get("hard_swish") is activations.hard_silu
    assert activations.serialize(activations.hard_swish) == "hard_silu"  # as Keras 3
    assert ops.hard_swish is ops.hard_silu


def test_dense_with_mish_round_trips_through_its_config(rng):
    dense = layers.Dense(4, activation="mish")
    x = rng.standard_normal((2, 3)).astype(F32)
    y = dense(x)
    config = dense.get_config()
    assert config["activation"] == "mish"
    clone = layers.Dense.from_config(config)
    assert clone.activation is activations.mish
    clone.build((2, 3))
    clone.set_weights(dense.get_weights())
    assert_close(clone(x), y)
    kernel, bias = dense.get_weights()
    z = x.astype(np.float64) @ kernel + bias
    assert_close(y, z * np.tanh(np_softplus(z)))


# ------------------------------------------------------ RMSNormalization


@pytest.mark.parametrize("axis", [-1, [1, 2]], ids=str)
def test_rms_normalization_layer_matches_numpy(axis, rng):
    x = rng.standard_normal((2, 3, 4)).astype(F32)
    layer = layers.RMSNormalization(axis=axis)
    layer.build(x.shape)
    axes = sorted(a % 3 for a in (axis if isinstance(axis, list) else [axis]))
    shape = tuple(x.shape[a] for a in axes)
    assert [(w.path.split("/")[-1], tuple(w.shape)) for w in layer.weights] == [("scale", shape)]
    np.testing.assert_array_equal(layer.get_weights()[0], np.ones(shape, F32))
    scale = rng.standard_normal(shape).astype(F32)
    layer.set_weights([scale])
    assert_close(layer(x), np_rms_norm(x.astype(np.float64), axes, scale, 1e-6))
    assert layer.get_config()["axis"] == axis and layer.get_config()["epsilon"] == 1e-6


def test_rms_normalization_layer_checks():
    run_layer_test(layers.RMSNormalization, {"axis": [1, 2], "epsilon": 1e-5},
                   input_shape=(2, 3, 4), expected_output_shape=(2, 3, 4),
                   expected_num_trainable_weights=1, expected_num_non_trainable_weights=0)
    with pytest.raises(ValueError, match=r"Axis 3 is out of bounds for input shape \(2, 3\)"):
        layers.RMSNormalization(axis=3)(np.zeros((2, 3), F32))
    with pytest.raises(TypeError, match="axis"):
        layers.RMSNormalization(axis="last")


def test_rms_normalization_layer_trains_and_saves(rng, tmp_path):
    model = kfacade.Sequential([
        kfacade.Input((5,)), layers.Dense(4), layers.RMSNormalization(name="rms"), layers.Dense(1),
    ])
    x = rng.standard_normal((16, 5)).astype(F32)
    model.compile("sgd", "mse")
    model.fit(x, rng.standard_normal((16, 1)).astype(F32), epochs=1, batch_size=8, verbose=0)
    scale = model.get_layer("rms").get_weights()[0]
    assert not np.allclose(scale, 1.0)  # the scale is trained
    path = str(tmp_path / "rms.keras")
    model.save(path)
    loaded = kfacade.models.load_model(path)
    assert type(loaded.get_layer("rms")) is layers.RMSNormalization
    np.testing.assert_array_equal(loaded.get_layer("rms").get_weights()[0], scale)
    assert_close(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
