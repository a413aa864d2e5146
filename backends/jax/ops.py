"""NumPy-like and nn ops over jax.numpy, jax.nn and jax.lax.

Python scalars are passed to jax.numpy untouched: JAX's weak typing then
gives them the other operand's dtype (``add(float16_tensor, 1.5)`` stays
float16), which is the contract's rule for scalars.
"""
import builtins
import math

import jax
import jax.numpy as jnp
import numpy as np

from kfacade.backend.config import floatx

from .variables import ArrayImpl, convert_to_tensor, jax_dtype

__all__ = [
    # creation
    "zeros", "ones", "full", "arange", "eye",
    # elementwise, unary
    "abs", "negative", "exp", "log", "log1p", "expm1", "sqrt", "square", "sign",
    "sin", "cos", "tanh", "floor", "ceil", "round", "logical_not", "isnan", "isfinite",
    # elementwise, binary
    "add", "subtract", "multiply", "divide", "floor_divide", "mod", "power",
    "maximum", "minimum", "equal", "not_equal", "less", "less_equal", "greater",
    "greater_equal", "logical_and", "logical_or", "where", "clip",
    # reductions
    "sum", "mean", "max", "min", "prod", "var", "any", "all", "argmax", "argmin",
    "cumsum", "logsumexp",
    # shape and index
    "reshape", "transpose", "expand_dims", "squeeze", "concatenate", "stack", "split",
    "tile", "repeat", "broadcast_to", "take", "take_along_axis", "slice", "pad", "flip",
    "one_hot", "top_k", "sort", "argsort", "matmul", "tensordot", "einsum", "stop_gradient",
    # nn
    "relu", "relu6", "sigmoid", "softplus", "softsign", "elu", "selu", "gelu", "silu",
    "leaky_relu", "hard_sigmoid", "softmax", "log_softmax",
    "conv", "depthwise_conv", "conv_transpose", "max_pool", "average_pool",
    "moments", "dropout",
    # loops
    "scan",
]

# What jax.numpy takes as is; Python scalars stay weakly typed.
_NATIVE = (jax.Array, np.ndarray, np.generic, bool, int, float, complex)


def _t(x):
    """`x` as something jax.numpy accepts: Variables read, lists converted."""
    if type(x) is ArrayImpl or isinstance(x, _NATIVE):
        return x
    return convert_to_tensor(x)


def _dt(dtype):
    return jax_dtype(dtype if dtype is not None else floatx())


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


# ---------------------------------------------------------------- creation


def zeros(shape, dtype="float32"):
    return jnp.zeros(shape, dtype=_dt(dtype))


def ones(shape, dtype="float32"):
    return jnp.ones(shape, dtype=_dt(dtype))


def full(shape, fill_value, dtype="float32"):
    return jnp.full(shape, _t(fill_value), dtype=_dt(dtype))


def arange(start, stop=None, step=1, dtype=None):
    return jnp.arange(start, stop, step, dtype=None if dtype is None else jax_dtype(dtype))


def eye(n, m=None, dtype="float32"):
    return jnp.eye(n, m, dtype=_dt(dtype))


# ------------------------------------------------------ elementwise, unary


def abs(x):
    return jnp.abs(_t(x))


def negative(x):
    return jnp.negative(_t(x))


def exp(x):
    return jnp.exp(_t(x))


def log(x):
    return jnp.log(_t(x))


def log1p(x):
    return jnp.log1p(_t(x))


def expm1(x):
    return jnp.expm1(_t(x))


def sqrt(x):
    return jnp.sqrt(_t(x))


def square(x):
    return jnp.square(_t(x))


def sign(x):
    return jnp.sign(_t(x))


def sin(x):
    return jnp.sin(_t(x))


def cos(x):
    return jnp.cos(_t(x))


def tanh(x):
    return jnp.tanh(_t(x))


def floor(x):
    return jnp.floor(_t(x))


def ceil(x):
    return jnp.ceil(_t(x))


def round(x):
    return jnp.round(_t(x))


def logical_not(x):
    return jnp.logical_not(_t(x))


def isnan(x):
    return jnp.isnan(_t(x))


def isfinite(x):
    return jnp.isfinite(_t(x))


