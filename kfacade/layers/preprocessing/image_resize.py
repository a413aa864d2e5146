"""Image resizing written with ``kfacade.ops``: Keras 3's ``ops.image.resize``.

Every interpolation is separable: each spatial axis in turn is mapped from
``n`` to ``m`` cells by an ``(n, m)`` weight matrix that NumPy computes once
from the static sizes, applied as a weighted sum of a few ``ops.take`` gathers, one per nonzero
tap (nearest-neighbour is one plain gather, so integer pixels pass
unchanged). No Python branch depends on tensor values, so it runs inside
compiled steps and gradients flow to the input.

The definitions are TensorFlow's ``tf.image.resize`` (half-pixel centres),
which Keras 3 follows on every backend:

- output cell ``o`` of an axis resized from ``n`` to ``m`` samples the input
  at ``s = (o + 0.5) * n / m - 0.5``;
- "nearest": input cell ``floor((o + 0.5) * n / m)``, computed in exact
  integer arithmetic (frameworks differ by float rounding where that
  product is an integer);
- "bilinear", "bicubic" (Keys, a = -0.5), "lanczos3", "lanczos5": the
  kernel ``k(|s - i|)`` over the input cells ``i`` inside the image,
  normalized to sum 1 (TensorFlow's and JAX's ``scale_and_translate``);
  with ``antialias=True`` and ``m < n`` the kernel is stretched by
  ``n / m`` (a low-pass filter);
- "area": each output cell averages the input over ``[o * n / m,
  (o + 1) * n / m)``, partial cells weighted by their overlap (TensorFlow's
  ``resize_area``).

An axis whose size does not change is left as it is.
"""
import numpy as np

from kfacade import ops
from kfacade.backend.config import standardize_data_format
from kfacade.backend.dtypes import is_float_dtype, standardize_dtype

RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic", "area")


def _triangle(x):
    return np.maximum(0.0, 1.0 - x)


def _keys_cubic(x):
    out = ((1.5 * x - 2.5) * x) * x + 1.0
    out = np.where(x >= 1.0, ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0, out)
    return np.where(x >= 2.0, 0.0, out)


def _lanczos(radius):
    def kernel(x):
        with np.errstate(divide="ignore", invalid="ignore"):
            y = radius * np.sin(np.pi * x) * np.sin(np.pi * x / radius) / (np.pi ** 2 * x ** 2)
        out = np.where(x > 1e-3, y, 1.0)
        return np.where(x > radius, 0.0, out)
    return kernel


_KERNELS = {
    "bilinear": _triangle,
    "bicubic": _keys_cubic,
    "lanczos3": _lanczos(3.0),
    "lanczos5": _lanczos(5.0),
}


def _kernel_weights(in_size, out_size, interpolation, antialias):
    """The (in_size, out_size) float64 matrix of a kernel interpolation."""
    inv_scale = in_size / out_size
    kernel_scale = max(inv_scale, 1.0) if antialias else 1.0
    sample = (np.arange(out_size) + 0.5) * inv_scale - 0.5
    distance = np.abs(sample[None, :] - np.arange(in_size)[:, None]) / kernel_scale
    weights = _KERNELS[interpolation](distance)
    total = np.sum(weights, axis=0, keepdims=True)
    weights = np.where(np.abs(total) > 1000.0 * np.finfo(np.float32).eps,
                       weights / np.where(total != 0, total, 1.0), 0.0)
    inside = (sample >= -0.5) & (sample <= in_size - 0.5)
    return np.where(inside[None, :], weights, 0.0)


def _area_weights(in_size, out_size):
    """The (in_size, out_size) matrix of box averages over each output cell's span."""
    scale = in_size / out_size
    starts = np.arange(out_size) * scale
    ends = starts + scale
    cells = np.arange(in_size)
    overlap = np.minimum(cells[:, None] + 1, ends[None, :]) - np.maximum(cells[:, None], starts[None, :])
    return np.maximum(overlap, 0.0) / scale


