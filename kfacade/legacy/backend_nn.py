"""Keras 2's neural-network backend functions: bias, convolution, pooling, random draws.

Keras 2's signatures and defaults over ``kfacade.ops`` (``data_format=None``
reads ``image_data_format()``; ``K.pool2d``'s strides default to 1, not to
the pool size). Each works on native tensors and on ``KerasTensor``s.
"""
from kfacade import ops
from kfacade import random as _random
from kfacade.backend.config import floatx, image_data_format
from kfacade.layers.convolutional.locally_connected import local_conv
from kfacade.ops.dispatch import symbolic_or


def _data_format(data_format):
    data_format = image_data_format() if data_format is None else data_format
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(
            f"Unknown data_format: {data_format!r}; expected 'channels_first' or 'channels_last'."
        )
    return data_format


@symbolic_or
def bias_add(x, bias, data_format=None):
    """`x` plus `bias` along the channel axis.

    Args:
        bias: (channels,), or one value per position and channel (rank of `x`
            minus one; with channels first, Keras 2 reshapes it to
            ``(1, channels) + bias.shape[:-1]``).
    """
    data_format = _data_format(data_format)
    bias_shape = tuple(ops.shape(bias))
    rank = ops.ndim(x)
    if len(bias_shape) not in (1, rank - 1):
        raise ValueError(
            f"Unexpected bias dimensions {len(bias_shape)}; expected 1 or {rank - 1} "
            f"(the rank of x minus one). Received: bias shape {bias_shape}, x rank {rank}"
        )
    if rank > 2 and data_format == "channels_first":
        if len(bias_shape) == 1:
            shape = (1, bias_shape[0]) + (1,) * (rank - 2)
        else:
            shape = (1, bias_shape[-1]) + bias_shape[:-1]
    elif len(bias_shape) == 1:
        shape = (1,) * (rank - 1) + bias_shape
    else:
        shape = (1,) + bias_shape
    return ops.add(x, ops.reshape(bias, shape))


def local_conv1d(inputs, kernel, kernel_size, strides, data_format=None):
    """Keras 2's unshared 1-D convolution (``LocallyConnected1D``'s, no bias):
    `kernel` ``(output_length, kernel_size * channels, filters)``."""
    data_format = _data_format(data_format)
    kernel_size, strides = _ints(kernel_size, 1), _ints(strides, 1)
    steps = ops.shape(inputs)[1 if data_format == "channels_last" else 2]
    output_length = (steps - kernel_size[0]) // strides[0] + 1
    return local_conv(inputs, kernel, kernel_size, strides, (output_length,), data_format)


def local_conv2d(inputs, kernel, kernel_size, strides, output_shape, data_format=None):
    """Keras 2's unshared 2-D convolution (``LocallyConnected2D``'s, no bias):
    `kernel` ``(rows * cols, kh * kw * channels, filters)`` for `output_shape`
    ``(rows, cols)``."""
    return local_conv(inputs, kernel, _ints(kernel_size, 2), _ints(strides, 2),
                      tuple(int(n) for n in output_shape), _data_format(data_format))


def _ints(value, rank):
    return (int(value),) * rank if isinstance(value, int) else tuple(int(v) for v in value)


def _convolution(x, kernel, strides, padding, data_format, dilation_rate, rank):
    data_format = _data_format(data_format)
    if padding == "causal":
        if rank != 1:
            raise ValueError(f"padding='causal' exists for 1-D convolutions only. Received: conv{rank}d")
        # Pads the start of the time axis by what the dilated kernel covers.
        left = dilation_rate * (ops.shape(kernel)[0] - 1) if isinstance(dilation_rate, int) \
            else dilation_rate[0] * (ops.shape(kernel)[0] - 1)
        axis = 1 if data_format == "channels_last" else 2
        widths = [[0, 0], [0, 0], [0, 0]]
        widths[axis] = [left, 0]
        x = ops.pad(x, widths)
        padding = "valid"
    return ops.conv(x, kernel, strides=strides, padding=padding, data_format=data_format,
                    dilation_rate=dilation_rate)