# ----------------------------------------------------- elementwise, binary


def add(x1, x2):
    return jnp.add(_t(x1), _t(x2))


def subtract(x1, x2):
    return jnp.subtract(_t(x1), _t(x2))


def multiply(x1, x2):
    return jnp.multiply(_t(x1), _t(x2))


def divide(x1, x2):
    return jnp.true_divide(_t(x1), _t(x2))


def floor_divide(x1, x2):
    return jnp.floor_divide(_t(x1), _t(x2))


def mod(x1, x2):
    return jnp.mod(_t(x1), _t(x2))


def power(x1, x2):
    return jnp.power(_t(x1), _t(x2))


def maximum(x1, x2):
    return jnp.maximum(_t(x1), _t(x2))


def minimum(x1, x2):
    return jnp.minimum(_t(x1), _t(x2))


def equal(x1, x2):
    return jnp.equal(_t(x1), _t(x2))


def not_equal(x1, x2):
    return jnp.not_equal(_t(x1), _t(x2))


def less(x1, x2):
    return jnp.less(_t(x1), _t(x2))


def less_equal(x1, x2):
    return jnp.less_equal(_t(x1), _t(x2))


def greater(x1, x2):
    return jnp.greater(_t(x1), _t(x2))


def greater_equal(x1, x2):
    return jnp.greater_equal(_t(x1), _t(x2))


def logical_and(x1, x2):
    return jnp.logical_and(_t(x1), _t(x2))


def logical_or(x1, x2):
    return jnp.logical_or(_t(x1), _t(x2))


def where(condition, x1, x2):
    return jnp.where(_t(condition), _t(x1), _t(x2))


def clip(x, x_min, x_max):
    return jnp.clip(_t(x), _t(x_min), _t(x_max))


# -------------------------------------------------------------- reductions


