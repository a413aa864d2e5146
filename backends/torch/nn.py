"""The contract's ``nn`` family on torch tensors: activations, conv and pool, moments, dropout.

Conv and pool ops take Keras's kernel layouts and data formats and translate
them to torch's (channels first, kernel ``(out, in // groups, spatial...)``)
inside the op; "same" padding follows TensorFlow (the odd cell at the end).
"""
import builtins

import numpy as np
import torch
import torch.nn.functional as F

from kfacade.backend.contract import FAMILIES
from kfacade.backend.conv_geometry import (
    conv_transpose_padding,
    same_padding,
    standardize_data_format,
    standardize_padding,
    standardize_tuple,
)

from ._helpers import Tensor, _all_axes, _axes, _float, _promoted, _t
from .random import _generator

__all__ = list(FAMILIES["nn"])


# ---------------------------------------------------------------------- nn


def relu(x):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.relu(x)


def relu6(x):
    if type(x) is not Tensor:
        x = _t(x)
    return F.relu6(x)


def sigmoid(x):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.sigmoid(x)


def softplus(x):
    return F.softplus(_float(_t(x)))


def softsign(x):
    return F.softsign(_float(_t(x)))


def elu(x, alpha=1.0):
    return F.elu(_float(_t(x)), alpha)


def selu(x):
    return F.selu(_float(_t(x)))  # torch's constants are Keras's


def gelu(x, approximate=True):
    return F.gelu(_float(_t(x)), approximate="tanh" if approximate else "none")


def silu(x):
    if type(x) is not Tensor:
        x = _t(x)
    return F.silu(x)


def leaky_relu(x, negative_slope=0.2):
    return F.leaky_relu(_float(_t(x)), negative_slope)


def hard_sigmoid(x):
    return F.hardsigmoid(_float(_t(x)))  # clip(x / 6 + 0.5, 0, 1)


def softmax(x, axis=-1):
    if type(x) is not Tensor:
        x = _t(x)
    if type(axis) is int and x.dtype.is_floating_point:
        return torch.softmax(x, axis)
    x = _float(x)
    if type(axis) is int:
        return torch.softmax(x, axis)
    axes = _all_axes(x) if axis is None else _axes(axis, x.ndim)
    return torch.exp(x - torch.logsumexp(x, axes, keepdim=True))


def log_softmax(x, axis=-1):
    if type(x) is not Tensor:
        x = _t(x)
    if type(axis) is int and x.dtype.is_floating_point:
        return torch.log_softmax(x, axis)
    x = _float(x)
    if type(axis) is int:
        return torch.log_softmax(x, axis)
    axes = _all_axes(x) if axis is None else _axes(axis, x.ndim)
    return x - torch.logsumexp(x, axes, keepdim=True)


# ----------------------------------------------------------- conv and pool

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_TRANSPOSE = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
_MAX_POOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_AVG_POOL = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}


def _spatial_rank(x, op):
    n = x.ndim - 2
    if n not in (1, 2, 3):
        raise ValueError(
            f"{op} expects a 3-D, 4-D or 5-D input (batch, spatial..., channels). "
            f"Received: inputs.shape={tuple(x.shape)}"
        )
    return n


def _channels_first(x, n):
    return x.permute(0, n + 1, *range(1, n + 1))


def _channels_last(x, n):
    return x.permute(0, *range(2, n + 2), 1)


def _pad_arg(pads):
    """F.pad's argument, last axis first, for (before, after) pairs of the spatial axes."""
    flat = []
    for before, after in reversed(pads):
        flat += [before, after]
    return flat


def _conv_input(x, padding, kernel_sizes, strides, dilations):
    """(input, torch padding): symmetric "same" padding goes to torch, the rest to F.pad."""
    if padding == "valid":
        return x, 0
    pads = [same_padding(*axis) for axis in zip(x.shape[2:], kernel_sizes, strides, dilations)]
    if builtins.all(before == after for before, after in pads):
        return x, tuple(before for before, _ in pads)
    return F.pad(x, _pad_arg(pads)), 0


def conv(inputs, kernel, strides=1, padding="valid", data_format="channels_last", dilation_rate=1, groups=1):
    return _conv(inputs, kernel, None, strides, padding, data_format, dilation_rate, groups)


