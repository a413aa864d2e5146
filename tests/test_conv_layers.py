"""Convolution layers against NumPy references, Keras's weight layouts and errors.

Runs on the active backend (``KERAS_BACKEND``). Forward outputs match
``numpy_reference`` within 1e-5 on inputs and weights in [-0.5, 0.5]
(sums of at most ~50 products, so float32 rounding stays near 1e-6).
Every option (strides, "valid"/"same"/"causal", dilation, groups, both
data formats, output_padding, depth_multiplier) appears in some case.
"""
import numpy as np
import pytest

import kfacade
from kfacade.layers.convolutional import (
    Conv1D,
    Conv1DTranspose,
    Conv2D,
    Conv2DTranspose,
    Conv3D,
    Conv3DTranspose,
    DepthwiseConv1D,
    DepthwiseConv2D,
    LocallyConnected1D,
    LocallyConnected2D,
    SeparableConv1D,
    SeparableConv2D,
)

try:
    from tests import numpy_reference as ref
    from tests.helpers import assert_close
    from tests.layer_testing import run_layer_test
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    import numpy_reference as ref
    from helpers import assert_close
    from layer_testing import run_layer_test

CL, CF = "channels_last", "channels_first"


def uniform(rng, *shape):
    return rng.uniform(-0.5, 0.5, size=shape).astype("float32")


def run_in_format(layer, x, data_format):
    """Calls `layer` on channels_last NumPy `x` in `data_format`; returns channels_last NumPy."""
    if data_format == CF:
        x = ref.to_channels_first(x)
    y = np.asarray(kfacade.ops.convert_to_numpy(layer(x)))
    return ref.to_channels_last(y) if data_format == CF else y


def build_in_format(layer, x_shape, data_format):
    """Builds `layer` for the channels_last shape `x_shape` given in `data_format`."""
    shape = (x_shape[0], x_shape[-1]) + tuple(x_shape[1:-1]) if data_format == CF else x_shape
    layer.build(shape)


# ----------------------------------------------------------------- forward

CONV_CASES = [  # (layer class, input shape channels_last, kernel_size, filters, kwargs)
    (Conv1D, (2, 9, 4), 3, 6, dict()),
    (Conv1D, (2, 9, 4), 3, 6, dict(strides=2, padding="same", groups=2, data_format=CF)),
    (Conv1D, (2, 9, 4), 3, 6, dict(padding="causal", dilation_rate=2, data_format=CF)),
    (Conv2D, (2, 7, 6, 4), (3, 3), 6, dict(strides=(2, 1), padding="same", groups=2, data_format=CF,
                                          activation="relu")),
    (Conv2D, (2, 7, 6, 4), (2, 2), 3, dict(padding="same", dilation_rate=(2, 1), use_bias=False)),
    (Conv3D, (1, 5, 4, 5, 2), (2, 3, 2), 4, dict()),
    (Conv3D, (1, 5, 4, 5, 4), 2, 4, dict(strides=2, padding="same", groups=2, data_format=CF)),
]


