"""Bounding-box formats and the conversions, clipping, crops and pads between them.

A box is the last axis (of size 4) of a tensor ``(..., 4)``; a *bounding-box
dict* is ``{"boxes": (..., N, 4), "labels": (..., N)}``. Every conversion goes
through the corners ``(x1, y1, x2, y2)`` ("xyxy"), so each format is written
once, in both directions. A relative format (``rel_*``) holds coordinates as
fractions of the image's ``width`` (x) and ``height`` (y).
"""
from kfacade import ops

#: The formats `convert_format` reads and writes (lower case; the argument is not case-sensitive).
SUPPORTED_FORMATS = (
    "xyxy",
    "yxyx",
    "xywh",
    "center_xywh",
    "center_yxhw",
    "rel_xyxy",
    "rel_yxyx",
    "rel_xywh",
    "rel_center_xywh",
)

_RELATIVE = "rel_"


def _components(boxes):
    """The four ``(..., 1)`` coordinates of ``(..., 4)`` boxes."""
    return ops.split(boxes, 4, axis=-1)


def _corners(boxes, box_format):
    """``(x1, y1, x2, y2)`` of boxes in an absolute `box_format` (or in a
    relative one with its ``rel_`` prefix removed: the corners then stay relative)."""
    a, b, c, d = _components(boxes)
    if box_format == "xyxy":
        return a, b, c, d
    if box_format == "yxyx":
        return b, a, d, c
    if box_format == "xywh":
        return a, b, a + c, b + d
    if box_format == "center_xywh":
        return a - c / 2.0, b - d / 2.0, a + c / 2.0, b + d / 2.0
    # center_yxhw: (center y, center x, height, width).
    return b - d / 2.0, a - c / 2.0, b + d / 2.0, a + c / 2.0


def _from_corners(x1, y1, x2, y2, box_format):
    """Boxes in `box_format` (absolute or ``rel_``-stripped) from their corners."""
    if box_format == "xyxy":
        parts = (x1, y1, x2, y2)
    elif box_format == "yxyx":
        parts = (y1, x1, y2, x2)
    elif box_format == "xywh":
        parts = (x1, y1, x2 - x1, y2 - y1)
    else:
        width, height = x2 - x1, y2 - y1
        center_x, center_y = x1 + width / 2.0, y1 + height / 2.0
        if box_format == "center_xywh":
            parts = (center_x, center_y, width, height)
        else:  # center_yxhw
            parts = (center_y, center_x, height, width)
    return ops.concatenate(list(parts), axis=-1)


def _image_size(image_shape):
    """``(height, width)`` of an ``(height, width, channels)`` `image_shape`, or Nones."""
    if image_shape is None:
        return None, None
    if len(image_shape) != 3:
        raise ValueError(
            "`image_shape` must be (height, width, channels). "
            f"Received: image_shape={image_shape}"
        )
    return image_shape[0], image_shape[1]


def _check_format(value, name):
    """`value` in lower case; ValueError unless it is one of `SUPPORTED_FORMATS`."""
    lowered = value.lower() if isinstance(value, str) else value
    if lowered not in SUPPORTED_FORMATS:
        raise ValueError(
            f"Invalid source or target format. Supported formats: {SUPPORTED_FORMATS}. "
            f"Received: {name}={value!r}"
        )
    return lowered


def convert_format(boxes, source, target, height=None, width=None, dtype="float32"):
    """Converts bounding boxes between formats.

    Supported formats (not case-sensitive):
    `"xyxy"`: [left, top, right, bottom];
    `"yxyx"`: [top, left, bottom, right];
    `"xywh"`: [left, top, width, height];
    `"center_xywh"`: [center_x, center_y, width, height];
    `"center_yxhw"`: [center_y, center_x, height, width];
    `"rel_xyxy"`, `"rel_yxyx"`, `"rel_xywh"`, `"rel_center_xywh"`: the same
    with x coordinates divided by the image `width` and y by its `height`.

    Args:
        boxes: a tensor/array of shape `(..., 4)`, or a dict with a `"boxes"`
            entry (the other entries are kept).
        source: the format of `boxes`.
        target: the format to return.
        height: the image height; needed when exactly one of `source` and
            `target` is relative.
        width: the image width; the same.
        dtype: the dtype of the result (`"float32"`).

    Returns:
        The converted boxes, or a new dict holding them.

    Raises:
        ValueError: the last axis is not 4, a format is unknown, or `height`/
            `width` is missing for a relative format.

    Example:
        >>> convert_format(np.array([[10, 20, 30, 40]]), "xyxy", "xywh")
        # [[10., 20., 20., 20.]]
    """
    if isinstance(boxes, dict):
        if "boxes" not in boxes:
            raise ValueError(
                "A bounding-box dict must have a 'boxes' key. "
                f"Received: a dict with keys {sorted(boxes)}"
            )
        converted = dict(boxes)
        converted["boxes"] = convert_format(boxes["boxes"], source, target, height=height,
                                            width=width, dtype=dtype)
        return converted
    shape = ops.shape(boxes)
    if len(shape) == 0 or shape[-1] != 4:
        raise ValueError(
            "`boxes` must be a tensor with the last dimension of 4. "
            f"Received: boxes.shape={tuple(shape)}"
        )
    source = _check_format(source, "source")
    target = _check_format(target, "target")
    relative_source, relative_target = source.startswith(_RELATIVE), target.startswith(_RELATIVE)
    if (relative_source or relative_target) and (height is None or width is None):
        raise ValueError(
            "convert_format() must receive `height` and `width` when transforming between "
            f"relative and absolute formats. Received: source={source!r}, "
            f"target={target!r}, height={height}, width={width}"
        )
    boxes = ops.cast(boxes, dtype)
    if source == target:
        return boxes
    x1, y1, x2, y2 = _corners(boxes, source.removeprefix(_RELATIVE))
    if relative_source != relative_target:
        width, height = ops.cast(width, dtype), ops.cast(height, dtype)
        if relative_source:
            x1, y1, x2, y2 = x1 * width, y1 * height, x2 * width, y2 * height
        else:
            x1, y1 = ops.divide(x1, width), ops.divide(y1, height)
            x2, y2 = ops.divide(x2, width), ops.divide(y2, height)
    return _from_corners(x1, y1, x2, y2, target.removeprefix(_RELATIVE))