def _conv(inputs, kernel, bias, strides, padding, data_format, dilation_rate, groups):
    """``conv``, with `bias` (a tensor of the kernel's dtype, or None) added
    by torch's convolution kernel itself (the ``fused_conv`` hook)."""
    x, kernel = _t(inputs), _t(kernel)
    n = _spatial_rank(x, "conv")
    if kernel.ndim != n + 2:
        raise ValueError(
            f"conv expects a kernel of rank {n + 2} (spatial..., in_channels // groups, "
            f"out_channels) for inputs of rank {n + 2}. Received: kernel.shape="
            f"{tuple(kernel.shape)}"
        )
    strides = standardize_tuple(strides, n, "strides")
    dilations = standardize_tuple(dilation_rate, n, "dilation_rate")
    padding = standardize_padding(padding)
    channels_last = standardize_data_format(data_format) == "channels_last"
    if channels_last:
        x = _channels_first(x, n)
    channels, per_group = x.shape[1], kernel.shape[-2]
    if channels != per_group * groups:
        if groups == 1 and per_group and channels % per_group == 0:
            groups = channels // per_group  # Keras infers the groups from the kernel
        else:
            raise ValueError(
                f"The input has {channels} channels but the kernel expects "
                f"{per_group} per group with groups={groups}. Received: "
                f"inputs.shape={tuple(inputs.shape)}, kernel.shape={tuple(kernel.shape)}"
            )
    weight = kernel.permute(n + 1, n, *range(n))
    if x.dtype != weight.dtype:
        x, weight = _promoted(x, weight)
    x, torch_padding = _conv_input(x, padding, weight.shape[2:], strides, dilations)
    y = _CONV[n](x, weight, bias, strides, torch_padding, dilations, groups)
    return _channels_last(y, n) if channels_last else y


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format="channels_last", dilation_rate=1):
    kernel = _t(kernel)
    in_channels, multiplier = kernel.shape[-2], kernel.shape[-1]
    # Output channel c * multiplier + m, as Keras: a grouped conv, one group per channel.
    kernel = kernel.reshape(*kernel.shape[:-2], 1, in_channels * multiplier)
    return conv(inputs, kernel, strides, padding, data_format, dilation_rate, groups=in_channels)


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None, data_format="channels_last", dilation_rate=1):
    x, kernel = _t(inputs), _t(kernel)
    n = _spatial_rank(x, "conv_transpose")
    if kernel.ndim != n + 2:
        raise ValueError(
            f"conv_transpose expects a kernel of rank {n + 2} (spatial..., out_channels, "
            f"in_channels). Received: kernel.shape={tuple(kernel.shape)}"
        )
    strides = standardize_tuple(strides, n, "strides")
    dilations = standardize_tuple(dilation_rate, n, "dilation_rate")
    output_paddings = (
        (None,) * n if output_padding is None
        else standardize_tuple(output_padding, n, "output_padding", allow_zero=True)
    )
    padding = standardize_padding(padding)
    channels_last = standardize_data_format(data_format) == "channels_last"
    if channels_last:
        x = _channels_first(x, n)
    if x.shape[1] != kernel.shape[-1]:
        raise ValueError(
            f"The input has {x.shape[1]} channels but the kernel expects {kernel.shape[-1]} "
            f"(its last axis). Received: inputs.shape={tuple(inputs.shape)}, "
            f"kernel.shape={tuple(kernel.shape)}"
        )
    weight = kernel.permute(n + 1, n, *range(n))  # (in, out, spatial...)
    if x.dtype != weight.dtype:
        x, weight = _promoted(x, weight)
    # torch's unpadded output pads the dilated input by k - 1 on both sides;
    # torch's `padding` crops the symmetric part of Keras's, F.pad the rest
    # (negative widths crop, positive ones add cells the kernel never reaches: zeros).
    crops, extra = [], []
    for k, s, d, op in zip(kernel.shape[:n], strides, dilations, output_paddings):
        k = (k - 1) * d + 1
        left, right = conv_transpose_padding(k, s, padding, op)
        crop = builtins.max(0, builtins.min(k - 1 - left, k - 1 - right))
        crops.append(crop)
        extra.append((left - (k - 1) + crop, right - (k - 1) + crop))
    y = _CONV_TRANSPOSE[n](x, weight, None, strides, crops, 0, 1, dilations)
    if builtins.any(before or after for before, after in extra):
        y = F.pad(y, _pad_arg(extra))
    return _channels_last(y, n) if channels_last else y


