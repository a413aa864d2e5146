"""NumPy references for convolution, pooling and resizing layers.

Every function takes and returns channels_last float arrays (move the
channel axis with ``to_channels_first``/``to_channels_last`` to test the
other format), computes in float64 and returns float32. Kernels use
Keras's layouts. The definitions are TensorFlow's, which Keras follows on
every backend: "same" pads ``total = max((ceil(n / s) - 1) * s + k - n, 0)``
cells, ``total // 2`` before and the rest after.
"""
import math

import numpy as np


def as_tuple(value, n):
    """An int or a sequence as a tuple of `n` values."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


def to_channels_first(x):
    """(batch, spatial..., channels) -> (batch, channels, spatial...)."""
    return np.ascontiguousarray(np.moveaxis(x, -1, 1))


def to_channels_last(x):
    """(batch, channels, spatial...) -> (batch, spatial..., channels)."""
    return np.ascontiguousarray(np.moveaxis(x, 1, -1))


def same_padding(length, kernel_size, stride, dilation=1):
    """(before, after) padding of "same" so that the output has ceil(n / s) cells."""
    effective = (kernel_size - 1) * dilation + 1
    total = max((math.ceil(length / stride) - 1) * stride + effective - length, 0)
    return total // 2, total - total // 2


def _windows(xp, offset, out_spatial, strides, dilation):
    """The input cells that kernel tap `offset` meets, for every output cell."""
    return xp[(slice(None),) + tuple(
        slice(o * d, o * d + (n - 1) * s + 1, s)
        for o, n, s, d in zip(offset, out_spatial, strides, dilation)
    )]


def conv(x, kernel, strides=1, padding="valid", dilation_rate=1, groups=1):
    """Cross-correlation with kernel ``(*kernel_size, in_channels // groups, filters)``.

    `padding` is "valid", "same" or "causal" (1-D: ``dilation * (k - 1)``
    zeros before the steps, none after).
    """
    rank = x.ndim - 2
    strides, dilation = as_tuple(strides, rank), as_tuple(dilation_rate, rank)
    kernel_size = kernel.shape[:rank]
    if padding == "same":
        pads = [same_padding(n, k, s, d) for n, k, s, d in zip(x.shape[1:-1], kernel_size, strides, dilation)]
    elif padding == "causal":
        pads = [((kernel_size[0] - 1) * dilation[0], 0)]
    else:
        pads = [(0, 0)] * rank
    xp = np.pad(x.astype(np.float64), [(0, 0)] + pads + [(0, 0)])
    out_spatial = [(xp.shape[1 + i] - (kernel_size[i] - 1) * dilation[i] - 1) // strides[i] + 1
                   for i in range(rank)]
    in_per_group, filters = kernel.shape[-2], kernel.shape[-1]
    out_per_group = filters // groups
    out = np.zeros((x.shape[0], *out_spatial, filters))
    for offset in np.ndindex(*kernel_size):
        patch = _windows(xp, offset, out_spatial, strides, dilation)
        tap = kernel[offset].astype(np.float64)  # (in // groups, filters)
        for g in range(groups):
            ins = slice(g * in_per_group, (g + 1) * in_per_group)
            outs = slice(g * out_per_group, (g + 1) * out_per_group)
            out[..., outs] += patch[..., ins] @ tap[:, outs]
    return out.astype(np.float32)


def depthwise_conv(x, kernel, strides=1, padding="valid", dilation_rate=1):
    """Depthwise convolution, kernel ``(*kernel_size, channels, multiplier)``.

    Output channel ``c * multiplier + m`` is channel c through filter m: a
    grouped convolution with one group per channel.
    """
    rank = x.ndim - 2
    channels, multiplier = kernel.shape[-2:]
    grouped = kernel.reshape(kernel.shape[:rank] + (1, channels * multiplier))
    return conv(x, grouped, strides, padding, dilation_rate, groups=channels)


def separable_conv(x, depthwise_kernel, pointwise_kernel, strides=1, padding="valid", dilation_rate=1):
    """Depthwise convolution, then a 1x1 convolution with `pointwise_kernel`."""
    return conv(depthwise_conv(x, depthwise_kernel, strides, padding, dilation_rate), pointwise_kernel)


def _dilate_kernel(kernel, dilation):
    """The kernel with ``dilation - 1`` zeros between taps along each spatial axis."""
    rank = len(dilation)
    shape = tuple((k - 1) * d + 1 for k, d in zip(kernel.shape[:rank], dilation))
    out = np.zeros(shape + kernel.shape[rank:], kernel.dtype)
    out[tuple(slice(None, None, d) for d in dilation)] = kernel
    return out


def conv_transpose_length(length, kernel_size, stride, padding, output_padding=None, dilation=1):
    """Keras's output length of a transposed convolution along one axis."""
    k = (kernel_size - 1) * dilation + 1
    if output_padding is None:
        return length * stride + max(k - stride, 0) if padding == "valid" else length * stride
    pad = k // 2 if padding == "same" else 0
    return (length - 1) * stride + k - 2 * pad + output_padding


def conv_transpose(x, kernel, strides=1, padding="valid", output_padding=None, dilation_rate=1):
    """Transposed convolution, kernel ``(*kernel_size, filters, in_channels)``.

    Scatter-adds ``x[i] * kernel`` at ``i * stride`` (the full output), then
    keeps Keras's output length starting at the "same" padding before of
    the forward convolution of that length ("valid": from 0, zeros past
    the full output).
    """
    rank = x.ndim - 2
    strides, dilation = as_tuple(strides, rank), as_tuple(dilation_rate, rank)
    output_padding = (None,) * rank if output_padding is None else as_tuple(output_padding, rank)
    kernel = _dilate_kernel(kernel, dilation)
    n, k = x.shape[1:-1], kernel.shape[:rank]
    full = np.zeros((x.shape[0], *[(n[i] - 1) * strides[i] + k[i] for i in range(rank)], kernel.shape[rank]))
    for offset in np.ndindex(*k):
        target = tuple(slice(o, o + (m - 1) * s + 1, s) for o, m, s in zip(offset, n, strides))
        full[(slice(None),) + target] += x.astype(np.float64) @ kernel[offset].astype(np.float64).T
    lengths = [conv_transpose_length(n[i], k[i], strides[i], padding, output_padding[i]) for i in range(rank)]
    befores = [same_padding(lengths[i], k[i], strides[i])[0] if padding == "same" else 0 for i in range(rank)]
    # The kept range may run past the full output ("valid" with kernel < stride): zeros there.
    short = [max(b + m - f, 0) for b, m, f in zip(befores, lengths, full.shape[1:-1])]
    padded = np.pad(full, [(0, 0)] + [(0, extra) for extra in short] + [(0, 0)])
    kept = tuple(slice(b, b + m) for b, m in zip(befores, lengths))
    return padded[(slice(None),) + kept].astype(np.float32)


def pool(x, pool_size, strides=None, padding="valid", mode="max"):
    """Max or average pooling; "same" pads with NaN, which the reduction skips
    (so averages count real cells only, as Keras)."""
    rank = x.ndim - 2
    pool_size = as_tuple(pool_size, rank)
    strides = pool_size if strides is None else as_tuple(strides, rank)
    pads = [same_padding(n, p, s) if padding == "same" else (0, 0)
            for n, p, s in zip(x.shape[1:-1], pool_size, strides)]
    xp = np.pad(x.astype(np.float64), [(0, 0)] + pads + [(0, 0)], constant_values=np.nan)
    out_spatial = [(xp.shape[1 + i] - pool_size[i]) // strides[i] + 1 for i in range(rank)]
    windows = np.stack([_windows(xp, offset, out_spatial, strides, (1,) * rank)
                        for offset in np.ndindex(*pool_size)])
    reduce = np.nanmax if mode == "max" else np.nanmean
    return reduce(windows, axis=0).astype(np.result_type(x.dtype, np.float32))


def resize_bilinear(x, factors):
    """Bilinear enlargement of (batch, rows, cols, channels) by integer `factors`.

    As ``tf.image.resize(..., "bilinear")``: output pixel (i, j) samples the
    input at ``((i + 0.5) / fh - 0.5, (j + 0.5) / fw - 0.5)``, weighting its
    four neighbours, with coordinates clamped to the image.
    """
    batch, rows, cols, channels = x.shape
    fh, fw = factors
    out = np.zeros((batch, rows * fh, cols * fw, channels))
    for i in range(rows * fh):
        for j in range(cols * fw):
            r, c = (i + 0.5) / fh - 0.5, (j + 0.5) / fw - 0.5
            r0, c0 = math.floor(r), math.floor(c)
            dr, dc = r - r0, c - c0
            for rr, wr in ((r0, 1 - dr), (r0 + 1, dr)):
                for cc, wc in ((c0, 1 - dc), (c0 + 1, dc)):
                    rr_in, cc_in = min(max(rr, 0), rows - 1), min(max(cc, 0), cols - 1)
                    out[:, i, j] += wr * wc * x[:, rr_in, cc_in].astype(np.float64)
    return out.astype(np.float32)


def _resize_kernel(name, x):
    """The 1-D interpolation kernels of ``tf.image.resize`` at distance ``x >= 0``."""
    if name == "bilinear":
        return max(0.0, 1.0 - x)
    if name == "bicubic":  # Keys' cubic convolution, a = -0.5
        if x < 1.0:
            return 1.5 * x ** 3 - 2.5 * x ** 2 + 1.0
        if x < 2.0:
            return -0.5 * x ** 3 + 2.5 * x ** 2 - 4.0 * x + 2.0
        return 0.0
    radius = {"lanczos3": 3.0, "lanczos5": 5.0}[name]
    if x > radius:
        return 0.0
    if x <= 1e-3:
        return 1.0
    return radius * math.sin(math.pi * x) * math.sin(math.pi * x / radius) / (math.pi * x) ** 2


def resize_axis_weights(n, m, method, antialias=False):
    """{input cell: weight} of every output cell of one axis resized n -> m.

    Output cell o samples ``s = (o + 0.5) * n / m - 0.5`` (half-pixel
    centres). "nearest": cell ``floor((o + 0.5) * n / m)``; "area": the
    overlap of each input cell with ``[o n / m, (o + 1) n / m)`` over its
    length; the kernels: ``k(|s - i| / stretch)`` normalized to sum 1, where
    ``stretch = n / m`` when antialiasing a reduction, else 1.
    """
    rows = []
    scale = n / m
    for o in range(m):
        if method == "nearest":
            rows.append({min(int(math.floor((o + 0.5) * scale)), n - 1): 1.0})
        elif method == "area":
            lo, hi = o * scale, (o + 1) * scale
            rows.append({i: (min(i + 1, hi) - max(i, lo)) / scale
                         for i in range(n) if min(i + 1, hi) > max(i, lo)})
        else:
            s = (o + 0.5) * scale - 0.5
            stretch = max(scale, 1.0) if antialias else 1.0
            weights = {i: _resize_kernel(method, abs(s - i) / stretch) for i in range(n)}
            total = sum(weights.values())
            rows.append({i: w / total for i, w in weights.items() if w != 0.0})
    return rows


def resize(x, size, method="bilinear", antialias=False):
    """(batch, rows, cols, channels) resized to ``size`` by ``resize_axis_weights``
    along rows, then columns; float64 inside, float32 out."""
    out = x.astype(np.float64)
    for axis, m in ((1, size[0]), (2, size[1])):
        n = out.shape[axis]
        if n == m:
            continue
        rows = resize_axis_weights(n, m, method, antialias)
        moved = np.moveaxis(out, axis, 0)
        result = np.zeros((m,) + moved.shape[1:])
        for o, weights in enumerate(rows):
            for i, w in weights.items():
                result[o] += w * moved[i]
        out = np.moveaxis(result, 0, axis)
    return out.astype(np.float32)


def aspect_crop_box(height, width, target_height, target_width):
    """(top, left, crop_height, crop_width) of the largest centred crop with
    the target's aspect ratio (Keras's ``smart_resize``)."""
    crop_height = max(min(height, int(width * target_height / target_width)), 1)
    crop_width = max(min(width, int(height * target_width / target_height)), 1)
    return (height - crop_height) // 2, (width - crop_width) // 2, crop_height, crop_width


def smart_resize(x, size):
    """(batch, rows, cols, channels): the aspect-ratio crop, resized bilinearly to `size`."""
    top, left, h, w = aspect_crop_box(x.shape[1], x.shape[2], *size)
    return resize(x[:, top:top + h, left:left + w], size)
