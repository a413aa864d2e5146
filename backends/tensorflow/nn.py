"""The contract's ``nn`` family over ``tf.nn``: activations, conv and pool, moments, dropout.

Conv and pool ops take Keras's kernel layouts and data formats, and run on
the kernels every CPU has (see the conv/pool helpers below).
"""
import builtins

import numpy as np
import tensorflow as tf

from kfacade.backend.contract import FAMILIES
from kfacade.backend.conv_geometry import (
    deconv_output_length,
    same_padding,
    standardize_data_format,
    standardize_padding,
    standardize_tuple,
)

from ._helpers import _dim, _float, _floatx, _promote, _rank, _slice, _static_or_dynamic_shape
from .random import stateless_seed
from .variables import convert_to_tensor

__all__ = list(FAMILIES["nn"])


# -------------------------------------------------------------------- nn


def relu(x):
    return tf.nn.relu(convert_to_tensor(x))


def relu6(x):
    return tf.nn.relu6(convert_to_tensor(x))


def sigmoid(x):
    return tf.sigmoid(_float(x))


def softplus(x):
    return tf.math.softplus(_float(x))


def softsign(x):
    return tf.nn.softsign(_float(x))


def elu(x, alpha=1.0):
    x = _float(x)
    if alpha == 1.0:
        return tf.nn.elu(x)
    # expm1 of min(x, 0): the unselected branch stays finite, so no NaN gradient.
    return tf.where(x > 0, x, alpha * tf.math.expm1(tf.minimum(x, 0)))


def selu(x):
    return tf.nn.selu(_float(x))


def gelu(x, approximate=True):
    return tf.nn.gelu(_float(x), approximate=bool(approximate))


def silu(x):
    return tf.nn.silu(_float(x))


def leaky_relu(x, negative_slope=0.2):
    return tf.nn.leaky_relu(_float(x), alpha=negative_slope)


def hard_sigmoid(x):
    x = _float(x)
    return tf.clip_by_value(x / 6.0 + 0.5, 0.0, 1.0)


def softmax(x, axis=-1):
    x = _float(x)
    if isinstance(axis, (tuple, list)):
        return tf.exp(x - tf.reduce_logsumexp(x, axis=list(axis), keepdims=True))
    return tf.nn.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    x = _float(x)
    if isinstance(axis, (tuple, list)):
        return x - tf.reduce_logsumexp(x, axis=list(axis), keepdims=True)
    return tf.nn.log_softmax(x, axis=axis)


# ---------------------------------------------------------- conv and pool
# Everything computes channels_last: TensorFlow's CPU kernels lack most
# channels_first (NCHW) variants, so channels_first inputs are transposed.


def _spatial_rank(inputs, name):
    rank = _rank(inputs) - 2
    if rank not in (1, 2, 3):
        raise ValueError(
            f"{name} expects inputs of rank 3, 4 or 5 (batch, spatial..., channels). "
            f"Received: inputs.shape={tuple(inputs.shape)}"
        )
    return rank


def _channels_last(x, data_format):
    if standardize_data_format(data_format) == "channels_last":
        return x, False
    rank = _rank(x)
    return tf.transpose(x, [0] + list(range(2, rank)) + [1]), True


def _channels_first(x):
    rank = _rank(x)
    return tf.transpose(x, [0, rank - 1] + list(range(1, rank - 1)))


def _same_padded(x, kernel_size, strides, dilation_rate):
    """`x` (channels_last) padded as "SAME" pads it for a strided conv: extra at the end."""
    paddings = [[0, 0]]
    for i, (k, s, d) in enumerate(zip(kernel_size, strides, dilation_rate)):
        paddings.append(list(same_padding(_dim(x, i + 1), k, s, d)))
    paddings.append([0, 0])
    return tf.pad(x, paddings)


def _strided_dilated(op, x, kernel_size, strides, padding, dilation_rate):
    """Runs `op(x, padding)` at stride 1, then keeps every stride-th output.

    TensorFlow refuses strides > 1 together with dilation > 1; this is the
    same computation.
    """
    if padding == "SAME":
        x = _same_padded(x, kernel_size, strides, dilation_rate)
    y = op(x, "VALID")
    return y[(_slice(None),) + tuple(_slice(None, None, s) for s in strides) + (_slice(None),)]


def _float_pair(inputs, kernel):
    inputs, kernel = _promote((inputs, kernel))
    if not inputs.dtype.is_floating:
        inputs, kernel = tf.cast(inputs, _floatx()), tf.cast(kernel, _floatx())
    return inputs, kernel


_CHANNELS_LAST = {1: "NWC", 2: "NHWC", 3: "NDHWC"}