def _pool_input(inputs, pool_size, strides, padding, data_format, op):
    x = _t(inputs)
    n = _spatial_rank(x, op)
    pool_size = standardize_tuple(pool_size, n, "pool_size")
    strides = pool_size if strides is None else standardize_tuple(strides, n, "strides")
    padding = standardize_padding(padding)
    channels_last = standardize_data_format(data_format) == "channels_last"
    if channels_last:
        x = _channels_first(x, n)
    pads = None
    if padding == "same":
        pads = [same_padding(*axis) for axis in zip(x.shape[2:], pool_size, strides)]
    # torch pads symmetrically only, by at most half the window.
    native = pads is None or builtins.all(
        before == after and before <= k // 2 for (before, after), k in zip(pads, pool_size)
    )
    return x, n, pool_size, strides, pads, native, channels_last


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format="channels_last"):
    x, n, pool_size, strides, pads, native, channels_last = _pool_input(
        inputs, pool_size, strides, padding, data_format, "max_pool"
    )
    if native:
        torch_padding = 0 if pads is None else tuple(before for before, _ in pads)
        y = _MAX_POOL[n](x, pool_size, strides, torch_padding)
    else:
        lowest = float("-inf") if x.dtype.is_floating_point else torch.iinfo(x.dtype).min
        y = _MAX_POOL[n](F.pad(x, _pad_arg(pads), value=lowest), pool_size, strides)
    return _channels_last(y, n) if channels_last else y


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format="channels_last"):
    x, n, pool_size, strides, pads, native, channels_last = _pool_input(
        inputs, pool_size, strides, padding, data_format, "average_pool"
    )
    dtype = x.dtype
    if n == 3 and dtype == torch.float16 and x.device.type == "cpu":
        x = x.to(dtype=torch.float32)  # torch's CPU avg_pool3d has no float16 kernel
    if native:
        torch_padding = 0 if pads is None else tuple(before for before, _ in pads)
        y = _AVG_POOL[n](x, pool_size, strides, torch_padding, count_include_pad=False)
    else:
        # Mean over the window with zeros padded, divided by the share of real cells.
        flat = _pad_arg(pads)
        y = _AVG_POOL[n](F.pad(x, flat), pool_size, strides)
        cells = torch.ones((1, 1) + tuple(x.shape[2:]), dtype=x.dtype, device=x.device)
        y = y / _AVG_POOL[n](F.pad(cells, flat), pool_size, strides)
    y = y.to(dtype=dtype)
    return _channels_last(y, n) if channels_last else y


def moments(x, axes, keepdims=False):
    """Half-precision inputs are reduced in float32 and cast back (as Keras)."""
    x = _t(x)
    dtype = x.dtype
    if dtype in (torch.float16, torch.bfloat16) or not dtype.is_floating_point:
        x = x.to(dtype=torch.float32)
    dims = None if axes is None else _axes(axes, x.ndim)
    variance, average = torch.var_mean(x, dims, correction=0, keepdim=keepdims)
    if dtype in (torch.float16, torch.bfloat16):
        variance, average = variance.to(dtype=dtype), average.to(dtype=dtype)
    return average, variance


def dropout(x, rate, noise_shape=None, seed=None):
    """Always drops (training semantics).

    The mask is ``rand >= rate`` drawn from a ``torch.Generator`` seeded by
    the drawn `seed` (``random._generator``): reproducible from the seed
    (``F.dropout`` takes no generator), and on CPU several times faster than
    ``F.dropout``, whose ``bernoulli_`` is slow there.
    """
    x = _t(x)
    rate = float(rate)
    if not 0.0 <= rate <= 1.0:
        raise ValueError(
            f"Invalid dropout rate. Received: rate={rate!r}; expected a number in [0, 1], "
            "the fraction of elements to drop."
        )
    if rate == 0.0:
        return x
    if rate == 1.0:
        return torch.zeros_like(x)
    if noise_shape is None:
        noise_shape = x.shape
    else:
        noise_shape = tuple(
            size if dim is None else int(dim) for dim, size in zip(noise_shape, x.shape)
        )
    # Half-precision uniforms are too coarse for the keep probability.
    mask_dtype = x.dtype if x.dtype in (torch.float32, torch.float64) else torch.float32
    mask = torch.rand(
        noise_shape, dtype=mask_dtype, device=x.device, generator=_generator(seed, x.device)
    )
    mask = mask.ge_(rate).mul_(1.0 / (1.0 - rate))  # 0 or 1 / keep, in place
    return x * (mask if mask_dtype == x.dtype else mask.to(dtype=x.dtype))