def sum(x, axis=None, keepdims=False):
    return jnp.sum(_t(x), axis=_axis(axis), keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    return jnp.mean(_t(x), axis=_axis(axis), keepdims=keepdims)


def max(x, axis=None, keepdims=False):
    return jnp.max(_t(x), axis=_axis(axis), keepdims=keepdims)


def min(x, axis=None, keepdims=False):
    return jnp.min(_t(x), axis=_axis(axis), keepdims=keepdims)


def prod(x, axis=None, keepdims=False):
    return jnp.prod(_t(x), axis=_axis(axis), keepdims=keepdims)


def var(x, axis=None, keepdims=False):
    return jnp.var(_t(x), axis=_axis(axis), keepdims=keepdims)


def any(x, axis=None, keepdims=False):
    return jnp.any(_t(x), axis=_axis(axis), keepdims=keepdims)


def all(x, axis=None, keepdims=False):
    return jnp.all(_t(x), axis=_axis(axis), keepdims=keepdims)


def argmax(x, axis=None):
    return jnp.argmax(_t(x), axis=axis)


def argmin(x, axis=None):
    return jnp.argmin(_t(x), axis=axis)


def cumsum(x, axis=None):
    return jnp.cumsum(_t(x), axis=axis)


def logsumexp(x, axis=None, keepdims=False):
    return jax.nn.logsumexp(_t(x), axis=_axis(axis), keepdims=keepdims)


# ---------------------------------------------------------- shape and index


def reshape(x, newshape):
    return jnp.reshape(_t(x), newshape)


def transpose(x, axes=None):
    return jnp.transpose(_t(x), axes)


def expand_dims(x, axis):
    return jnp.expand_dims(_t(x), _axis(axis))


def squeeze(x, axis=None):
    return jnp.squeeze(_t(x), axis=_axis(axis))


def concatenate(xs, axis=0):
    return jnp.concatenate([_t(x) for x in xs], axis=axis)


def stack(xs, axis=0):
    return jnp.stack([_t(x) for x in xs], axis=axis)


def split(x, indices_or_sections, axis=0):
    if not isinstance(indices_or_sections, int):
        indices_or_sections = [int(i) for i in indices_or_sections]
    return jnp.split(_t(x), indices_or_sections, axis=axis)


def tile(x, repeats):
    return jnp.tile(_t(x), repeats)


def repeat(x, repeats, axis=None):
    return jnp.repeat(_t(x), repeats, axis=axis)


def broadcast_to(x, shape):
    return jnp.broadcast_to(_t(x), tuple(shape))


def take(x, indices, axis=None):
    return jnp.take(_t(x), _t(indices), axis=axis)


def take_along_axis(x, indices, axis):
    return jnp.take_along_axis(_t(x), _t(indices), axis=axis)


def slice(x, start_indices, shape):
    # dynamic_slice also takes traced start indices (inside a compiled step).
    return jax.lax.dynamic_slice(convert_to_tensor(x), tuple(start_indices), tuple(shape))


_PAD_MODES = ("constant", "reflect", "symmetric")


def pad(x, pad_width, mode="constant", constant_values=0):
    if mode not in _PAD_MODES:
        raise ValueError(
            f"Invalid pad mode. Received: mode={mode!r}; expected one of {_PAD_MODES}."
        )
    if mode == "constant":
        return jnp.pad(_t(x), pad_width, mode=mode, constant_values=_t(constant_values))
    if constant_values != 0:
        raise ValueError(
            f"`constant_values` only applies to mode='constant'. Received: "
            f"mode={mode!r}, constant_values={constant_values!r}."
        )
    return jnp.pad(_t(x), pad_width, mode=mode)


def flip(x, axis=None):
    return jnp.flip(_t(x), axis=_axis(axis))


def one_hot(x, num_classes, axis=-1, dtype="float32"):
    return jax.nn.one_hot(_t(x), num_classes, dtype=_dt(dtype), axis=axis)


def top_k(x, k, sorted=True):
    # lax.top_k always returns the k entries sorted, which `sorted=False` allows.
    return jax.lax.top_k(_t(x), k)


def sort(x, axis=-1):
    return jnp.sort(_t(x), axis=axis)


def argsort(x, axis=-1):
    return jnp.argsort(_t(x), axis=axis)


def matmul(x1, x2):
    return jnp.matmul(_t(x1), _t(x2))


def tensordot(x1, x2, axes=2):
    return jnp.tensordot(_t(x1), _t(x2), axes)


def einsum(subscripts, *operands):
    return jnp.einsum(subscripts, *[_t(x) for x in operands])


def stop_gradient(x):
    return jax.lax.stop_gradient(_t(x))


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
    x = _t(x)
    return jnp.clip(x / 6.0 + 0.5, 0.0, 1.0)


def softmax(x, axis=-1):
    return jax.nn.softmax(_t(x), axis=axis)


def log_softmax(x, axis=-1):
    return jax.nn.log_softmax(_t(x), axis=axis)


# --------------------------------------------------------- conv and pool

_SPATIAL = {1: "W", 2: "HW", 3: "DHW"}


def _check_padding(padding):
    value = str(padding).lower()
    if value not in ("valid", "same"):
        raise ValueError(f"Received: padding={padding!r}; expected one of 'valid', 'same'.")
    return value


def _check_data_format(data_format):
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            f"Received: data_format={data_format!r}; expected one of "
            f"'channels_last', 'channels_first'."
        )
    return data_format


def _spatial_tuple(value, num_spatial, argument):
    if isinstance(value, int):
        return (value,) * num_spatial
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * num_spatial
    if len(value) != num_spatial:
        raise ValueError(
            f"Received: {argument}={value!r}; expected an int or a tuple of "
            f"{num_spatial} ints for a {num_spatial}-D input."
        )
    return value


def _conv_setup(inputs, kernel, data_format, op_name):
    inputs = convert_to_tensor(inputs)
    kernel = convert_to_tensor(kernel)
    _check_data_format(data_format)
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
    padding = _check_padding(padding)
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
        window_strides=_spatial_tuple(strides, num_spatial, "strides"),
        padding=padding.upper(),
        rhs_dilation=_spatial_tuple(dilation_rate, num_spatial, "dilation_rate"),
        dimension_numbers=dimension_numbers,
        feature_group_count=channels // kernel_in,
    )


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format="channels_last", dilation_rate=1):
    padding = _check_padding(padding)
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
        window_strides=_spatial_tuple(strides, num_spatial, "strides"),
        padding=padding.upper(),
        rhs_dilation=_spatial_tuple(dilation_rate, num_spatial, "dilation_rate"),
        dimension_numbers=dimension_numbers,
        feature_group_count=channels,
    )