@pytest.mark.parametrize("cls, x_shape, kernel_size, filters, kwargs", CONV_CASES,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CONV_CASES)])
def test_conv_matches_numpy(rng, cls, x_shape, kernel_size, filters, kwargs):
    layer = cls(filters, kernel_size, **kwargs)
    data_format = kwargs.get("data_format", CL)
    build_in_format(layer, x_shape, data_format)
    rank = len(x_shape) - 2
    groups = kwargs.get("groups", 1)
    kernel = uniform(rng, *ref.as_tuple(kernel_size, rank), x_shape[-1] // groups, filters)
    weights = [kernel] + ([uniform(rng, filters)] if layer.use_bias else [])
    layer.set_weights(weights)
    x = uniform(rng, *x_shape)
    expected = ref.conv(x, kernel, kwargs.get("strides", 1), kwargs.get("padding", "valid"),
                        kwargs.get("dilation_rate", 1), groups)
    if layer.use_bias:
        expected = expected + weights[1]
    if kwargs.get("activation") == "relu":
        expected = np.maximum(expected, 0)
    assert_close(run_in_format(layer, x, data_format), expected)


TRANSPOSE_CASES = [  # (class, input shape channels_last, kernel_size, filters, kwargs)
    (Conv1DTranspose, (2, 5, 3), 3, 4, dict()),
    (Conv1DTranspose, (2, 5, 3), 3, 4, dict(strides=2, padding="same", data_format=CF)),
    (Conv1DTranspose, (2, 5, 3), 2, 2, dict(strides=3, output_padding=1)),  # kernel < stride
    (Conv1DTranspose, (2, 5, 3), 3, 2, dict(dilation_rate=2, padding="same")),
    # output_padding with "same" needs an odd kernel along stride-1 axes: TensorFlow
    # rejects Keras's output length there otherwise (ceil(length / stride) != n).
    (Conv2DTranspose, (2, 4, 3, 3), 3, 2, dict(strides=(2, 1), output_padding=(1, 0),
                                                padding="same", data_format=CF)),
    (Conv3DTranspose, (1, 3, 2, 3, 2), 2, 3, dict(strides=2, activation="relu")),
]


@pytest.mark.parametrize("cls, x_shape, kernel_size, filters, kwargs", TRANSPOSE_CASES,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(TRANSPOSE_CASES)])
def test_conv_transpose_matches_numpy(rng, cls, x_shape, kernel_size, filters, kwargs):
    layer = cls(filters, kernel_size, **kwargs)
    data_format = kwargs.get("data_format", CL)
    build_in_format(layer, x_shape, data_format)
    rank = len(x_shape) - 2
    kernel = uniform(rng, *ref.as_tuple(kernel_size, rank), filters, x_shape[-1])
    bias = uniform(rng, filters)
    layer.set_weights([kernel, bias])
    x = uniform(rng, *x_shape)
    expected = ref.conv_transpose(x, kernel, kwargs.get("strides", 1), kwargs.get("padding", "valid"),
                                  kwargs.get("output_padding"), kwargs.get("dilation_rate", 1)) + bias
    if kwargs.get("activation") == "relu":
        expected = np.maximum(expected, 0)
    assert_close(run_in_format(layer, x, data_format), expected)


DEPTHWISE_CASES = [  # (class, input shape channels_last, kernel_size, kwargs)
    (DepthwiseConv1D, (2, 9, 3), 3, dict(depth_multiplier=2, strides=2, padding="same", data_format=CF)),
    (DepthwiseConv2D, (2, 6, 7, 3), (3, 2), dict(depth_multiplier=2)),
    (DepthwiseConv2D, (2, 6, 7, 3), 3, dict(dilation_rate=2, padding="same", data_format=CF,
                                           use_bias=False)),
]


@pytest.mark.parametrize("cls, x_shape, kernel_size, kwargs", DEPTHWISE_CASES,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(DEPTHWISE_CASES)])
def test_depthwise_conv_matches_numpy(rng, cls, x_shape, kernel_size, kwargs):
    layer = cls(kernel_size, **kwargs)
    data_format = kwargs.get("data_format", CL)
    build_in_format(layer, x_shape, data_format)
    rank, channels = len(x_shape) - 2, x_shape[-1]
    multiplier = kwargs.get("depth_multiplier", 1)
    kernel = uniform(rng, *ref.as_tuple(kernel_size, rank), channels, multiplier)
    weights = [kernel] + ([uniform(rng, channels * multiplier)] if layer.use_bias else [])
    layer.set_weights(weights)
    x = uniform(rng, *x_shape)
    expected = ref.depthwise_conv(x, kernel, kwargs.get("strides", 1), kwargs.get("padding", "valid"),
                                  kwargs.get("dilation_rate", 1))
    if layer.use_bias:
        expected = expected + weights[1]
    assert_close(run_in_format(layer, x, data_format), expected)