def conv1d(x, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """1-D convolution; `kernel` is (width, in, out); padding "valid", "same" or "causal"."""
    return _convolution(x, kernel, strides, padding, data_format, dilation_rate, 1)


def conv2d(x, kernel, strides=(1, 1), padding="valid", data_format=None, dilation_rate=(1, 1)):
    """2-D convolution; `kernel` is (rows, cols, in, out)."""
    return _convolution(x, kernel, strides, padding, data_format, dilation_rate, 2)


def conv3d(x, kernel, strides=(1, 1, 1), padding="valid", data_format=None,
           dilation_rate=(1, 1, 1)):
    """3-D convolution; `kernel` is (depth, rows, cols, in, out)."""
    return _convolution(x, kernel, strides, padding, data_format, dilation_rate, 3)


def depthwise_conv2d(x, depthwise_kernel, strides=(1, 1), padding="valid", data_format=None,
                     dilation_rate=(1, 1)):
    """2-D depthwise convolution; `depthwise_kernel` is (rows, cols, in, multiplier)."""
    return ops.depthwise_conv(x, depthwise_kernel, strides=strides, padding=padding,
                              data_format=_data_format(data_format), dilation_rate=dilation_rate)


def _separable(x, depthwise_kernel, pointwise_kernel, strides, padding, data_format,
               dilation_rate):
    data_format = _data_format(data_format)
    depthwise = ops.depthwise_conv(x, depthwise_kernel, strides=strides, padding=padding,
                                   data_format=data_format, dilation_rate=dilation_rate)
    return ops.conv(depthwise, pointwise_kernel, strides=1, padding="valid",
                    data_format=data_format)


def separable_conv1d(x, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                     data_format=None, dilation_rate=1):
    """1-D separable convolution: depthwise (width, in, multiplier), then
    pointwise (1, in * multiplier, out)."""
    return _separable(x, depthwise_kernel, pointwise_kernel, strides, padding, data_format,
                      dilation_rate)


def separable_conv2d(x, depthwise_kernel, pointwise_kernel, strides=(1, 1), padding="valid",
                     data_format=None, dilation_rate=(1, 1)):
    """2-D separable convolution: depthwise (rows, cols, in, multiplier), then
    pointwise (1, 1, in * multiplier, out)."""
    return _separable(x, depthwise_kernel, pointwise_kernel, strides, padding, data_format,
                      dilation_rate)


def _pool(x, pool_size, strides, padding, data_format, pool_mode):
    data_format = _data_format(data_format)
    if pool_mode == "max":
        return ops.max_pool(x, pool_size, strides=strides, padding=padding, data_format=data_format)
    if pool_mode == "avg":
        return ops.average_pool(x, pool_size, strides=strides, padding=padding,
                                data_format=data_format)
    raise ValueError(f"Invalid pool_mode: {pool_mode!r}; expected 'max' or 'avg'.")


def pool2d(x, pool_size, strides=(1, 1), padding="valid", data_format=None, pool_mode="max"):
    """2-D pooling (`pool_mode` "max" or "avg"); Keras 2's strides default to 1."""
    return _pool(x, pool_size, strides, padding, data_format, pool_mode)


def pool3d(x, pool_size, strides=(1, 1, 1), padding="valid", data_format=None, pool_mode="max"):
    """3-D pooling (`pool_mode` "max" or "avg"); Keras 2's strides default to 1."""
    return _pool(x, pool_size, strides, padding, data_format, pool_mode)


def spatial_3d_padding(x, padding=((1, 1), (1, 1), (1, 1)), data_format=None):
    """Zeros added around the three spatial axes of a 5-D tensor."""
    spatial = [list(p) for p in padding]
    if _data_format(data_format) == "channels_first":
        return ops.pad(x, [[0, 0], [0, 0]] + spatial)
    return ops.pad(x, [[0, 0]] + spatial + [[0, 0]])


def resize_volumes(x, depth_factor, height_factor, width_factor, data_format):
    """5-D `x` upsampled by integer factors (nearest neighbour)."""
    first = 2 if _data_format(data_format) == "channels_first" else 1
    for axis, factor in zip(range(first, first + 3), (depth_factor, height_factor, width_factor)):
        x = ops.repeat(x, factor, axis=axis)
    return x


@symbolic_or
def in_top_k(predictions, targets, k):
    """Whether each target's prediction is among the `k` largest of its row
    (ties count as inside, as TensorFlow's ``in_top_k``)."""
    targets = ops.expand_dims(ops.cast(targets, "int32"), -1)
    target_values = ops.take_along_axis(predictions, targets, axis=-1)
    larger = ops.sum(ops.cast(ops.greater(predictions, target_values), "int32"), axis=-1)
    return ops.less(larger, k)


# ---------------------------------------------------------------- random


def random_binomial(shape, p=0.0, dtype=None, seed=None):
    """Ones with probability `p`, zeros otherwise (Keras 2: uniform <= p)."""
    dtype = dtype or floatx()
    draws = _random.uniform(shape, 0.0, 1.0, dtype="float32", seed=seed)
    return ops.cast(ops.less_equal(draws, p), dtype)


#: Redraws of the values beyond two standard deviations; one survives all
#: of them with probability 0.0455 ** 8 (about 2e-11); the final clip only
#: guards against that.
_TRUNCATION_ROUNDS = 8


def _round_seeds(seed, count):
    """`count` seeds for successive draws from one Keras 2 `seed` argument."""
    if isinstance(seed, _random.SeedGenerator):
        return [seed] * count  # each draw advances the generator
    base = _random.draw_seed(seed)
    return [(base * 1000003 + i) % (2**31 - 1) for i in range(count)]


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal values with those beyond two standard deviations redrawn (TensorFlow's
    ``truncated_normal``), so every value lies in ``mean ± 2 * stddev``."""
    dtype = dtype or floatx()
    seeds = _round_seeds(seed, _TRUNCATION_ROUNDS + 1)
    values = _random.normal(shape, 0.0, 1.0, dtype="float32", seed=seeds[0])
    for round_seed in seeds[1:]:
        redraw = _random.normal(shape, 0.0, 1.0, dtype="float32", seed=round_seed)
        values = ops.where(ops.greater(ops.abs(values), 2.0), redraw, values)
    values = ops.clip(values, -2.0, 2.0)
    return ops.cast(ops.add(ops.multiply(values, stddev), mean), dtype)