def _conv_transpose_padding(kernel_size, stride, dilation, padding, output_padding):
    """(left, right) padding for lax.conv_transpose giving Keras's output size.

    The size is (in - 1) * stride + max(k, stride) + output_padding for
    "valid" and in * stride (or (in - 1) * stride + k % 2 + output_padding)
    for "same", k being the dilated kernel size.
    """
    kernel_size = (kernel_size - 1) * dilation + 1
    if padding == "valid":
        if output_padding is None:
            output_padding = builtins.max(kernel_size, stride) - kernel_size
        return kernel_size - 1, kernel_size - 1 + output_padding
    if output_padding is None:
        total = stride + kernel_size - 2
    else:
        total = kernel_size + kernel_size % 2 - 2 + output_padding
    left = builtins.min(total // 2 + total % 2, kernel_size - 1)
    return left, total - left


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None, data_format="channels_last", dilation_rate=1):
    padding = _check_padding(padding)
    inputs, kernel, num_spatial, dimension_numbers, channels = _conv_setup(
        inputs, kernel, data_format, "conv_transpose"
    )
    if kernel.shape[-1] != channels:
        raise ValueError(
            f"A conv_transpose kernel is (spatial..., out_channels, in_channels). Received: "
            f"inputs with {channels} channels, kernel.shape={kernel.shape}."
        )
    strides = _spatial_tuple(strides, num_spatial, "strides")
    dilation_rate = _spatial_tuple(dilation_rate, num_spatial, "dilation_rate")
    if output_padding is None:
        output_padding = (None,) * num_spatial
    else:
        output_padding = _spatial_tuple(output_padding, num_spatial, "output_padding")
    paddings = [
        _conv_transpose_padding(kernel.shape[i], strides[i], dilation_rate[i], padding, output_padding[i])
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
    padding = _check_padding(padding).upper()
    _check_data_format(data_format)
    inputs = convert_to_tensor(inputs)
    num_spatial = inputs.ndim - 2
    if num_spatial not in _SPATIAL:
        raise ValueError(
            f"Pooling takes a 3-D, 4-D or 5-D input (batch, spatial..., channels). "
            f"Received: inputs.shape={inputs.shape}."
        )
    pool_size = _spatial_tuple(pool_size, num_spatial, "pool_size")
    strides = pool_size if strides is None else _spatial_tuple(strides, num_spatial, "strides")
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
    x = convert_to_tensor(x)
    axes = tuple(axes) if isinstance(axes, list | tuple) else (axes,)
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
    from .random import seed_key

    x = convert_to_tensor(x)
    if isinstance(rate, int | float) and not 0.0 <= rate < 1.0:
        raise ValueError(f"Received: rate={rate!r}; expected a float in [0, 1).")
    if noise_shape is None:
        noise_shape = x.shape
    else:
        noise_shape = tuple(
            x.shape[i] if dim is None else int(dim) for i, dim in enumerate(noise_shape)
        )
    keep_probability = 1.0 - rate
    mask = jax.random.bernoulli(seed_key(seed), keep_probability, noise_shape)
    mask = jnp.broadcast_to(mask, x.shape)
    return jnp.where(mask, x / keep_probability, jnp.zeros_like(x))


# ------------------------------------------------------------------- loops


def scan(f, init, xs, length=None, reverse=False, unroll=1):
    container = type(init) if isinstance(init, list | tuple) else None
    if container is not None:
        init = tuple(convert_to_tensor(c) for c in init)
    else:
        init = convert_to_tensor(init)
    if isinstance(xs, list | tuple):
        xs = type(xs)(convert_to_tensor(x) for x in xs)
    elif xs is not None:
        xs = convert_to_tensor(xs)

    def body(carry, x):
        new_carry, y = f(container(carry) if container is not None else carry, x)
        if container is not None:
            new_carry = tuple(new_carry)
        return new_carry, y

    carry, ys = jax.lax.scan(body, init, xs, length=length, reverse=reverse, unroll=unroll)
    return (container(carry) if container is not None else carry), ys