SEPARABLE_CASES = [  # (class, input shape channels_last, kernel_size, filters, kwargs)
    (SeparableConv1D, (2, 9, 3), 3, 4, dict(depth_multiplier=2, strides=2, padding="same", data_format=CF)),
    (SeparableConv2D, (2, 6, 5, 3), (3, 2), 4, dict(depth_multiplier=2, dilation_rate=(1, 2),
                                                    activation="relu")),
]


@pytest.mark.parametrize("cls, x_shape, kernel_size, filters, kwargs", SEPARABLE_CASES,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(SEPARABLE_CASES)])
def test_separable_conv_matches_numpy(rng, cls, x_shape, kernel_size, filters, kwargs):
    layer = cls(filters, kernel_size, **kwargs)
    data_format = kwargs.get("data_format", CL)
    build_in_format(layer, x_shape, data_format)
    rank, channels = len(x_shape) - 2, x_shape[-1]
    multiplier = kwargs.get("depth_multiplier", 1)
    depthwise = uniform(rng, *ref.as_tuple(kernel_size, rank), channels, multiplier)
    pointwise = uniform(rng, *(1,) * rank, channels * multiplier, filters)
    bias = uniform(rng, filters)
    layer.set_weights([depthwise, pointwise, bias])
    x = uniform(rng, *x_shape)
    expected = ref.separable_conv(x, depthwise, pointwise, kwargs.get("strides", 1),
                                  kwargs.get("padding", "valid"), kwargs.get("dilation_rate", 1)) + bias
    if kwargs.get("activation") == "relu":
        expected = np.maximum(expected, 0)
    assert_close(run_in_format(layer, x, data_format), expected)


# ----------------------------------------------------- Keras weight layouts


def test_conv1d_kernel_layout_by_hand():
    # kernel (kernel_size, in_channels, filters); output t = sum_k x[t + k] * kernel[k].
    layer = Conv1D(1, 2, use_bias=False)
    layer.build((None, 3, 1))
    layer.set_weights([np.array([[[10.0]], [[1.0]]], "float32")])
    assert_close(layer(np.array([[[1.0], [2.0], [3.0]]], "float32")), [[[12.0], [23.0]]])


def test_conv2d_kernel_layout_by_hand():
    # kernel (rows, cols, in_channels, filters): a 2x2 window over a 2x2 image,
    # two input channels, two filters; bias added per filter.
    layer = Conv2D(2, (2, 2))
    layer.build((None, 2, 2, 2))
    kernel = np.zeros((2, 2, 2, 2), "float32")
    kernel[0, 1, 1, 0] = 1.0  # filter 0 reads channel 1 at row 0, col 1
    kernel[1, 0, 0, 1] = 2.0  # filter 1 reads twice channel 0 at row 1, col 0
    layer.set_weights([kernel, np.array([0.5, -0.5], "float32")])
    x = np.arange(8, dtype="float32").reshape(1, 2, 2, 2)  # x[0, r, c, ch] = 4r + 2c + ch
    assert_close(layer(x), [[[[x[0, 0, 1, 1] + 0.5, 2 * x[0, 1, 0, 0] - 0.5]]]])


def test_conv2d_groups_kernel_layout_by_hand():
    # groups=2: kernel (1, 1, in // groups, filters); filters 0-1 read channel 0, 2-3 channel 1.
    layer = Conv2D(4, 1, groups=2, use_bias=False)
    layer.build((None, 1, 1, 2))
    assert layer.kernel.shape == (1, 1, 1, 4)
    layer.set_weights([np.array([[[[1.0, 2.0, 3.0, 4.0]]]], "float32")])
    assert_close(layer(np.array([[[[10.0, 100.0]]]], "float32")), [[[[10.0, 20.0, 300.0, 400.0]]]])


