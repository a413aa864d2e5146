"""``crop_images`` and ``pad_images``: Keras 3's static crops and zero
padding of the height and width, for one image (rank 3) or a batch (rank 4).

Along each axis the caller gives exactly two of: the amount before, the
amount after, the target size; the third follows. Symbolic calls keep an
unknown batch, or an unknown height or width that a target size fixes.
"""
from kfacade.backend.active import adapter as _B
from kfacade.backend.config import standardize_data_format
from kfacade.engine.keras_tensor import KerasTensor
from kfacade.ops.dispatch import symbolic_or
from kfacade.ops.image._common import image_axes

__all__ = ["crop_images", "pad_images"]


def _check_sides(first, second, target, names):
    """Keras's checks: exactly two of the three given, none negative."""
    if [first, second, target].count(None) != 1:
        raise ValueError(
            f"Must specify exactly two of {', '.join(names)}. Received: {names[0]}={first}, "
            f"{names[1]}={second}, {names[2]}={target}"
        )
    for value, name in zip((first, second, target), names):
        if value is not None and value < 0:
            raise ValueError(f"{name} must be >= 0. Received: {name}={value}")


def _checked_spatial(images_shape, data_format):
    if len(images_shape) not in (3, 4):
        raise ValueError(
            "Invalid images rank: expected rank 3 (single image) or rank 4 (batch of images). "
            f"Received: images.shape={tuple(images_shape)}"
        )
    return image_axes(len(images_shape), data_format)


def _pad_amounts(size, before, after, target, names):
    """(before, after) of one axis of `size`; raises on a negative result."""
    if before is None:
        before = target - after - size
    if after is None:
        after = target - before - size
    for value, name in ((before, names[0]), (after, names[1])):
        if value < 0:
            raise ValueError(f"{name} must be >= 0. Received: {name}={value}")
    return before, after


_PAD_HEIGHT = ("top_padding", "bottom_padding", "target_height")
_PAD_WIDTH = ("left_padding", "right_padding", "target_width")


@symbolic_or
def pad_images(images, top_padding=None, left_padding=None, bottom_padding=None,
               right_padding=None, target_height=None, target_width=None, data_format=None):
    """Pads `images` with zeros (``keras.ops.image.pad_images``).

    Along each of height and width give exactly two of: the padding before,
    the padding after, the target size.

    Args:
        images: rank 3 (one image) or rank 4 (a batch).
        top_padding, bottom_padding, target_height: the height's padding.
        left_padding, right_padding, target_width: the width's padding.
        data_format: "channels_last" or "channels_first" (default: the
            configured image data format).

    Returns:
        The padded images.

    Example:
        >>> ops.image.pad_images(np.ones((2, 2, 1)), 1, 1, target_height=5,
        ...                      target_width=5).shape  # (5, 5, 1)
    """
    data_format = standardize_data_format(data_format)
    images = _B.convert_to_tensor(images)
    shape = _B.shape(images)
    height_axis, width_axis = _checked_spatial(shape, data_format)
    _check_sides(top_padding, bottom_padding, target_height, _PAD_HEIGHT)
    _check_sides(left_padding, right_padding, target_width, _PAD_WIDTH)
    pad_width = [(0, 0)] * len(shape)
    pad_width[height_axis] = _pad_amounts(shape[height_axis], top_padding, bottom_padding,
                                          target_height, _PAD_HEIGHT)
    pad_width[width_axis] = _pad_amounts(shape[width_axis], left_padding, right_padding,
                                         target_width, _PAD_WIDTH)
    return _B.pad(images, pad_width)


def _padded_size(size, before, after, target):
    if target is not None:
        return target
    return None if size is None else size + before + after