def _nearest_indices(in_size, out_size):
    """floor((o + 0.5) * in / out) for every output cell, in exact integers."""
    return np.minimum((2 * np.arange(out_size) + 1) * in_size // (2 * out_size), in_size - 1)


def resize_weights(in_size, out_size, interpolation, antialias=False):
    """The float64 ``(in_size, out_size)`` matrix that resizes one axis.

    "nearest" gives a 0/1 selection matrix. Used by ``resize`` and by tests.
    """
    if interpolation == "nearest":
        weights = np.zeros((in_size, out_size))
        weights[_nearest_indices(in_size, out_size), np.arange(out_size)] = 1.0
        return weights
    if interpolation == "area":
        return _area_weights(in_size, out_size)
    return _kernel_weights(in_size, out_size, interpolation, antialias)


def _taps(weights):
    """(indices, tap weights), each ``(out_size, taps)``: the nonzero entries of
    each column of `weights`, padded with index 0 and weight 0."""
    nonzero = weights != 0
    taps = max(int(np.max(np.sum(nonzero, axis=0))), 1)
    out_size = weights.shape[1]
    indices = np.zeros((out_size, taps), "int32")
    tap_weights = np.zeros((out_size, taps))
    for o in range(out_size):
        rows = np.flatnonzero(nonzero[:, o])
        indices[o, :len(rows)] = rows
        tap_weights[o, :len(rows)] = weights[rows, o]
    return indices, tap_weights


def resize_axis(x, axis, out_size, interpolation, antialias=False):
    """`x` (float, or any dtype for "nearest") resized along `axis` to `out_size`.

    Each output cell is a weighted sum of a few input cells (2 for
    bilinear upsampling, 4 bicubic, 6 and 10 Lanczos, more when
    downsampling with area or antialiasing): one ``ops.take`` per tap, so
    the work grows with the taps, not with the input length.
    """
    rank = len(ops.shape(x))
    axis = axis % rank
    in_size = ops.shape(x)[axis]
    if in_size == out_size:
        return x
    if interpolation == "nearest":
        indices = ops.convert_to_tensor(_nearest_indices(in_size, out_size).astype("int32"))
        return ops.take(x, indices, axis=axis)
    indices, tap_weights = _taps(resize_weights(in_size, out_size, interpolation, antialias))
    weight_shape = [1] * rank
    weight_shape[axis] = out_size
    result = None
    for k in range(indices.shape[1]):
        gathered = ops.take(x, ops.convert_to_tensor(indices[:, k]), axis=axis)
        weight = ops.cast(tap_weights[:, k].reshape(weight_shape), ops.dtype(x))
        term = ops.multiply(gathered, weight)
        result = term if result is None else ops.add(result, term)
    return result


def check_resize_options(interpolation, fill_mode="constant", crop_to_aspect_ratio=False,
                         pad_to_aspect_ratio=False):
    """Raises Keras's ValueError for an unknown interpolation or fill mode, or
    both aspect-ratio options."""
    if interpolation not in RESIZE_INTERPOLATIONS:
        raise ValueError(
            "Invalid value for argument `interpolation`. Expected of one "
            f"{RESIZE_INTERPOLATIONS}. Received: interpolation={interpolation}"
        )
    if fill_mode != "constant":
        raise ValueError(
            "Invalid value for argument `fill_mode`. Only `'constant'` is supported. "
            f"Received: fill_mode={fill_mode}"
        )
    if pad_to_aspect_ratio and crop_to_aspect_ratio:
        raise ValueError("Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be `True`.")


def aspect_crop_box(height, width, target_height, target_width):
    """(top, left, crop_height, crop_width): the largest centred crop of the
    target's aspect ratio (Keras's ``smart_resize`` and ``crop_to_aspect_ratio``)."""
    crop_height = max(min(height, int(float(width * target_height) / target_width)), 1)
    crop_width = max(min(width, int(float(height * target_width) / target_height)), 1)
    top = int(float(height - crop_height) / 2)
    left = int(float(width - crop_width) / 2)
    return top, left, crop_height, crop_width


def _static_spatial(images, height_axis, width_axis, what):
    shape = ops.shape(images)
    height, width = shape[height_axis], shape[width_axis]
    if not isinstance(height, int) or not isinstance(width, int):
        raise ValueError(
            f"{what} needs images of a known height and width. Received: "
            f"images.shape={tuple(shape)}"
        )
    return height, width


def crop(images, top, left, height, width, data_format="channels_last"):
    """`images` (3-D or 4-D) cut to ``[top:top + height, left:left + width]``.

    `top` and `left` may be ints or scalar int tensors (a random offset).
    """
    rank = len(ops.shape(images))
    height_axis, _ = image_axes(rank, data_format)
    for axis, start, size in ((height_axis, top, height), (height_axis + 1, left, width)):
        if isinstance(start, int):
            if start == 0 and ops.shape(images)[axis] == size:
                continue
            key = [slice(None)] * rank
            key[axis] = slice(start, start + size)
            images = images[tuple(key)]
        else:
            indices = ops.add(ops.arange(0, size, 1, dtype="int32"), ops.cast(start, "int32"))
            images = ops.take(images, indices, axis=axis)
    return images


def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format=None):
    """Resizes images to ``size = (height, width)``, as ``keras.ops.image.resize``.

    Args:
        images: ``(batch, height, width, channels)`` or ``(height, width,
            channels)`` (channels_last), or the channels_first layouts.
        size: ``(height, width)`` of the output.
        interpolation: one of ``RESIZE_INTERPOLATIONS`` (see the module doc).
        antialias: stretch the kernel when downsampling (kernel methods only).
        crop_to_aspect_ratio: first take the largest centred crop of the
            target's aspect ratio (no distortion).
        pad_to_aspect_ratio: first pad evenly with `fill_value` to the
            target's aspect ratio (no distortion).
        fill_mode: "constant" only (as Keras 3).
        fill_value: the padding value.
        data_format: "channels_last" or "channels_first" (default: the
            configured image data format).

    Returns:
        Float images (the input's float dtype; float32 for integer input) of
        the new size.

    Raises:
        ValueError: an unknown interpolation or fill mode, both aspect-ratio
            options, a wrong `size` or rank, or an unknown height or width.
    """
    data_format = standardize_data_format(data_format)
    check_resize_options(interpolation, fill_mode, crop_to_aspect_ratio, pad_to_aspect_ratio)
    if len(size) != 2:
        raise ValueError(
            f"Argument `size` must be a tuple of two elements (height, width). Received: size={size}"
        )
    target_height, target_width = (int(s) for s in size)
    rank = len(ops.shape(images))
    height_axis, width_axis = checked_image_axes(images, data_format)
    if not is_float_dtype(standardize_dtype(ops.dtype(images))):
        images = ops.cast(images, "float32")
    height, width = _static_spatial(images, height_axis, width_axis, "resize")
    if crop_to_aspect_ratio:
        top, left, crop_height, crop_width = aspect_crop_box(height, width, target_height,
                                                             target_width)
        images = crop(images, top, left, crop_height, crop_width, data_format)
    elif pad_to_aspect_ratio:
        pad_height = max(height, int(float(width * target_height) / target_width))
        pad_width = max(width, int(float(height * target_width) / target_height))
        top = int(float(pad_height - height) / 2)
        left = int(float(pad_width - width) / 2)
        # As Keras 3: the image is padded by the same amount on both sides.
        if top > 0 or left > 0:
            pad_width_spec = [(0, 0)] * rank
            if top > 0:
                pad_width_spec[height_axis] = (top, top)
            else:
                pad_width_spec[width_axis] = (left, left)
            images = ops.pad(images, pad_width_spec, constant_values=fill_value)
    images = resize_axis(images, height_axis, target_height, interpolation, antialias)
    return resize_axis(images, width_axis, target_width, interpolation, antialias)