def test_conv2d_transpose_kernel_layout_by_hand():
    # kernel (rows, cols, filters, in_channels): one input pixel spreads the kernel.
    layer = Conv2DTranspose(2, (2, 2), use_bias=False)
    layer.build((None, 1, 1, 1))
    kernel = np.arange(8, dtype="float32").reshape(2, 2, 2, 1)
    layer.set_weights([kernel])
    assert_close(layer(np.full((1, 1, 1, 1), 3.0, "float32")), 3.0 * kernel[..., 0][None])


def test_depthwise_kernel_layout_by_hand():
    # kernel (rows, cols, in_channels, multiplier); output channel c * multiplier + m.
    layer = DepthwiseConv2D(1, depth_multiplier=2, use_bias=False)
    layer.build((None, 1, 1, 2))
    assert [w.path.split("/")[-1] for w in layer.weights] == ["kernel"]
    layer.set_weights([np.array([[[[1.0, 2.0], [3.0, 4.0]]]], "float32")])
    assert layer.depthwise_kernel is layer.kernel  # Keras 2's attribute name
    assert_close(layer(np.array([[[[10.0, 100.0]]]], "float32")), [[[[10.0, 20.0, 300.0, 400.0]]]])


def test_separable_kernels_layout_by_hand():
    layer = SeparableConv1D(1, 1, depth_multiplier=2)
    layer.build((None, 1, 2))
    names = [w.path.split("/")[-1] for w in layer.weights]
    assert names == ["depthwise_kernel", "pointwise_kernel", "bias"]
    assert [tuple(w.shape) for w in layer.weights] == [(1, 2, 2), (1, 4, 1), (1,)]
    depthwise = np.array([[[1.0, 2.0], [3.0, 4.0]]], "float32")
    pointwise = np.array([[[1.0], [10.0], [100.0], [1000.0]]], "float32")
    layer.set_weights([depthwise, pointwise, np.array([0.5], "float32")])
    # depthwise -> [x0, 2 x0, 3 x1, 4 x1]; pointwise mixes them.
    x0, x1 = 1.0, 2.0
    expected = x0 + 10 * 2 * x0 + 100 * 3 * x1 + 1000 * 4 * x1 + 0.5
    assert_close(layer(np.array([[[x0, x1]]], "float32")), [[[expected]]])


def test_weight_names_and_shapes():
    cases = [
        (Conv1D(6, 3, groups=2), (None, 9, 4), [("kernel", (3, 2, 6)), ("bias", (6,))]),
        (Conv3D(2, (1, 2, 3), data_format=CF), (None, 5, 4, 4, 4), [("kernel", (1, 2, 3, 5, 2)), ("bias", (2,))]),
        (Conv1DTranspose(5, 3), (None, 4, 2), [("kernel", (3, 5, 2)), ("bias", (5,))]),
        (Conv3DTranspose(5, 2, use_bias=False), (None, 3, 3, 3, 2), [("kernel", (2, 2, 2, 5, 2))]),
        (DepthwiseConv1D(3, depth_multiplier=3), (None, 9, 2), [("kernel", (3, 2, 3)), ("bias", (6,))]),
        (SeparableConv2D(7, 3, depth_multiplier=2, data_format=CF), (None, 3, 6, 6),
         [("depthwise_kernel", (3, 3, 3, 2)), ("pointwise_kernel", (1, 1, 6, 7)), ("bias", (7,))]),
    ]
    for layer, shape, expected in cases:
        layer.build(shape)
        got = [(w.path.split("/")[-1], tuple(w.shape)) for w in layer.weights]
        assert got == expected, type(layer).__name__


# ------------------------------------------------------------ output shapes


