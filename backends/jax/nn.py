"""The contract's ``nn`` family over jax.nn and jax.lax: activations, conv and pool, moments, dropout."""
import builtins
import functools
import math

import jax
import jax.numpy as jnp

from kfacade.backend.contract import FAMILIES
from kfacade.backend.conv_geometry import (
    conv_transpose_padding,
    standardize_data_format,
    standardize_padding,
    standardize_tuple,
)

from ._helpers import _dt, _t
from .random import seed_key
from .variables import convert_to_tensor

__all__ = list(FAMILIES["nn"])


# ---------------------------------------------------------------------- nn


def relu(x):
    return jax.nn.relu(_t(x))


def relu6(x):
    return jax.nn.relu6(_t(x))


def sigmoid(x):
    return jax.nn.sigmoid(_t(x))


def softplus(x):
    return jax.nn.softplus(_t(x))


def softsign(x):
    return jax.nn.soft_sign(_t(x))


def elu(x, alpha=1.0):
    return jax.nn.elu(_t(x), alpha)


def selu(x):
    return jax.nn.selu(_t(x))


def gelu(x, approximate=True):
    return jax.nn.gelu(_t(x), approximate=approximate)


def silu(x):
    return jax.nn.silu(_t(x))


def leaky_relu(x, negative_slope=0.2):
    return jax.nn.leaky_relu(_t(x), negative_slope)


def hard_sigmoid(x):
    return jax.nn.hard_sigmoid(_t(x))  # relu6(x + 3) / 6


# jax.nn.softmax is not jitted: called eagerly it runs (and first compiles)
# five programs per new shape; as one jitted function, one.
_softmax = jax.jit(jax.nn.softmax, static_argnames="axis")


def softmax(x, axis=-1):
    return _softmax(_t(x), axis=tuple(axis) if isinstance(axis, list) else axis)


def log_softmax(x, axis=-1):
    return jax.nn.log_softmax(_t(x), axis=axis)


# --------------------------------------------------------- conv and pool

_SPATIAL = {1: "W", 2: "HW", 3: "DHW"}


def _conv_setup(inputs, kernel, data_format, op_name):
    inputs = convert_to_tensor(inputs)
    kernel = convert_to_tensor(kernel)
    data_format = standardize_data_format(data_format)
    num_spatial = inputs.ndim - 2
    if num_spatial not in _SPATIAL or kernel.ndim != inputs.ndim:
        raise ValueError(
            f"{op_name} takes a 3-D, 4-D or 5-D input (batch, spatial..., channels) and a "
            f"kernel of the same rank. Received: inputs.shape={inputs.shape}, "
            f"kernel.shape={kernel.shape}."
        )
    if inputs.dtype != kernel.dtype:
        common = jnp.result_type(inputs, kernel)
        inputs, kernel = inputs.astype(common), kernel.astype(common)
    spatial = _SPATIAL[num_spatial]
    feature = "N" + spatial + "C" if data_format == "channels_last" else "NC" + spatial
    dimension_numbers = (feature, spatial + "IO", feature)
    channels = inputs.shape[-1] if data_format == "channels_last" else inputs.shape[1]
    return inputs, kernel, num_spatial, dimension_numbers, channels


def conv(inputs, kernel, strides=1, padding="valid", data_format="channels_last", dilation_rate=1, groups=1):
    """See the contract. As ``keras.ops.conv``, the group count follows from the
    kernel (in_channels // kernel.shape[-2]); an explicit `groups` must agree."""
    padding = standardize_padding(padding)
    inputs, kernel, num_spatial, dimension_numbers, channels = _conv_setup(
        inputs, kernel, data_format, "conv"
    )
    kernel_in = kernel.shape[-2]
    if kernel_in == 0 or channels % kernel_in or (groups != 1 and channels // kernel_in != groups):
        raise ValueError(
            f"The kernel's input channels must be in_channels // groups. Received: "
            f"inputs with {channels} channels, kernel.shape={kernel.shape}, groups={groups}."
        )
    return jax.lax.conv_general_dilated(
        inputs,
        kernel,
        window_strides=standardize_tuple(strides, num_spatial, "strides"),
        padding=padding.upper(),
        rhs_dilation=standardize_tuple(dilation_rate, num_spatial, "dilation_rate"),
        dimension_numbers=dimension_numbers,
        feature_group_count=channels // kernel_in,
    )


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format="channels_last", dilation_rate=1):
    padding = standardize_padding(padding)
    inputs, kernel, num_spatial, dimension_numbers, channels = _conv_setup(
        inputs, kernel, data_format, "depthwise_conv"
    )
    if kernel.shape[-2] != channels:
        raise ValueError(
            f"A depthwise kernel is (spatial..., in_channels, multiplier). Received: "
            f"inputs with {channels} channels, kernel.shape={kernel.shape}."
        )
    # (spatial..., in, multiplier) -> (spatial..., 1, in * multiplier): output
    # channel c * multiplier + m is input channel c times multiplier m.
    kernel = jnp.reshape(kernel, kernel.shape[:-2] + (1, channels * kernel.shape[-1]))
    return jax.lax.conv_general_dilated(
        inputs,
        kernel,
        window_strides=standardize_tuple(strides, num_spatial, "strides"),
        padding=padding.upper(),
        rhs_dilation=standardize_tuple(dilation_rate, num_spatial, "dilation_rate"),
        dimension_numbers=dimension_numbers,
        feature_group_count=channels,
    )


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None, data_format="channels_last", dilation_rate=1):
    padding = standardize_padding(padding)
    inputs, kernel, num_spatial, dimension_numbers, channels = _conv_setup(
        inputs, kernel, data_format, "conv_transpose"
    )
    if kernel.shape[-1] != channels:
        raise ValueError(
            f"A conv_transpose kernel is (spatial..., out_channels, in_channels). Received: "
            f"inputs with {channels} channels, kernel.shape={kernel.shape}."
        )
    strides = standardize_tuple(strides, num_spatial, "strides")
    dilation_rate = standardize_tuple(dilation_rate, num_spatial, "dilation_rate")
    if output_padding is None:
        output_padding = (None,) * num_spatial
    else:
        output_padding = standardize_tuple(output_padding, num_spatial, "output_padding", allow_zero=True)
    paddings = [
        conv_transpose_padding(kernel.shape[i], strides[i], padding, output_padding[i], dilation_rate[i])
        for i in range(num_spatial)
    ]
    # transpose_kernel swaps the kernel's I and O and flips it spatially, so
    # Keras's (spatial..., out, in) layout is read as the "IO" of a forward conv.
    return jax.lax.conv_transpose(
        inputs,
        kernel,
        strides,
        padding=paddings,
        rhs_dilation=dilation_rate,
        dimension_numbers=dimension_numbers,
        transpose_kernel=True,
    )


