"""Box regression targets: boxes encoded as offsets from anchor boxes, and back.

In a centre format ``(center, size)`` a box relative to an anchor is
``((center - anchor_center) / anchor_size, log(size / anchor_size))``, each
optionally divided by a per-coordinate `variance`; decoding inverts it.
"""
from kfacade import ops
from kfacade.backend.config import epsilon
from kfacade.layers.preprocessing.bounding_boxes.converters import _image_size, convert_format

_CENTER_FORMATS = ("center_xywh", "center_yxhw")


def _checked_variance(variance):
    """`variance` as a float32 tensor of 4 values, or None."""
    if variance is None:
        return None
    variance = ops.convert_to_tensor(variance, "float32")
    shape = ops.shape(variance)
    if len(shape) == 0 or shape[-1] != 4:
        raise ValueError(f"`variance` must be length 4, got {variance}")
    return variance


def encode_box_to_deltas(anchors, boxes, anchor_format, box_format,
                         encoding_format="center_yxhw", variance=None, image_shape=None):
    """Encodes boxes as deltas from anchors.

    Anchors and boxes are converted to `encoding_format`; the deltas are
    ``(center offset / anchor size, log(box size / anchor size))`` (sizes
    floored at `epsilon()`), divided by `variance` when given.

    Args:
        anchors: `(N, 4)` anchor boxes.
        boxes: `(N, 4)` or `(batch, N, 4)` boxes to encode.
        anchor_format: the format of `anchors` (e.g. `"xyxy"`).
        box_format: the format of `boxes`.
        encoding_format: `"center_yxhw"` (default) or `"center_xywh"`.
        variance: 4 factors the deltas are divided by, or None.
        image_shape: `(height, width, channels)`, needed for relative formats.

    Returns:
        The deltas, the shape of `boxes`, in the order of `encoding_format`.

    Raises:
        ValueError: `variance` is not of length 4, or `encoding_format` is not
            a centre format.
    """
    variance = _checked_variance(variance)
    if encoding_format not in _CENTER_FORMATS:
        raise ValueError(
            "`encoding_format` should be one of 'center_xywh' or "
            f"'center_yxhw', got {encoding_format}"
        )
    height, width = _image_size(image_shape)
    anchors = convert_format(anchors, anchor_format, encoding_format, height=height, width=width)
    boxes = convert_format(boxes, box_format, encoding_format, height=height, width=width)
    anchor_size = ops.maximum(anchors[..., 2:], epsilon())
    box_size = ops.maximum(boxes[..., 2:], epsilon())
    deltas = ops.concatenate([(boxes[..., :2] - anchors[..., :2]) / anchor_size,
                              ops.log(box_size / anchor_size)], axis=-1)
    return deltas if variance is None else deltas / variance


def decode_deltas_to_boxes(anchors, boxes_delta, anchor_format, box_format,
                           encoded_format="center_yxhw", variance=None, image_shape=None):
    """Decodes deltas from anchors into boxes of `box_format` (inverse of
    `encode_box_to_deltas`).

    Args:
        anchors: `(N, 4)` anchor boxes, or a dict of them by feature level.
        boxes_delta: `(N, 4)` or `(batch, N, 4)` deltas; a dict with the keys
            of `anchors` when `anchors` is one.
        anchor_format: the format of `anchors`.
        box_format: the format of the returned boxes.
        encoded_format: the centre format of the deltas, `"center_yxhw"`
            (default) or `"center_xywh"`.
        variance: 4 factors the deltas are multiplied by first, or None.
        image_shape: `(height, width, channels)`, needed for relative formats.

    Returns:
        The boxes in `box_format` (a dict by level when `anchors` is a dict).

    Raises:
        ValueError: `variance` is not of length 4, or `encoded_format` is not
            a centre format.
    """
    variance = _checked_variance(variance)
    if encoded_format not in _CENTER_FORMATS:
        raise ValueError(
            "`encoded_format` should be 'center_xywh' or 'center_yxhw', "
            f"but got '{encoded_format}'."
        )
    height, width = _image_size(image_shape)

    def decode(anchor, delta):
        anchor = convert_format(anchor, anchor_format, encoded_format, height=height, width=width)
        delta = ops.cast(delta, ops.dtype(anchor))
        if variance is not None:
            delta = delta * variance
        boxes = ops.concatenate([delta[..., :2] * anchor[..., 2:] + anchor[..., :2],
                                 ops.exp(delta[..., 2:]) * anchor[..., 2:]], axis=-1)
        return convert_format(boxes, encoded_format, box_format, height=height, width=width)

    if isinstance(anchors, dict) and isinstance(boxes_delta, dict):
        missing = sorted(set(anchors) - set(boxes_delta), key=str)
        if missing:
            raise ValueError(
                "`boxes_delta` must have the keys of `anchors`. "
                f"Missing: {missing}; received keys {sorted(boxes_delta, key=str)}"
            )
        return {level: decode(anchor, boxes_delta[level]) for level, anchor in anchors.items()}
    return decode(anchors, boxes_delta)
