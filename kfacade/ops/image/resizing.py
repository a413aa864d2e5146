"""``resize`` and ``scale_and_translate``: separable resampling written once
over the adapter's primitives, plus the cropping and casting helpers that the
resizing layers share.

Each spatial axis in turn is mapped through a static weight table
(``_resize_weights``), applied as a weighted sum of a few ``take`` gathers,
one per nonzero tap (nearest-neighbour is one plain gather, so integer pixels
pass unchanged): the work grows with the taps, not with the input length. No
Python branch depends on tensor values, so it runs inside compiled steps and
gradients flow to the input.
"""
import numpy as np

from kfacade.backend.active import adapter as _B
from kfacade.backend.config import standardize_data_format
from kfacade.backend.dtypes import is_float_dtype, standardize_dtype
from kfacade.engine.keras_tensor import KerasTensor
from kfacade.ops._composite import floating, known_values
from kfacade.ops.dispatch import symbolic_or
from kfacade.ops.image._common import checked_image_axes, image_axes, rank_error, static_spatial
from kfacade.ops.image._resize_weights import kernel_weights, nearest_indices, resize_weights, taps

RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic", "area")
SCALE_AND_TRANSLATE_METHODS = ("linear", "bilinear", "trilinear", "cubic", "bicubic", "tricubic",
                               "lanczos3", "lanczos5")

__all__ = ["resize", "scale_and_translate"]


def _apply_axis_weights(x, axis, weights):
    """`x` mapped along `axis` by the ``(in, out)`` table `weights`."""
    rank = len(_B.shape(x))
    indices, tap_weights = taps(weights)
    weight_shape = [1] * rank
    weight_shape[axis] = weights.shape[1]
    dtype = _B.dtype(x)
    result = None
    for k in range(indices.shape[1]):
        gathered = _B.take(x, _B.convert_to_tensor(indices[:, k]), axis=axis)
        weight = _B.cast(_B.convert_to_tensor(tap_weights[:, k].reshape(weight_shape)), dtype)
        term = _B.multiply(gathered, weight)
        result = term if result is None else _B.add(result, term)
    return result


def resize_axis(x, axis, out_size, interpolation, antialias=False):
    """`x` (float, or any dtype for "nearest") resized along `axis` to
    `out_size`; an axis whose size does not change is left as it is."""
    rank = len(_B.shape(x))
    axis = axis % rank
    in_size = _B.shape(x)[axis]
    if in_size == out_size:
        return x
    if interpolation == "nearest":
        indices = _B.convert_to_tensor(nearest_indices(in_size, out_size).astype("int32"))
        return _B.take(x, indices, axis=axis)
    return _apply_axis_weights(x, axis, resize_weights(in_size, out_size, interpolation, antialias))


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


def crop(images, top, left, height, width, data_format="channels_last"):
    """`images` (3-D or 4-D) cut to ``[top:top + height, left:left + width]``.

    `top` and `left` may be ints or scalar int tensors (a random offset).
    """
    rank = len(_B.shape(images))
    height_axis, _ = image_axes(rank, data_format)
    for axis, start, size in ((height_axis, top, height), (height_axis + 1, left, width)):
        if isinstance(start, int):
            if start == 0 and _B.shape(images)[axis] == size:
                continue
            key = [slice(None)] * rank
            key[axis] = slice(start, start + size)
            images = images[tuple(key)]
        else:
            indices = _B.add(_B.arange(0, size, 1, dtype="int32"), _B.cast(start, "int32"))
            images = _B.take(images, indices, axis=axis)
    return images


def _check_size(size):
    if len(size) != 2:
        raise ValueError(
            f"Argument `size` must be a tuple of two elements (height, width). Received: size={size}"
        )
    if size[0] <= 0 or size[1] <= 0:
        raise ValueError(f"`size` must have positive height and width. Received: size={size}")


@symbolic_or
def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format=None):
    """Resizes images to ``size = (height, width)``, as ``keras.ops.image.resize``.

    Args:
        images: ``(batch, height, width, channels)`` or ``(height, width,
            channels)`` (channels_last), or the channels_first layouts.
        size: ``(height, width)`` of the output.
        interpolation: one of ``RESIZE_INTERPOLATIONS`` (see ``_resize_weights``).
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
        Images of the new size in the input's dtype (integer results are
        computed in float32, then rounded and saturated, as Keras 3).

    Raises:
        ValueError: an unknown interpolation or fill mode, both aspect-ratio
            options, a wrong `size` or rank, or an unknown height or width.

    Example:
        >>> ops.image.resize(np.ones((2, 4, 4, 3)), (2, 2)).shape  # (2, 2, 2, 3)
    """
    data_format = standardize_data_format(data_format)
    _check_size(size)
    images = _B.convert_to_tensor(images)
    height_axis, width_axis = checked_image_axes(images, data_format)
    check_resize_options(interpolation, fill_mode, crop_to_aspect_ratio, pad_to_aspect_ratio)
    target_height, target_width = (int(s) for s in size)
    rank = len(_B.shape(images))
    input_dtype = standardize_dtype(_B.dtype(images))
    if not is_float_dtype(input_dtype):
        images = _B.cast(images, "float32")
    height, width = static_spatial(images, height_axis, width_axis, "resize")
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
            images = _B.pad(images, pad_width_spec, constant_values=fill_value)
    images = resize_axis(images, height_axis, target_height, interpolation, antialias)
    images = resize_axis(images, width_axis, target_width, interpolation, antialias)
    return cast_like_input(images, input_dtype)