def _conv_channels_last(x, kernel, strides, padding, dilation_rate):
    # data_format is named: TF's eager Conv3D gradient reads it back and fails on None.
    data_format = _CHANNELS_LAST[len(strides)]
    if builtins.any(s > 1 for s in strides) and builtins.any(d > 1 for d in dilation_rate):
        return _strided_dilated(
            lambda x, p: tf.nn.convolution(x, kernel, 1, p, data_format, dilation_rate),
            x, kernel.shape[:-2], strides, padding, dilation_rate,
        )
    return tf.nn.convolution(x, kernel, strides, padding, data_format, dilation_rate)


def conv(inputs, kernel, strides=1, padding="valid", data_format="channels_last", dilation_rate=1, groups=1):
    """Grouped convolutions run one convolution per group (TF's CPU kernels lack them)."""
    inputs, kernel = _float_pair(inputs, kernel)
    rank = _spatial_rank(inputs, "conv")
    strides = standardize_tuple(strides, rank, "strides")
    dilation_rate = standardize_tuple(dilation_rate, rank, "dilation_rate")
    padding = standardize_padding(padding).upper()
    x, transposed = _channels_last(inputs, data_format)
    channels, kernel_channels = x.shape[-1], kernel.shape[-2]
    if groups == 1 and channels is not None and channels != kernel_channels and kernel_channels:
        groups = channels // kernel_channels  # as keras.ops.conv, groups follow the kernel
    if channels is not None and channels != kernel_channels * groups:
        raise ValueError(
            f"conv: the input has {channels} channels but the kernel expects "
            f"{kernel_channels * groups} (kernel.shape[-2]={kernel_channels} x groups={groups}). "
            f"Received: inputs.shape={tuple(inputs.shape)}, kernel.shape={tuple(kernel.shape)}"
        )
    if groups == 1:
        y = _conv_channels_last(x, kernel, strides, padding, dilation_rate)
    else:
        y = tf.concat(
            [
                _conv_channels_last(part, part_kernel, strides, padding, dilation_rate)
                for part, part_kernel in zip(
                    tf.split(x, groups, axis=-1), tf.split(kernel, groups, axis=-1)
                )
            ],
            axis=-1,
        )
    return _channels_first(y) if transposed else y


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format="channels_last", dilation_rate=1):
    inputs, kernel = _float_pair(inputs, kernel)
    rank = _spatial_rank(inputs, "depthwise_conv")
    strides = standardize_tuple(strides, rank, "strides")
    dilation_rate = standardize_tuple(dilation_rate, rank, "dilation_rate")
    padding = standardize_padding(padding).upper()
    x, transposed = _channels_last(inputs, data_format)
    if rank == 3:  # no native 3-D depthwise op: a grouped conv, one group per channel
        channels, multiplier = kernel.shape[-2], kernel.shape[-1]
        grouped = tf.reshape(kernel, list(kernel.shape[:-2]) + [1, channels * multiplier])
        y = conv(x, grouped, strides, padding, "channels_last", dilation_rate, groups=channels)
        return _channels_first(y) if transposed else y
    if rank == 1:
        x, kernel = x[:, None], kernel[None]
        strides, dilation_rate = (1,) + strides, (1,) + dilation_rate

    def depthwise(x, padding, strides=(1, 1)):
        return tf.nn.depthwise_conv2d(
            x, kernel, (1,) + strides + (1,), padding, dilations=dilation_rate
        )

    # Eigen's CPU DepthwiseConv2dNative (used where oneDNN is off, as on CPUs
    # without AVX-512) takes only equal row/column strides, and no kernel takes
    # strides together with dilation: both run at stride 1, then subsample.
    unequal_strides = strides[0] != strides[1]
    if unequal_strides or (
        builtins.any(s > 1 for s in strides) and builtins.any(d > 1 for d in dilation_rate)
    ):
        y = _strided_dilated(depthwise, x, kernel.shape[:2], strides, padding, dilation_rate)
    else:
        y = depthwise(x, padding, strides)
    if rank == 1:
        y = y[:, 0]
    return _channels_first(y) if transposed else y