@pytest.mark.parametrize("layer, input_shape, expected", [
    (Conv2D(3, 3), (None, None, 7, 2), (None, None, 5, 3)),
    (Conv2D(3, 3, strides=2, padding="same", data_format=CF), (4, 2, 7, None), (4, 3, 4, None)),
    (Conv1D(3, 3, padding="causal", strides=2), (None, 9, 2), (None, 5, 3)),
    (Conv1D(3, 4, dilation_rate=2), (None, 9, 2), (None, 3, 3)),
    (Conv1DTranspose(3, 3, strides=2), (None, 5, 2), (None, 11, 3)),
    (Conv1DTranspose(3, 2, strides=3), (None, 5, 2), (None, 15, 3)),
    (Conv2DTranspose(3, 3, strides=2, padding="same", output_padding=1), (None, None, 4, 2), (None, None, 8, 3)),
    (Conv3DTranspose(3, 3, strides=2, data_format=CF), (2, 2, 3, 4, None), (2, 3, 7, 9, None)),
    (DepthwiseConv2D(3, depth_multiplier=2), (None, 5, 5, None), (None, 3, 3, None)),
    (SeparableConv1D(4, 3, padding="same", strides=2), (None, None, 3), (None, None, 4)),
])
def test_compute_output_shape_with_unknown_dims(layer, input_shape, expected):
    assert layer.compute_output_shape(input_shape) == expected


def test_symbolic_call_with_unknown_steps():
    inputs = kfacade.Input(shape=(None, 3))
    outputs = Conv1D(4, 3, padding="causal")(inputs)
    assert outputs.shape == (None, None, 4)
    model = kfacade.Model(inputs, outputs)
    x = np.ones((2, 6, 3), "float32")
    assert model.predict(x, verbose=0).shape == (2, 6, 4)


def test_default_data_format_follows_image_data_format():
    previous = kfacade.backend.image_data_format()
    try:
        kfacade.backend.set_image_data_format(CF)
        assert Conv2D(2, 3).data_format == CF
    finally:
        kfacade.backend.set_image_data_format(previous)
    assert Conv2D(2, 3).data_format == previous


# --------------------------------------------------------- run_layer_test

# The gradient check costs most (JAX compiles each backward op eagerly), so it
# runs on three layers that between them differentiate every op: conv
# (grouped Conv2D), conv_transpose (Conv2DTranspose) and depthwise_conv with
# a pointwise conv (SeparableConv2D).
LAYER_TEST_CASES = [  # (class, kwargs, input shape, output shape, trainable weights, gradient check)
    (Conv1D, dict(filters=3, kernel_size=2, padding="causal"), (2, 5, 2), (2, 5, 3), 2, False),
    (Conv2D, dict(filters=4, kernel_size=2, groups=2, data_format=CF), (2, 2, 4, 3), (2, 4, 3, 2), 2, True),
    (Conv3D, dict(filters=2, kernel_size=2, use_bias=False), (1, 3, 3, 3, 2), (1, 2, 2, 2, 2), 1, False),
    (Conv1DTranspose, dict(filters=2, kernel_size=3, strides=2), (2, 3, 2), (2, 7, 2), 2, False),
    (Conv2DTranspose, dict(filters=2, kernel_size=2, strides=2, padding="same"), (2, 2, 3, 2), (2, 4, 6, 2), 2, True),
    (Conv3DTranspose, dict(filters=2, kernel_size=2), (1, 2, 2, 2, 2), (1, 3, 3, 3, 2), 2, False),
    (DepthwiseConv1D, dict(kernel_size=2, depth_multiplier=2), (2, 4, 2), (2, 3, 4), 2, False),
    (DepthwiseConv2D, dict(kernel_size=2), (2, 3, 3, 2), (2, 2, 2, 2), 2, False),
    (SeparableConv1D, dict(filters=3, kernel_size=2), (2, 4, 2), (2, 3, 3), 3, False),
    (SeparableConv2D, dict(filters=3, kernel_size=2, depth_multiplier=2), (2, 3, 3, 2), (2, 2, 2, 3), 3, True),
    (LocallyConnected1D, dict(filters=2, kernel_size=2, strides=2), (2, 5, 3), (2, 2, 2), 2, True),
    (LocallyConnected2D, dict(filters=2, kernel_size=(2, 1), data_format=CF), (2, 3, 3, 2), (2, 2, 2, 2), 2, False),
]