def _resize_output_spec(images, size, interpolation="bilinear", antialias=False,
                        crop_to_aspect_ratio=False, pad_to_aspect_ratio=False,
                        fill_mode="constant", fill_value=0.0, data_format=None):
    data_format = standardize_data_format(data_format)
    _check_size(size)
    shape = list(images.shape)
    if len(shape) not in (3, 4):
        raise rank_error("images", shape)
    check_resize_options(interpolation, fill_mode, crop_to_aspect_ratio, pad_to_aspect_ratio)
    height_axis, width_axis = image_axes(len(shape), data_format)
    shape[height_axis], shape[width_axis] = int(size[0]), int(size[1])
    return KerasTensor(tuple(shape), dtype=images.dtype)


resize.output_spec = _resize_output_spec


def cast_like_input(resized, input_dtype):
    """`resized` back to the input's dtype: rounded and saturated for integers (Keras's Resizing)."""
    input_dtype = standardize_dtype(input_dtype)
    if standardize_dtype(_B.dtype(resized)) == input_dtype:
        return resized
    if input_dtype == "bool":
        return _B.cast(resized, "bool")
    if not is_float_dtype(input_dtype):
        info = np.iinfo(input_dtype)
        # Clip in float32 to bounds that float32 represents below the limits.
        low = float(info.min)
        high = float(np.nextafter(np.float32(info.max), np.float32(0))) \
            if info.max > 2 ** 24 else float(info.max)
        resized = _B.clip(_B.round(resized), low, high)
    return _B.cast(resized, input_dtype)


def _concrete(value, name):
    values = known_values(_B.convert_to_tensor(value)) if not isinstance(value, (list, tuple)) \
        else np.asarray(value, "float64")
    if values is None:
        raise ValueError(
            f"scale_and_translate builds its weight tables from known values; `{name}` is a "
            f"traced tensor. Pass Python numbers or concrete arrays. Received: {name}={value}"
        )
    return np.asarray(values, "float64").reshape(-1)


@symbolic_or
def scale_and_translate(images, output_shape, scale, translation, spatial_dims, method,
                        antialias=True):
    """Resamples `images` along `spatial_dims` by `scale`, shifted by
    `translation`, as ``jax.image.scale_and_translate`` (``keras.ops.image``).

    Output cell ``o`` of spatial dim ``d`` samples the input at
    ``(o + 0.5 - translation[d]) / scale[d] - 0.5``.

    Args:
        images: a tensor of any rank.
        output_shape: the full output shape; only `spatial_dims` may differ
            from the input's shape.
        scale, translation: one number per spatial dim (Python numbers or
            concrete arrays: the weight tables are built on the host).
        spatial_dims: the axes to resample.
        method: one of ``SCALE_AND_TRANSLATE_METHODS``.
        antialias: stretch the kernel when downsampling.

    Returns:
        A float tensor of `output_shape`.

    Example:
        >>> ops.image.scale_and_translate(np.ones((4, 4)), (8, 8), (2.0, 2.0),
        ...                               (0.0, 0.0), (0, 1), "linear").shape  # (8, 8)
    """
    if method not in SCALE_AND_TRANSLATE_METHODS:
        raise ValueError(
            "Invalid value for argument `method`. Expected of one "
            f"{set(SCALE_AND_TRANSLATE_METHODS)}. Received: method={method}"
        )
    images = floating(images)
    shape = tuple(_B.shape(images))
    spatial_dims = tuple(int(d) % len(shape) for d in spatial_dims)
    output_shape = tuple(int(s) for s in output_shape)
    if len(output_shape) != len(shape) or any(
            output_shape[d] != shape[d] for d in range(len(shape)) if d not in spatial_dims):
        raise ValueError(
            "`output_shape` must have the rank of `images` and differ from its shape only "
            f"along `spatial_dims`. Received: output_shape={output_shape}, "
            f"images.shape={shape}, spatial_dims={spatial_dims}"
        )
    scale = _concrete(scale, "scale")
    translation = _concrete(translation, "translation")
    for i, axis in enumerate(spatial_dims):
        table = kernel_weights(shape[axis], output_shape[axis], method, antialias,
                               scale[i], translation[i])
        images = _apply_axis_weights(images, axis, table)
    return images
