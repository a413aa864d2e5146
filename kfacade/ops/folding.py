"""``unfold`` (im2col) and ``fold`` (col2im): torch's ``F.unfold``/``F.fold``
semantics, channels-first, composed of the adapter's primitives.

``unfold`` gathers each window's rows, then its columns (two ``take``s with
index tables built in NumPy from the static geometry); ``fold``, its
adjoint, sums every patch entry into the pixel it came from with one
``segment_reduce``. Both have a symbolic shape rule, so unknown sizes stay
unknown instead of meeting stand-ins that a kernel would not fit.
"""
import numpy as np

from kfacade.backend.active import adapter as _B
from kfacade.engine.keras_tensor import KerasTensor as _KerasTensor
from kfacade.ops._composite import tensor as _tensor
from kfacade.ops.dispatch import symbolic_or

__all__ = ["unfold", "fold"]


def _pair(value, name):
    """`value` as two positive (or, for padding, non-negative) ints."""
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    smallest = 0 if name == "padding" else 1
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and v >= smallest for v in pair):
        raise ValueError(f"`{name}` must be an int or a tuple of two ints >= {smallest}. "
                         f"Received: {name}={value!r}")
    return tuple(int(v) for v in pair)


def _geometry(kernel_size, dilation, padding, stride):
    return (_pair(kernel_size, "kernel_size"), _pair(dilation, "dilation"),
            _pair(padding, "padding"), _pair(stride, "stride"))


def _blocks(size, kernel, dilation, padding, stride):
    """The number of window positions along one spatial axis of length `size`."""
    span = dilation * (kernel - 1) + 1
    count = (size + 2 * padding - span) // stride + 1
    if count < 1:
        raise ValueError(
            f"The kernel (size {kernel}, dilation {dilation}, so it spans {span}) does not fit "
            f"a spatial size of {size} padded by {padding} on each side.")
    return count


def _rows(kernel, dilation, stride, count):
    """(kernel, count) int32 table: the padded position of kernel tap k at window i."""
    return (np.arange(kernel)[:, None] * dilation + np.arange(count)[None, :] * stride).astype("int32")


def _unfold_shape(shape, kernel_size, dilation, padding, stride):
    if len(shape) != 4:
        raise ValueError(f"Input must be a 4D tensor. Received: input.shape={tuple(shape)}")
    (kh, kw), d, p, s = _geometry(kernel_size, dilation, padding, stride)
    n, c, h, w = shape
    blocks = None
    if h is not None and w is not None:
        blocks = _blocks(h, kh, d[0], p[0], s[0]) * _blocks(w, kw, d[1], p[1], s[1])
    return (n, None if c is None else c * kh * kw, blocks)


@symbolic_or
def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding local blocks of a batched image, flattened (im2col).

    Args:
        x: a 4-D tensor (N, C, H, W).
        kernel_size, dilation, padding, stride: ints or pairs (height, width);
            `padding` zeros are added on both sides of each spatial axis.

    Returns:
        (N, C * kH * kW, L): column l holds the window at block l (row-major
        over the block grid), ordered channel, then kernel row, then column.

    Example:
        >>> ops.unfold(ops.ones((1, 2, 4, 4)), kernel_size=2, stride=2).shape
        (1, 8, 4)
    """
    x = _tensor(x)
    _unfold_shape(tuple(_B.shape(x)), kernel_size, dilation, padding, stride)  # checks
    n, c, h, w = _B.shape(x)
    (kh, kw), d, p, s = _geometry(kernel_size, dilation, padding, stride)
    oh, ow = _blocks(h, kh, d[0], p[0], s[0]), _blocks(w, kw, d[1], p[1], s[1])
    if p != (0, 0):
        x = _B.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    x = _B.take(x, _B.convert_to_tensor(_rows(kh, d[0], s[0], oh)), axis=2)  # (N, C, kh, oh, W')
    x = _B.take(x, _B.convert_to_tensor(_rows(kw, d[1], s[1], ow)), axis=4)  # (N, C, kh, oh, kw, ow)
    x = _B.transpose(x, (0, 1, 2, 4, 3, 5))
    return _B.reshape(x, (n, c * kh * kw, oh * ow))


unfold.output_spec = lambda x, kernel_size, dilation=1, padding=0, stride=1: _KerasTensor(
    _unfold_shape(tuple(x.shape), kernel_size, dilation, padding, stride), dtype=x.dtype)


def _fold_shape(shape, output_size, kernel_size, dilation, padding, stride):
    if len(shape) != 3:
        raise ValueError(f"Input must be a 3D tensor (N, C * kH * kW, L). Received: x.shape={tuple(shape)}")
    height, width = _pair(output_size, "output_size")
    (kh, kw), d, p, s = _geometry(kernel_size, dilation, padding, stride)
    n, ckk, length = shape
    if ckk is not None and ckk % (kh * kw):
        raise ValueError(f"The second dimension of the input ({ckk}) must be "
                         f"divisible by kernel_size product ({kh * kw}).")
    blocks = _blocks(height, kh, d[0], p[0], s[0]) * _blocks(width, kw, d[1], p[1], s[1])
    if length is not None and length != blocks:
        raise ValueError(
            f"The last dimension of the input ({length}) must be the number of blocks, {blocks}, "
            f"that output_size={(height, width)} gives with these kernel_size, dilation, "
            f"padding and stride.")
    return (n, None if ckk is None else ckk // (kh * kw), height, width)


@symbolic_or
def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sums flattened sliding blocks back into a batched image (col2im), the
    adjoint of ``unfold``: overlapping entries add up.

    Args:
        x: a 3-D tensor (N, C * kH * kW, L), as ``unfold`` makes.
        output_size: int or pair (H, W), the image's spatial size.
        kernel_size, dilation, padding, stride: as given to ``unfold``.

    Returns:
        (N, C, H, W).

    Example:
        >>> patches = ops.unfold(ops.ones((1, 2, 4, 4)), kernel_size=2, stride=2)
        >>> ops.fold(patches, output_size=(4, 4), kernel_size=2, stride=2).shape
        (1, 2, 4, 4)
    """
    x = _tensor(x)
    n, c, height, width = _fold_shape(_B.shape(x), output_size, kernel_size, dilation, padding, stride)
    (kh, kw), d, p, s = _geometry(kernel_size, dilation, padding, stride)
    oh, ow = _blocks(height, kh, d[0], p[0], s[0]), _blocks(width, kw, d[1], p[1], s[1])
    padded_w = width + 2 * p[1]
    # Padded flat pixel of each (kernel row, kernel column, block row, block column).
    rows, cols = _rows(kh, d[0], s[0], oh), _rows(kw, d[1], s[1], ow)
    pixel = rows[:, None, :, None] * padded_w + cols[None, :, None, :]
    x = _B.transpose(_B.reshape(x, (n, c, kh * kw * oh * ow)), (2, 0, 1))  # (entries, N, C)
    image = _B.segment_reduce(x, _B.convert_to_tensor(pixel.reshape(-1)),
                              (height + 2 * p[0]) * padded_w, "sum")
    image = _B.reshape(_B.transpose(image, (1, 2, 0)), (n, c, height + 2 * p[0], padded_w))
    if p != (0, 0):
        image = _B.slice(image, (0, 0, p[0], p[1]), (n, c, height, width))
    return image


fold.output_spec = lambda x, output_size, kernel_size, dilation=1, padding=0, stride=1: _KerasTensor(
    _fold_shape(tuple(x.shape), output_size, kernel_size, dilation, padding, stride), dtype=x.dtype)
