"""`draw_bounding_boxes` (Keras 3's `keras.visualization.draw_bounding_boxes`).

Keras draws with OpenCV; kfacade does not need it. Rectangles are painted
with NumPy slices, and label text is rasterised by Pillow (`PIL.ImageDraw`)
into a one-channel mask that is then painted in the box color, so any
channel count and dtype works. Pillow is imported only when there is text
to write.

Edges: an edge of `line_thickness` t covers exactly t pixels across, the
left and top edges reaching `t // 2` pixels outside the box corner and the
right and bottom edges mirroring them, so the outline is symmetric and its
corners square (OpenCV's thick lines have rounded ends and are a few pixels
wider). A negative thickness fills the box, as OpenCV's `FILLED`.
"""
import numpy as np

from kfacade import ops
from kfacade.utils.bounding_boxes import convert_format
from kfacade.visualization._common import (
    batched_images, color_for_channels, resolve_data_format, restore_layout,
)

__all__ = ["draw_bounding_boxes"]


def draw_bounding_boxes(images, bounding_boxes, bounding_box_format, class_mapping=None,
                        color=(128, 128, 128), line_thickness=2, text_thickness=1,
                        font_scale=1.0, data_format=None):
    """Draws bounding boxes (and optionally their class labels) on images.

    Args:
        images: a batch of images, a 4D tensor or NumPy array, shape
            `(batch_size, height, width, channels)` (channels-last). Floats
            at most 1 are taken as `[0, 1]` and scaled to `[0, 255]`, other
            floats are clipped to `[0, 255]`.
        bounding_boxes: a dict with `"boxes"` (shape `(batch_size, num_boxes,
            4)`, in `bounding_box_format`), `"labels"` (shape `(batch_size,
            num_boxes)`; a label of -1 marks padding, not drawn) and
            optionally `"confidences"` (shape `(batch_size, num_boxes)`).
        bounding_box_format: the format of the boxes, one that
            `keras.utils.bounding_boxes.convert_format` knows (`"xyxy"`,
            `"yxyx"`, `"xywh"`, `"center_xywh"`, `"center_yxhw"`, `"rel_*"`).
        class_mapping: dict from class id (int) to the label written above
            each box (with ` | confidence` when confidences are given).
            `None` (default) writes no text.
        color: the RGB color of the boxes and their text. `(128, 128, 128)`.
        line_thickness: pixel width of the box edges (`2`); negative fills.
        text_thickness: stroke width of the text (`1`); falsy means
            `line_thickness`.
        font_scale: size of the text relative to the default (`1.0`).
        data_format: `"channels_last"` or `"channels_first"`; defaults to
            `keras.config.image_data_format()`.

    Returns:
        A `uint8` NumPy array of the images with the boxes drawn, in the
        layout of `images`.

    Raises:
        ValueError: `images` is not 4D, `bounding_boxes` lacks `"boxes"` or
            `"labels"`, their batch sizes or box counts disagree with each
            other or with `images`, the format is unknown, the thickness is
            0, or `class_mapping` has no entry for a drawn label.
        TypeError: `bounding_boxes` is not a dict.
        ImportError: labels are to be written and Pillow is missing.
    """
    class_mapping = class_mapping or {}
    text_thickness = text_thickness or line_thickness
    data_format = resolve_data_format(data_format)
    pixels = batched_images(images, data_format)
    _check_boxes_dict(bounding_boxes)
    line_thickness = _check_thickness(line_thickness, "line_thickness")
    height, width = pixels.shape[1], pixels.shape[2]
    converted = convert_format(dict(bounding_boxes), bounding_box_format, "xyxy",
                               height=height, width=width)
    boxes = ops.convert_to_numpy(converted["boxes"])
    labels = ops.convert_to_numpy(bounding_boxes["labels"])
    confidences = bounding_boxes.get("confidences")
    confidences = None if confidences is None else ops.convert_to_numpy(confidences)
    _check_batch(pixels, boxes, labels, confidences)
    if class_mapping:
        _check_class_mapping(labels, class_mapping)

    canvas = _to_uint8(pixels)
    paint = color_for_channels(color, canvas.shape[-1])
    for image, image_boxes, image_labels, index in zip(canvas, boxes, labels, range(len(canvas))):
        for box_index, (box, label) in enumerate(zip(image_boxes, image_labels)):
            label = int(label)
            if label == -1:
                continue
            x1, y1, x2, y2 = (int(value) for value in box.astype("int32"))
            _paint_rectangle(image, x1, y1, x2, y2, paint, line_thickness)
            if label in class_mapping:
                text = str(class_mapping[label])
                if confidences is not None:
                    text = f"{text} | {float(confidences[index][box_index]):.2f}"
                _paint_text(image, text, _text_origin(x1, y1, font_scale, text_thickness),
                            paint, font_scale, text_thickness)
    return restore_layout(canvas, data_format)