def _dilated_kernel(kernel, dilation_rate):
    """`kernel` (spatial..., in, out) with `dilation - 1` zeros between its taps."""
    for axis, d in enumerate(dilation_rate):
        if d == 1:
            continue
        k = kernel.shape[axis]
        # (k, ...) -> (k, 1, ...) padded to (k, d, ...) -> (k * d, ...), minus the trailing zeros.
        expanded = tf.expand_dims(kernel, axis + 1)
        paddings = [[0, 0]] * (kernel.shape.rank + 1)
        paddings[axis + 1] = [0, d - 1]
        expanded = tf.pad(expanded, paddings)
        shape = list(kernel.shape)
        shape[axis] = k * d
        kernel = tf.reshape(expanded, shape)
        kernel = tf.gather(kernel, tf.range((k - 1) * d + 1), axis=axis)
    return kernel


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None, data_format="channels_last", dilation_rate=1):
    inputs, kernel = _float_pair(inputs, kernel)
    rank = _spatial_rank(inputs, "conv_transpose")
    strides = standardize_tuple(strides, rank, "strides")
    dilation_rate = standardize_tuple(dilation_rate, rank, "dilation_rate")
    if output_padding is not None:
        output_padding = standardize_tuple(output_padding, rank, "output_padding", allow_zero=True)
    padding = standardize_padding(padding).upper()
    x, transposed = _channels_last(inputs, data_format)
    if builtins.any(d > 1 for d in dilation_rate):
        # No CPU kernel of Conv{2,3}DBackpropInput takes dilations when oneDNN
        # is off: the same result from the kernel with its zeros written out.
        kernel, dilation_rate = _dilated_kernel(kernel, dilation_rate), (1,) * rank
    if x.shape[-1] is not None and x.shape[-1] != kernel.shape[-1]:
        raise ValueError(
            f"conv_transpose: the input has {x.shape[-1]} channels but the kernel "
            f"(spatial..., out_channels, in_channels) expects {kernel.shape[-1]}. Received: "
            f"inputs.shape={tuple(inputs.shape)}, kernel.shape={tuple(kernel.shape)}"
        )
    output_shape = [_dim(x, 0)]
    for i in range(rank):
        output_shape.append(deconv_output_length(
            _dim(x, i + 1), kernel.shape[i], strides[i], padding.lower(),
            None if output_padding is None else output_padding[i], dilation_rate[i],
        ))
    output_shape.append(kernel.shape[-2])
    if builtins.all(isinstance(d, int) for d in output_shape[1:-1]) and not _tf_can_map(
        x.shape[1:-1], output_shape[1:-1], kernel.shape[:-2], strides, padding, dilation_rate
    ):
        y = _conv_transpose_cropped(x, kernel, output_shape, strides, dilation_rate)
    else:
        if not builtins.all(isinstance(d, int) for d in output_shape):
            output_shape = tf.stack([tf.cast(d, tf.int32) for d in output_shape])
        y = tf.nn.conv_transpose(
            x, kernel, output_shape, strides, padding=padding, dilations=dilation_rate
        )
    return _channels_first(y) if transposed else y


def _tf_can_map(sizes, output_sizes, kernel_size, strides, padding, dilation_rate):
    """Whether TF's forward conv maps each output length back onto the input length,
    which ``tf.nn.conv_transpose`` requires of the output shape it is given."""
    for n, out, k, s, d in zip(sizes, output_sizes, kernel_size, strides, dilation_rate):
        effective = (k - 1) * d + 1
        if padding == "SAME" and -(-out // s) != n:
            return False
        if padding == "VALID" and (out < effective or (out - effective) // s + 1 != n):
            return False
    return True


def _conv_transpose_cropped(x, kernel, output_shape, strides, dilation_rate):
    """The full ("VALID") transposed conv, cropped (or zero-extended) to `output_shape`.

    For output paddings whose length no forward conv maps back onto the input
    (TF rejects those), with the padding TF would place in front:
    ``max(full - out, 0) // 2``.
    """
    full_shape = [output_shape[0]]
    for i, (k, s, d) in enumerate(zip(kernel.shape[:-2], strides, dilation_rate)):
        full_shape.append((x.shape[i + 1] - 1) * s + (k - 1) * d + 1)
    full_shape.append(output_shape[-1])
    if not isinstance(full_shape[0], int):
        full_shape = tf.stack([tf.cast(d, tf.int32) for d in full_shape])
    y = tf.nn.conv_transpose(
        x, kernel, full_shape, strides, padding="VALID", dilations=dilation_rate
    )
    crops, extensions = [_slice(None)], [[0, 0]]
    for full, out in zip(y.shape[1:-1], output_shape[1:-1]):
        before = builtins.max(full - out, 0) // 2
        crops.append(_slice(before, before + out))
        extensions.append([0, builtins.max(out - (full - before), 0)])
    crops.append(_slice(None))
    extensions.append([0, 0])
    return tf.pad(y[tuple(crops)], extensions)


def _pool(op, inputs, pool_size, strides, padding, data_format):
    inputs = convert_to_tensor(inputs)
    rank = _spatial_rank(inputs, "pooling")
    pool_size = standardize_tuple(pool_size, rank, "pool_size")
    strides = pool_size if strides is None else standardize_tuple(strides, rank, "strides")
    padding = standardize_padding(padding).upper()
    x, transposed = _channels_last(inputs, data_format)
    if rank == 3 and x.dtype not in _POOL3D_DTYPES[op]:
        y = _pool3d_separable(op, x, pool_size, strides, padding)
    else:
        # data_format is named: TF's eager Pool3D gradients read it back and fail on None.
        y = op(x, pool_size, strides, padding, data_format=_CHANNELS_LAST[rank])
    return _channels_first(y) if transposed else y


def _pool3d_separable(op, x, pool_size, strides, padding):
    """A 3-D pool as a 2-D pool over (height, width), then one over depth.

    For the dtypes that TF's CPU MaxPool3D and AvgPool3D lack (float16,
    float64). Exact: a box window is the product of its axes,
    so its max is a max of maxes, and its average (TF counts only the
    unpadded cells, a product of per-axis counts) an average of averages.
    """
    batch, depth = _dim(x, 0), _dim(x, 1)
    channels = x.shape[-1]
    planes = tf.reshape(x, tf.concat([[-1], tf.shape(x)[2:]], 0))
    planes = op(planes, pool_size[1:], strides[1:], padding, data_format="NHWC")
    height, width = _dim(planes, 1), _dim(planes, 2)
    columns = tf.reshape(planes, [batch, depth, -1, 1])
    columns = op(columns, (pool_size[0], 1), (strides[0], 1), padding, data_format="NHWC")
    return tf.reshape(columns, [batch, _dim(columns, 1), height, width, channels])


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format="channels_last"):
    return _pool(tf.nn.max_pool, inputs, pool_size, strides, padding, data_format)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format="channels_last"):
    return _pool(tf.nn.avg_pool, _float(inputs), pool_size, strides, padding, data_format)