@pytest.mark.parametrize("cls, kwargs, input_shape, output_shape, num_weights, gradients", LAYER_TEST_CASES,
                         ids=[c[0].__name__ for c in LAYER_TEST_CASES])
def test_run_layer_test(cls, kwargs, input_shape, output_shape, num_weights, gradients):
    run_layer_test(cls, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=num_weights, expected_num_non_trainable_weights=0,
                   supports_masking=False, run_training_check=gradients)


def test_config_keeps_keras_keys():
    config = Conv2D(3, 2, kernel_regularizer="l2", activation="relu").get_config()
    for key in ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
                "groups", "activation", "use_bias", "kernel_initializer", "bias_initializer",
                "kernel_regularizer", "bias_regularizer", "activity_regularizer",
                "kernel_constraint", "bias_constraint"):
        assert key in config
    assert config["kernel_size"] == (2, 2) and config["activation"] == "relu"
    assert Conv2DTranspose(2, 3, output_padding=0).get_config()["output_padding"] == (0, 0)


# ------------------------------------------------------------------ errors


def test_conv2d_fed_3d_names_layer_ndim_and_shape():
    layer = Conv2D(2, 3, name="my_conv")
    with pytest.raises(ValueError, match=r"my_conv.*min_ndim=4.*ndim=3.*\(2, 5, 3\)"):
        layer(np.zeros((2, 5, 3), "float32"))
    with pytest.raises(ValueError, match=r"my_conv_2.*min_ndim=4.*ndim=3"):
        Conv2D(2, 3, name="my_conv_2")(kfacade.Input(shape=(5, 3)))


def test_conv1d_fed_4d_raises():
    with pytest.raises(ValueError, match=r"ndim=3.*ndim=4"):
        Conv1D(2, 3)(np.zeros((1, 5, 5, 2), "float32"))


def test_built_conv_rejects_other_channel_count():
    layer = Conv2D(2, 1)
    layer(np.zeros((1, 3, 3, 2), "float32"))
    with pytest.raises(ValueError, match="axis -1"):
        layer(np.zeros((1, 3, 3, 5), "float32"))


@pytest.mark.parametrize("cls, args", [
    (Conv1D, (2, 3)), (Conv2D, (2, 3)), (Conv3D, (2, 3)), (Conv2DTranspose, (2, 3)),
    (DepthwiseConv2D, (3,)), (SeparableConv2D, (2, 3)),
])
def test_invalid_padding_names_layer_and_value(cls, args):
    with pytest.raises(ValueError, match=rf"{cls.__name__} layer .*Received: padding='nonsense'"):
        cls(*args, padding="nonsense")


def test_causal_padding_only_for_conv1d():
    Conv1D(2, 3, padding="CAUSAL")
    with pytest.raises(ValueError, match="padding='causal'"):
        Conv2D(2, 3, padding="causal")
    with pytest.raises(ValueError, match="padding='causal'"):
        Conv1DTranspose(2, 3, padding="causal")


@pytest.mark.parametrize("kwargs, match", [
    (dict(filters=0, kernel_size=3), "filters=0"),
    (dict(filters=-2, kernel_size=3), "filters=-2"),
    (dict(filters=2.5, kernel_size=3), "filters=2.5"),
    (dict(filters=3, kernel_size=3, groups=2), "groups=2, filters=3"),
    (dict(filters=2, kernel_size=3, groups=0), "groups=0"),
    (dict(filters=2, kernel_size=(3, 3, 3)), "kernel_size"),
    (dict(filters=2, kernel_size=0), "kernel_size"),
    (dict(filters=2, kernel_size=3, strides=0), "strides"),
    (dict(filters=2, kernel_size=3, strides=2, dilation_rate=2), r"strides=\(2, 2\) and dilation_rate=\(2, 2\)"),
    (dict(filters=2, kernel_size=3, data_format="channels_middle"), "channels_middle"),
])
def test_conv2d_argument_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Conv2D(**kwargs)


