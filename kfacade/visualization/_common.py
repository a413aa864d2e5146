"""Checks and conversions that every drawing and plotting function shares.

The visualization functions draw on NumPy copies: a batch of images comes in
as a tensor of any backend (or a NumPy array), is checked and moved to NumPy
once here, in channels-last layout, and the drawing happens on the host.
"""
import numpy as np

from kfacade import ops
from kfacade.backend.config import image_data_format
from kfacade.utils.image_utils import check_data_format


def resolve_data_format(data_format):
    """`data_format`, or the configured default when None; checked."""
    data_format = data_format or image_data_format()
    check_data_format(data_format)
    return data_format


def batched_images(images, data_format, name="images"):
    """A 4D batch of images as a channels-last NumPy array.

    Raises:
        ValueError: `images` is not a 4D batch (Keras's wording).
    """
    images = ops.convert_to_numpy(images)
    if images.ndim != 4:
        raise ValueError(
            f"`{name}` must be batched 4D tensor. Received: {name}.shape={tuple(images.shape)}"
        )
    if data_format == "channels_first":
        images = np.transpose(images, (0, 2, 3, 1))
    return images


def restore_layout(images, data_format):
    """Channels-last `images` back to the caller's `data_format`."""
    if data_format == "channels_first":
        return np.transpose(images, (0, 3, 1, 2))
    return images


def color_for_channels(color, channels, name="color"):
    """`color` as a float array of one value per image channel.

    A color given for fewer channels than the image has is padded with zeros,
    one given for more is cut, as OpenCV treats its colors; a single number
    paints every channel.
    """
    values = np.asarray(color, dtype="float64").reshape(-1)
    if values.size == 0:
        raise ValueError(f"`{name}` must hold at least one value. Received: {name}={color!r}")
    if values.size == 1:
        return np.repeat(values, channels)
    if values.size >= channels:
        return values[:channels]
    return np.concatenate([values, np.zeros(channels - values.size)])


def to_value_range_255(images, value_range):
    """`images` mapped linearly from `value_range` to `[0, 255]` (float32, clipped).

    Keras 3 writes this as `_transform_value_range(images, value_range,
    (0, 255))`; clipping keeps the later `uint8` cast from wrapping around.
    """
    if value_range is None or len(value_range) != 2 or value_range[0] == value_range[1]:
        raise ValueError(
            "`value_range` must be a pair of two different numbers (low, high). "
            f"Received: value_range={value_range!r}"
        )
    low, high = float(value_range[0]), float(value_range[1])
    images = np.asarray(images, dtype="float32")
    if (low, high) != (0.0, 255.0):
        images = (images - low) / (high - low) * 255.0
    return np.clip(images, 0.0, 255.0)