def cast_like_input(resized, input_dtype):
    """`resized` back to the input's dtype: rounded and saturated for integers (Keras's Resizing)."""
    input_dtype = standardize_dtype(input_dtype)
    if standardize_dtype(ops.dtype(resized)) == input_dtype:
        return resized
    if input_dtype == "bool":
        return ops.cast(resized, "bool")
    if not is_float_dtype(input_dtype):
        info = np.iinfo(input_dtype)
        # Clip in float32 to bounds that float32 represents below the limits.
        low = float(info.min)
        high = float(np.nextafter(np.float32(info.max), np.float32(0))) \
            if info.max > 2 ** 24 else float(info.max)
        resized = ops.clip(ops.round(resized), low, high)
    return ops.cast(resized, input_dtype)


def image_axes(rank, data_format):
    """(height axis, width axis) of a rank-3 or rank-4 image tensor."""
    height_axis = rank - 3 if data_format == "channels_last" else rank - 2
    return height_axis, height_axis + 1


def checked_image_axes(images, data_format):
    """``image_axes`` of `images`, which must be one image (rank 3) or a batch (rank 4).

    Raises:
        ValueError: another rank, echoing the shape.
    """
    shape = tuple(ops.shape(images))
    if len(shape) not in (3, 4):
        raise ValueError(
            "Expected image tensor to have rank 3 (single image) or 4 (batch of images). "
            f"Received: images.shape={shape}"
        )
    return image_axes(len(shape), data_format)


__all__ = ["RESIZE_INTERPOLATIONS", "resize", "resize_weights", "crop", "aspect_crop_box",
           "cast_like_input", "check_resize_options", "checked_image_axes", "image_axes"]