def _pool_setup(inputs, pool_size, strides, padding, data_format):
    padding = standardize_padding(padding).upper()
    data_format = standardize_data_format(data_format)
    inputs = convert_to_tensor(inputs)
    num_spatial = inputs.ndim - 2
    if num_spatial not in _SPATIAL:
        raise ValueError(
            f"Pooling takes a 3-D, 4-D or 5-D input (batch, spatial..., channels). "
            f"Received: inputs.shape={inputs.shape}."
        )
    pool_size = standardize_tuple(pool_size, num_spatial, "pool_size")
    strides = pool_size if strides is None else standardize_tuple(strides, num_spatial, "strides")
    if data_format == "channels_last":
        window, steps = (1, *pool_size, 1), (1, *strides, 1)
    else:
        window, steps = (1, 1, *pool_size), (1, 1, *strides)
    return inputs, window, steps, padding


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format="channels_last"):
    inputs, window, steps, padding = _pool_setup(inputs, pool_size, strides, padding, data_format)
    if jnp.issubdtype(inputs.dtype, jnp.floating):
        init = -jnp.inf
    else:
        init = int(jnp.iinfo(inputs.dtype).min)
    return jax.lax.reduce_window(inputs, init, jax.lax.max, window, steps, padding)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format="channels_last"):
    inputs, window, steps, padding = _pool_setup(inputs, pool_size, strides, padding, data_format)
    if not jnp.issubdtype(inputs.dtype, jnp.floating):
        inputs = inputs.astype(_dt(None))
    sums = jax.lax.reduce_window(inputs, 0.0, jax.lax.add, window, steps, padding)
    if padding == "VALID":
        return sums / math.prod(window)
    # "same": divide by the number of real (non-padded) cells in each window,
    # counted on a ones array of the spatial shape (a constant under jit).
    cell_shape = tuple(1 if w == 1 else n for w, n in zip(window, inputs.shape))
    counts = jax.lax.reduce_window(
        jnp.ones(cell_shape, inputs.dtype), 0.0, jax.lax.add, window, steps, padding
    )
    return sums / counts


# ---------------------------------------------------------- moments, dropout


def moments(x, axes, keepdims=False):
    axes = tuple(axes) if isinstance(axes, list | tuple) else (axes,)
    return _moments(convert_to_tensor(x), axes, keepdims)


@functools.partial(jax.jit, static_argnames=("axes", "keepdims"))
def _moments(x, axes, keepdims):
    """One program, not six run eagerly one by one."""
    dtype = x.dtype
    # Half-precision sums lose too much: compute in float32 as Keras does.
    if dtype in (jnp.float16, jnp.bfloat16):
        x = x.astype(jnp.float32)
    mean = jnp.mean(x, axis=axes, keepdims=True)
    variance = jnp.mean(jnp.square(x - mean), axis=axes, keepdims=keepdims)
    if not keepdims:
        mean = jnp.squeeze(mean, axis=axes)
    return mean.astype(dtype), variance.astype(dtype)


def dropout(x, rate, noise_shape=None, seed=None):
    x = convert_to_tensor(x)
    if isinstance(rate, int | float):
        if not 0.0 <= rate <= 1.0:
            raise ValueError(
                f"Invalid dropout rate. Received: rate={rate!r}; expected a number in [0, 1], "
                "the fraction of elements to drop."
            )
        if rate == 1.0:  # x / (1 - rate) would be inf, and its gradient NaN
            return jnp.zeros_like(x)
    if noise_shape is None:
        noise_shape = x.shape
    else:
        noise_shape = tuple(
            x.shape[i] if dim is None else int(dim) for i, dim in enumerate(noise_shape)
        )
    keep_probability = 1.0 - rate
    mask = jax.random.bernoulli(seed_key(seed), keep_probability, noise_shape)
    mask = jnp.broadcast_to(mask, x.shape)
    # A number's 1 / keep is one multiply, as on torch and TensorFlow (XLA
    # keeps a division by a constant that is not a power of two).
    if isinstance(rate, int | float):
        kept = x * jnp.asarray(1.0 / keep_probability, x.dtype)
    else:
        kept = x / keep_probability
    return jnp.where(mask, kept, jnp.zeros((), x.dtype))