def _pad_images_output_spec(images, top_padding=None, left_padding=None, bottom_padding=None,
                            right_padding=None, target_height=None, target_width=None,
                            data_format=None):
    data_format = standardize_data_format(data_format)
    shape = list(images.shape)
    height_axis, width_axis = _checked_spatial(shape, data_format)
    _check_sides(top_padding, bottom_padding, target_height, _PAD_HEIGHT)
    _check_sides(left_padding, right_padding, target_width, _PAD_WIDTH)
    shape[height_axis] = _padded_size(shape[height_axis], top_padding, bottom_padding,
                                      target_height)
    shape[width_axis] = _padded_size(shape[width_axis], left_padding, right_padding,
                                     target_width)
    return KerasTensor(tuple(shape), dtype=images.dtype)


pad_images.output_spec = _pad_images_output_spec

_CROP_HEIGHT = ("top_cropping", "bottom_cropping", "target_height")
_CROP_WIDTH = ("left_cropping", "right_cropping", "target_width")


def _crop_range(size, before, after, target, names):
    """(start, length) of one axis of `size`; raises on a negative result."""
    if before is None:
        before = size - target - after
    if target is None:
        target = size - after - before
    for value, name in ((before, names[0]), (target, names[2])):
        if value < 0:
            raise ValueError(f"{name} must be >= 0. Received: {name}={value}")
    return before, target


@symbolic_or
def crop_images(images, top_cropping=None, left_cropping=None, bottom_cropping=None,
                right_cropping=None, target_height=None, target_width=None, data_format=None):
    """Crops `images` (``keras.ops.image.crop_images``).

    Along each of height and width give exactly two of: the rows or columns
    cut before, those cut after, the target size.

    Args:
        images: rank 3 (one image) or rank 4 (a batch).
        top_cropping, bottom_cropping, target_height: the height's crop.
        left_cropping, right_cropping, target_width: the width's crop.
        data_format: "channels_last" or "channels_first" (default: the
            configured image data format).

    Returns:
        The cropped images.

    Example:
        >>> ops.image.crop_images(np.ones((5, 5, 1)), 1, 1, target_height=2,
        ...                       target_width=3).shape  # (2, 3, 1)
    """
    data_format = standardize_data_format(data_format)
    images = _B.convert_to_tensor(images)
    shape = _B.shape(images)
    height_axis, width_axis = _checked_spatial(shape, data_format)
    _check_sides(top_cropping, bottom_cropping, target_height, _CROP_HEIGHT)
    _check_sides(left_cropping, right_cropping, target_width, _CROP_WIDTH)
    starts, sizes = [0] * len(shape), list(shape)
    starts[height_axis], sizes[height_axis] = _crop_range(
        shape[height_axis], top_cropping, bottom_cropping, target_height, _CROP_HEIGHT)
    starts[width_axis], sizes[width_axis] = _crop_range(
        shape[width_axis], left_cropping, right_cropping, target_width, _CROP_WIDTH)
    return _B.slice(images, starts, sizes)


def _crop_images_output_spec(images, top_cropping=None, left_cropping=None,
                             bottom_cropping=None, right_cropping=None, target_height=None,
                             target_width=None, data_format=None):
    data_format = standardize_data_format(data_format)
    shape = list(images.shape)
    height_axis, width_axis = _checked_spatial(shape, data_format)
    _check_sides(top_cropping, bottom_cropping, target_height, _CROP_HEIGHT)
    _check_sides(left_cropping, right_cropping, target_width, _CROP_WIDTH)
    for axis, before, after, target, names in (
            (height_axis, top_cropping, bottom_cropping, target_height, _CROP_HEIGHT),
            (width_axis, left_cropping, right_cropping, target_width, _CROP_WIDTH)):
        if shape[axis] is None and target is None:
            raise ValueError(
                f"When the {names[2][7:]} of the images is unknown, `{names[2]}` must be "
                f"specified. Received images.shape={tuple(images.shape)} and "
                f"{names[2]}={target}"
            )
        if target is None:
            target = _crop_range(shape[axis], before, after, target, names)[1]
        shape[axis] = target
    return KerasTensor(tuple(shape), dtype=images.dtype)


crop_images.output_spec = _crop_images_output_spec
