"""Overlap of boxes: the pairwise IoU table and the elementwise Complete IoU."""
import math

from kfacade import ops
from kfacade.backend.config import epsilon
from kfacade.layers.preprocessing.bounding_boxes.converters import _image_size, convert_format


def _checked_rank(boxes, name):
    """The rank of `boxes` (2: unbatched, 3: batched); ValueError otherwise."""
    rank = len(ops.shape(boxes))
    if rank not in (2, 3):
        raise ValueError(
            f"compute_iou() expects {name} to be batched, or to be unbatched: "
            f"len({name}.shape) must be 2 or 3. Received: {name}.shape={tuple(ops.shape(boxes))}"
        )
    return rank


def _as_columns(values):
    """``(..., M)`` values as ``(..., 1, M)``, to broadcast against ``(..., N, 1)``."""
    return ops.expand_dims(values, -2)


def compute_iou(boxes1, boxes2, bounding_box_format, use_masking=False, mask_val=-1,
                image_shape=None):
    """The table of intersection over union of every box of `boxes1` with every box of `boxes2`.

    Shapes: `(M, 4)` with `(N, 4)` gives `(M, N)`; if either is batched,
    `(batch, M, 4)` or `(batch, N, 4)`, the table is `(batch, M, N)`.

    Args:
        boxes1: `(M, 4)` or `(batch, M, 4)` boxes.
        boxes2: `(N, 4)` or `(batch, N, 4)` boxes.
        bounding_box_format: the format of both (e.g. `"xyxy"`, `"rel_yxyx"`).
        use_masking: replace by `mask_val` the entries whose box (of either
            set) has all four coordinates (in `"yxyx"`) negative: padding boxes.
        mask_val: the value of masked entries (`-1`).
        image_shape: `(height, width, channels)`, needed for relative formats.

    Returns:
        The IoU table, float32.

    Example:
        >>> compute_iou(np.array([[0., 0., 2., 2.]]), np.array([[1., 1., 3., 3.]]), "xyxy")
        # [[0.1428...]]: overlap 1, union 7
    """
    rank1, rank2 = _checked_rank(boxes1, "boxes1"), _checked_rank(boxes2, "boxes2")
    boxes1, boxes2 = _both_as_xyxy(boxes1, boxes2, bounding_box_format, image_shape)
    x1_a, y1_a, x2_a, y2_a = ops.split(boxes1, 4, axis=-1)  # (..., M, 1)
    x1_b, y1_b, x2_b, y2_b = (_as_columns(ops.squeeze(part, -1))
                              for part in ops.split(boxes2, 4, axis=-1))  # (..., 1, N)
    zero = ops.cast(0, ops.dtype(boxes1))
    overlap_width = ops.maximum(ops.minimum(x2_a, x2_b) - ops.maximum(x1_a, x1_b), zero)
    overlap_height = ops.maximum(ops.minimum(y2_a, y2_b) - ops.maximum(y1_a, y1_b), zero)
    intersection = overlap_width * overlap_height
    union = (x2_a - x1_a) * (y2_a - y1_a) + (x2_b - x1_b) * (y2_b - y1_b) - intersection
    iou = ops.divide(intersection, union + epsilon())
    if not use_masking:
        return iou
    # A padding box is negative in every coordinate, whatever the order.
    padding1 = ops.less(ops.max(boxes1, axis=-1, keepdims=True), 0.0)
    padding2 = _as_columns(ops.less(ops.max(boxes2, axis=-1), 0.0))
    return ops.where(ops.logical_or(padding1, padding2), ops.cast(mask_val, ops.dtype(iou)), iou)


def compute_ciou(boxes1, boxes2, bounding_box_format, image_shape=None):
    """The Complete IoU of each box of `boxes1` with the box at the same place in `boxes2`.

    CIoU is the IoU minus the squared distance of the two centres over the
    squared diagonal of their enclosing box, minus ``alpha * v``, where ``v``
    measures how the two aspect ratios differ,
    ``v = 4 / pi**2 * (arctan(w2 / h2) - arctan(w1 / h1))**2`` and
    ``alpha = v / (v - iou + 1)`` (Zheng et al., 2020, arXiv:2005.03572).
    ``1 - ciou`` is the CIoU loss.

    Args:
        boxes1: `(..., 4)` boxes.
        boxes2: `(..., 4)` boxes, broadcastable with `boxes1`.
        bounding_box_format: the format of both (e.g. `"xyxy"`).
        image_shape: `(height, width, channels)`, needed for relative formats.

    Returns:
        The CIoU, `(...)` (the broadcast shape without the last axis), float32.
    """
    boxes1, boxes2 = _both_as_xyxy(boxes1, boxes2, bounding_box_format, image_shape)
    x1_a, y1_a, x2_a, y2_a = (ops.squeeze(part, -1) for part in ops.split(boxes1, 4, axis=-1))
    x1_b, y1_b, x2_b, y2_b = (ops.squeeze(part, -1) for part in ops.split(boxes2, 4, axis=-1))
    eps = epsilon()
    width_a, height_a = x2_a - x1_a, y2_a - y1_a + eps
    width_b, height_b = x2_b - x1_b, y2_b - y1_b + eps
    intersection = (ops.maximum(ops.minimum(x2_a, x2_b) - ops.maximum(x1_a, x1_b), 0.0)
                    * ops.maximum(ops.minimum(y2_a, y2_b) - ops.maximum(y1_a, y1_b), 0.0))
    union = width_a * height_a + width_b * height_b - intersection + eps
    iou = ops.divide(intersection, union + eps)

    enclosing_width = ops.maximum(x2_a, x2_b) - ops.minimum(x1_a, x1_b)
    enclosing_height = ops.maximum(y2_a, y2_b) - ops.minimum(y1_a, y1_b)
    diagonal_squared = enclosing_width ** 2 + enclosing_height ** 2 + eps
    center_distance_squared = (((x1_a + x2_a) - (x1_b + x2_b)) / 2.0) ** 2 + \
        (((y1_a + y2_a) - (y1_b + y2_b)) / 2.0) ** 2
    v = (4.0 / math.pi ** 2) * (ops.arctan(width_b / height_b)
                                - ops.arctan(width_a / height_a)) ** 2
    alpha = v / (v - iou + (1.0 + eps))
    return iou - (center_distance_squared / diagonal_squared + v * alpha)


def _both_as_xyxy(boxes1, boxes2, bounding_box_format, image_shape):
    """`boxes1` and `boxes2` converted from `bounding_box_format` to "xyxy"
    (a relative format needs `image_shape`)."""
    if "rel" in bounding_box_format and image_shape is None:
        raise ValueError(
            "When using relative bounding box formats (e.g. `rel_yxyx`) "
            f"the `image_shape` argument must be provided. Received `image_shape`: {image_shape}"
        )
    height, width = _image_size(image_shape)
    return tuple(convert_format(boxes, bounding_box_format, "xyxy", height=height, width=width)
                 for boxes in (boxes1, boxes2))