def _check_boxes_dict(bounding_boxes):
    if not isinstance(bounding_boxes, dict):
        raise TypeError(
            "`bounding_boxes` should be a dict. "
            f"Received: bounding_boxes={bounding_boxes} of type {type(bounding_boxes)}"
        )
    if "boxes" not in bounding_boxes or "labels" not in bounding_boxes:
        raise ValueError(
            "`bounding_boxes` should be a dict containing 'boxes' and 'labels' keys. "
            f"Received: a dict with keys {sorted(bounding_boxes)}"
        )


def _check_thickness(value, name):
    if int(value) != value or int(value) == 0:
        raise ValueError(f"`{name}` must be a nonzero integer (negative fills the box). "
                         f"Received: {name}={value!r}")
    return int(value)


def _check_batch(images, boxes, labels, confidences):
    """Raises ValueError unless boxes, labels and confidences match the images batch."""
    if boxes.ndim != 3:
        raise ValueError(
            "`bounding_boxes['boxes']` must have shape (batch_size, num_boxes, 4). "
            f"Received: shape={tuple(boxes.shape)}"
        )
    expected = tuple(boxes.shape[:2])
    if boxes.shape[0] != images.shape[0]:
        raise ValueError(
            "`images` and `bounding_boxes['boxes']` must have the same batch size. "
            f"Received: images batch size={images.shape[0]}, boxes batch size={boxes.shape[0]}"
        )
    for key, value in (("labels", labels), ("confidences", confidences)):
        if value is not None and tuple(value.shape) != expected:
            raise ValueError(
                f"`bounding_boxes['{key}']` must have shape (batch_size, num_boxes)={expected}, "
                f"matching `bounding_boxes['boxes']`. Received: shape={tuple(value.shape)}"
            )


def _check_class_mapping(labels, class_mapping):
    drawn = {int(label) for label in np.unique(labels) if int(label) != -1}
    missing = sorted(drawn.difference(class_mapping))
    if missing:
        raise ValueError(
            f"`class_mapping` has no entry for the class ids {missing} found in "
            f"`bounding_boxes['labels']`. Received: class_mapping keys={sorted(class_mapping)}"
        )


def _to_uint8(images):
    """A `uint8` copy of `images` (Keras's rule: floats <= 1 are scaled by 255)."""
    images = np.asarray(images)
    if images.dtype.kind == "f" and images.size > 0:
        if images.max() <= 1.0:
            images = np.clip(images, 0, 1) * 255
        else:
            images = np.clip(images, 0, 255)
    return images.astype("uint8")


def _paint_rectangle(image, x1, y1, x2, y2, paint, thickness):
    """Paints the outline of box `(x1, y1)`-`(x2, y2)` (inclusive) on one image, in place."""
    x1, x2 = min(x1, x2), max(x1, x2)
    y1, y2 = min(y1, y2), max(y1, y2)
    height, width = image.shape[:2]
    value = paint.astype(image.dtype)
    if thickness < 0:
        bands = [(y1, y2, x1, x2)]
    else:
        outer, inner = thickness // 2, (thickness - 1) // 2
        top, bottom = (y1 - outer, y1 + inner), (y2 - inner, y2 + outer)
        left, right = (x1 - outer, x1 + inner), (x2 - inner, x2 + outer)
        bands = [(top[0], top[1], left[0], right[1]), (bottom[0], bottom[1], left[0], right[1]),
                 (top[0], bottom[1], left[0], left[1]), (top[0], bottom[1], right[0], right[1])]
    for row_start, row_stop, col_start, col_stop in bands:
        row_start, col_start = max(row_start, 0), max(col_start, 0)
        row_stop, col_stop = min(row_stop, height - 1), min(col_stop, width - 1)
        if row_start <= row_stop and col_start <= col_stop:
            image[row_start:row_stop + 1, col_start:col_stop + 1] = value


def _text_origin(x, y, font_scale, thickness):
    """The text's left baseline point: above the box, or inside it near the image top (as Keras)."""
    font_height = int(font_scale * 12)
    if y - 8 - 2 * font_height > 0:
        return x, y - 8
    return x + 3, y + 2 * font_height + thickness + 3


def _paint_text(image, text, origin, paint, font_scale, thickness):
    """Writes `text` with its left baseline at `origin`, in place, through a Pillow mask."""
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError:
        raise ImportError(
            "Writing labels with `draw_bounding_boxes` needs Pillow; install it with "
            "`pip install pillow`, or pass class_mapping=None."
        ) from None
    size = max(6, int(round(20 * font_scale)))
    try:
        font = ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: one fixed-size bitmap font.
        font = ImageFont.load_default()
    height, width = image.shape[:2]
    mask = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(mask)
    stroke = max(0, int(thickness) - 1)
    left, top, _, bottom = draw.textbbox((0, 0), text, font=font, stroke_width=stroke)
    x, y = origin
    draw.text((x - left, y - bottom), text, fill=255, font=font, stroke_width=stroke,
              stroke_fill=255)
    image[np.asarray(mask) > 127] = paint.astype(image.dtype)