def _only_xyxy(function, bounding_box_format, allowed=("xyxy",)):
    """NotImplementedError unless `bounding_box_format` is one `function` handles."""
    if bounding_box_format not in allowed:
        raise NotImplementedError(
            f"{function}() supports bounding_box_format in {allowed}; convert the boxes "
            f"with convert_format() first. Received: bounding_box_format={bounding_box_format!r}"
        )


def _area(boxes):
    """``(...,)`` areas of ``(..., 4)`` corner boxes."""
    x1, y1, x2, y2 = _components(boxes)
    return ops.squeeze((x2 - x1) * (y2 - y1), axis=-1)


def clip_to_image_size(bounding_boxes, height=None, width=None, bounding_box_format="xyxy"):
    """Clips boxes to the image, and marks the boxes left empty.

    Args:
        bounding_boxes: a dict with `"boxes"` `(N, 4)` or `(batch, N, 4)` and
            optionally `"labels"` `(N,)` or `(batch, N)`.
        height: the image height (needed for `"xyxy"`).
        width: the image width (needed for `"xyxy"`).
        bounding_box_format: `"xyxy"` (clip to `[0, width] x [0, height]`) or
            `"rel_xyxy"` (clip to `[0, 1]`).

    Returns:
        A new dict: the clipped boxes, and the labels with `-1` where a
        clipped box has no area left.

    Example:
        >>> clip_to_image_size({"boxes": np.array([[-10., 5., 150., 60.]]),
        ...                     "labels": np.array([3])}, height=100, width=120)
        # boxes [[0., 5., 120., 60.]], labels [3]
    """
    _only_xyxy("clip_to_image_size", bounding_box_format, ("xyxy", "rel_xyxy"))
    if not isinstance(bounding_boxes, dict) or "boxes" not in bounding_boxes:
        raise ValueError(
            "clip_to_image_size() expects a dict with a 'boxes' key (and optionally "
            f"'labels'). Received: bounding_boxes={bounding_boxes!r}"
        )
    if bounding_box_format == "xyxy" and (height is None or width is None):
        raise ValueError(
            "`height` and `width` must be set if `format='xyxy'`. "
            f"Received: height={height}, width={width}"
        )
    boxes = ops.convert_to_tensor(bounding_boxes["boxes"])
    dtype = ops.dtype(boxes)
    if bounding_box_format == "xyxy":
        x_limit, y_limit = ops.cast(width, dtype), ops.cast(height, dtype)
    else:
        x_limit = y_limit = ops.cast(1, dtype)
    x1, y1, x2, y2 = _components(boxes)
    zero = ops.cast(0, dtype)
    boxes = ops.concatenate([ops.clip(x1, zero, x_limit), ops.clip(y1, zero, y_limit),
                             ops.clip(x2, zero, x_limit), ops.clip(y2, zero, y_limit)], axis=-1)
    result = dict(bounding_boxes)
    result["boxes"] = boxes
    if bounding_boxes.get("labels") is not None:
        labels = ops.convert_to_tensor(bounding_boxes["labels"])
        result["labels"] = ops.where(_area(boxes) > 0, labels, ops.cast(-1, ops.dtype(labels)))
    return result


def crop(boxes, top, left, height, width, bounding_box_format="xyxy"):
    """Moves boxes into the frame of the crop ``[left, left + width) x [top, top + height)``.

    Boxes are shifted by ``(-left, -top)`` and clipped to ``[0, width] x [0, height]``.

    Args:
        boxes: `(N, 4)` or `(batch, N, 4)` boxes.
        top, left: the offset of the crop's top-left corner in the image.
        height, width: the size of the crop.
        bounding_box_format: `"xyxy"` (the only one supported).

    Returns:
        The cropped boxes, `(..., 4)`.

    Example:
        >>> crop(np.array([[10., 20., 50., 60.]]), top=10, left=20, height=40, width=30)
        # [[0., 10., 30., 40.]]
    """
    _only_xyxy("crop", bounding_box_format)
    x1, y1, x2, y2 = _components(ops.convert_to_tensor(boxes))
    return ops.concatenate([ops.clip(x1 - left, 0, width), ops.clip(y1 - top, 0, height),
                            ops.clip(x2 - left, 0, width), ops.clip(y2 - top, 0, height)],
                           axis=-1)


def pad(boxes, top, left, height=None, width=None, bounding_box_format="xyxy"):
    """Moves boxes into the frame of an image padded by `top` rows and `left` columns.

    Args:
        boxes: `(N, 4)` or `(batch, N, 4)` boxes.
        top, left: the padding added above and to the left of the image.
        height, width: the padded image's size (unused, as in Keras).
        bounding_box_format: `"xyxy"` (the only one supported).

    Returns:
        The boxes shifted by ``(left, top)``.
    """
    _only_xyxy("pad", bounding_box_format)
    x1, y1, x2, y2 = _components(ops.convert_to_tensor(boxes))
    return ops.concatenate([x1 + left, y1 + top, x2 + left, y2 + top], axis=-1)
