"""`draw_segmentation_masks` (Keras 3's `keras.visualization.draw_segmentation_masks`).

Each pixel whose class is in `[0, num_classes)` and is not `ignore_index`
takes its class color; with `blend` the result is
`image * (1 - alpha) + color * alpha` there, cast to `uint8`.
"""
import numpy as np

from kfacade import ops
from kfacade.visualization._common import batched_images, resolve_data_format, restore_layout

__all__ = ["draw_segmentation_masks"]


def draw_segmentation_masks(images, segmentation_masks, num_classes=None, color_mapping=None,
                            alpha=0.8, blend=True, ignore_index=-1, data_format=None):
    """Draws segmentation masks on images.

    Args:
        images: a batch of images, a 4D tensor or NumPy array of shape
            `(batch_size, height, width, channels)` (channels-last).
        segmentation_masks: integer class indices, shape `(batch_size,
            height, width)` or `(batch_size, height, width, 1)`
            (`(batch_size, 1, height, width)` for channels-first).
        num_classes: how many classes have colors (classes `0` to
            `num_classes - 1`); `None` infers the largest class in the masks
            plus one.
        color_mapping: dict from class index to an RGB color; needs an entry
            for every class below `num_classes` except `ignore_index`.
            `None` uses a generated palette.
        alpha: opacity of the masks, in `[0, 1]` (`0.8`).
        blend: if True (default), mix masks and images with `alpha` and
            return `uint8`; if False, return the colored images as `float32`.
        ignore_index: a class index left undrawn (`-1`).
        data_format: `"channels_last"` or `"channels_first"`; defaults to
            `keras.config.image_data_format()`.

    Returns:
        A NumPy array of the images with the masks drawn, in the layout of
        `images`.

    Raises:
        ValueError: `images` is not 4D, the masks' shape does not match the
            images, `alpha` is outside `[0, 1]`, a color does not have one
            value per channel, or `color_mapping` lacks a class.
        TypeError: the masks are not of an integer dtype.
    """
    data_format = resolve_data_format(data_format)
    pixels = batched_images(images, data_format).astype("float32")
    masks = _class_indices(segmentation_masks, pixels.shape, data_format)
    if not 0.0 <= float(alpha) <= 1.0:
        raise ValueError(f"`alpha` must be in the range [0, 1]. Received: alpha={alpha}")
    if num_classes is None:
        num_classes = int(masks.max()) + 1 if masks.size else 0
    colors = _class_colors(num_classes, color_mapping, ignore_index, pixels.shape[-1])

    drawn = (masks != ignore_index) & (masks >= 0) & (masks < num_classes)
    colored = pixels.copy()
    colored[drawn] = colors[masks[drawn]]
    if blend:
        mixed = pixels * (1 - alpha) + colored * alpha
        outputs = np.where(drawn[..., None], mixed, pixels)
        outputs = np.clip(outputs, 0, 255).astype("uint8")
    else:
        outputs = colored
    return restore_layout(outputs, data_format)


def _class_indices(segmentation_masks, images_shape, data_format):
    """The masks as an integer array of shape `(batch_size, height, width)`."""
    masks = ops.convert_to_numpy(segmentation_masks)
    if masks.dtype.kind not in "iu":
        raise TypeError(
            "`segmentation_masks` must be in integer dtype. "
            f"Received: segmentation_masks.dtype={masks.dtype}"
        )
    if masks.ndim == 4:
        channel_axis = 1 if data_format == "channels_first" else 3
        if masks.shape[channel_axis] == 1:
            masks = np.squeeze(masks, axis=channel_axis)
    if masks.shape != tuple(images_shape[:3]):
        raise ValueError(
            "`segmentation_masks` must have shape (batch_size, height, width) or one with a "
            f"single channel, matching `images` {tuple(images_shape[:3])}. "
            f"Received: segmentation_masks.shape={tuple(ops.shape(segmentation_masks))}"
        )
    return masks.astype("int64")


def _class_colors(num_classes, color_mapping, ignore_index, channels):
    """A `(num_classes, channels)` float32 table of class colors."""
    if color_mapping is None:
        colors = [_palette_color(index) for index in range(num_classes)]
    else:
        needed = [index for index in range(num_classes) if index != ignore_index]
        missing = [index for index in needed if index not in color_mapping]
        if missing:
            raise ValueError(
                f"`color_mapping` has no color for the classes {missing} (it needs one for every "
                f"class below num_classes={num_classes} except ignore_index={ignore_index}). "
                f"Received: color_mapping keys={sorted(color_mapping)}"
            )
        colors = [color_mapping.get(index, (0,) * channels) for index in range(num_classes)]
    if not num_classes:
        return np.zeros((0, channels), dtype="float32")
    table = np.asarray(colors, dtype="float32").reshape(num_classes, -1)
    if table.shape[1] != channels:
        raise ValueError(
            f"Each color must have one value per image channel ({channels}). "
            f"Received colors of {table.shape[1]} values"
        )
    return table.reshape(num_classes, channels)


def _palette_color(index):
    """Keras's generated class color: `index * (2**25-1, 2**15-1, 2**21-1) % 255`."""
    return [(index * factor) % 255 for factor in (2**25 - 1, 2**15 - 1, 2**21 - 1)]