def test_groups_must_divide_input_channels():
    with pytest.raises(ValueError, match=r"groups=2.*3 channels"):
        Conv2D(4, 1, groups=2)(np.zeros((1, 2, 2, 3), "float32"))


def test_output_too_small_raises():
    with pytest.raises(ValueError, match="negative"):
        Conv2D(2, 5)(np.zeros((1, 3, 3, 1), "float32"))


def test_transpose_and_depthwise_validation():
    with pytest.raises(ValueError, match="output_padding"):
        Conv2DTranspose(2, 3, strides=2, output_padding=2)
    with pytest.raises(ValueError, match="dilation_rate"):
        Conv1DTranspose(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="depth_multiplier=0"):
        DepthwiseConv2D(3, depth_multiplier=0)
    with pytest.raises(ValueError, match="depth_multiplier=0"):
        SeparableConv1D(2, 3, depth_multiplier=0)
    with pytest.raises(ValueError, match="filters=0"):
        SeparableConv2D(0, 3)


# ------------------------------------------------------ LocallyConnected1D/2D
def np_locally_connected(x, kernel, bias, kernel_size, strides, channels_first):
    """Keras 2's ``local_conv`` and ``bias_add``, one output position at a time."""
    if channels_first:
        x = np.moveaxis(x, 1, -1)
    spatial = [(n - k) // s + 1 for n, k, s in zip(x.shape[1:-1], kernel_size, strides)]
    out = np.zeros((x.shape[0], *spatial, kernel.shape[-1]))
    for position, index in enumerate(np.ndindex(*spatial)):
        window = x[(slice(None),) + tuple(slice(i * s, i * s + k) for i, s, k in
                                          zip(index, strides, kernel_size))]
        if channels_first:  # flattened channels first
            window = np.moveaxis(window, -1, 1)
        out[(slice(None),) + index] = window.reshape(len(x), -1) @ kernel[position]
    if channels_first:  # the bias (*spatial, filters) reshaped, as Keras 2's bias_add
        return np.moveaxis(out, -1, 1) + bias.reshape(bias.shape[-1], *spatial)
    return out + bias


@pytest.mark.parametrize("cls, kernel_size, strides, data_format, input_shape", [
    (LocallyConnected1D, (3,), (2,), None, (2, 9, 3)),
    (LocallyConnected1D, (2,), (1,), CF, (2, 3, 6)),
    (LocallyConnected2D, (3, 2), (2, 1), None, (2, 7, 6, 3)),
    (LocallyConnected2D, (2, 2), (1, 2), CF, (2, 3, 5, 6)),
])
def test_locally_connected_matches_keras2_local_conv(cls, kernel_size, strides, data_format,
                                                     input_shape, rng):
    x = rng.uniform(-0.5, 0.5, input_shape).astype("float32")
    layer = cls(4, kernel_size, strides=strides, data_format=data_format)
    layer.build(input_shape)
    kernel, bias = (rng.uniform(-0.5, 0.5, tuple(w.shape)).astype("float32")
                    for w in layer.weights)
    layer.set_weights([kernel, bias])
    expected = np_locally_connected(x, kernel, bias, kernel_size, strides, data_format == CF)
    assert_close(layer(x), expected)
    assert tuple(layer.compute_output_shape(input_shape)) == expected.shape


def test_locally_connected_errors_name_the_argument():
    with pytest.raises(ValueError, match="Only 'valid'"):
        LocallyConnected2D(2, 3, padding="same")
    with pytest.raises(ValueError, match="implementation=2"):
        LocallyConnected1D(2, 3, implementation=2)
    with pytest.raises(ValueError, match="spatial sizes"):
        LocallyConnected1D(2, 3).build((None, None, 4))