# The dtypes that TF's CPU MaxPool3D and AvgPool3D kernels take on every CPU
# (oneDNN adds float16 on some; Eigen's kernels have neither float16 nor float64).
_POOL3D_DTYPES = {
    tf.nn.max_pool: (tf.float32, tf.bfloat16),
    tf.nn.avg_pool: (tf.float32, tf.bfloat16),
}


def moments(x, axes, keepdims=False):
    """float16/bfloat16 inputs are reduced in float32, then cast back."""
    x = _float(x)
    compute_dtype = x.dtype
    if x.dtype in (tf.float16, tf.bfloat16):
        x = tf.cast(x, tf.float32)
    axes = list(axes) if isinstance(axes, (tuple, list)) else [axes]
    mean_ = tf.reduce_mean(x, axis=axes, keepdims=True)
    # sum(x - mean) is zero, so the mean's own gradient path through the
    # variance vanishes: stopping it saves the backward work.
    variance = tf.reduce_mean(tf.square(x - tf.stop_gradient(mean_)), axis=axes, keepdims=keepdims)
    if not keepdims:
        mean_ = tf.squeeze(mean_, [a % _rank(x) for a in axes])
    if compute_dtype != x.dtype:
        mean_, variance = tf.cast(mean_, compute_dtype), tf.cast(variance, compute_dtype)
    return mean_, variance


def dropout(x, rate, noise_shape=None, seed=None):
    x = _float(x)
    if isinstance(rate, (int, float)):
        if not 0 <= rate <= 1:
            raise ValueError(
                f"Invalid dropout rate. Received: rate={rate!r}; expected a number in [0, 1], "
                "the fraction of elements to drop."
            )
        if rate == 1:  # x / (1 - rate) would be inf, and its gradient NaN
            return tf.zeros_like(x)
    if noise_shape is None:
        noise_shape = _static_or_dynamic_shape(x)
    else:
        noise_shape = [_dim(x, i) if d is None else d for i, d in enumerate(noise_shape)]
        if not builtins.all(isinstance(d, int) for d in noise_shape):
            noise_shape = tf.stack([tf.cast(d, tf.int32) for d in noise_shape])
    uniform_dtype = x.dtype if x.dtype != tf.bfloat16 else tf.float32
    uniform = tf.random.stateless_uniform(noise_shape, stateless_seed(seed), dtype=uniform_dtype)
    keep = uniform >= rate
    # As tf.nn.dropout: a number's 1 / keep is one multiply (a division by
    # it costs more per element, forward and backward), and a scalar zero.
    if isinstance(rate, (int, float)):
        kept = x * tf.constant(1.0 / (1.0 - rate), x.dtype)
    else:
        kept = x / tf.cast(1.0 - rate, x.dtype)
    return tf.where(keep, kept, tf.constant(0, x.dtype))
