"""`affine_transform`: boxes moved by the rotation, translation, scale and
shear that the geometric augmentation layers apply to their images."""
import math

from kfacade import ops
from kfacade.backend.dtypes import standardize_dtype
from kfacade.layers.preprocessing.bounding_boxes.converters import _components, _only_xyxy

_DEGREES_TO_RADIANS = math.pi / 180.0


def _as_float(value, dtype):
    """`value` as a tensor of `dtype`, shaped to broadcast against ``(batch, N)``
    coordinates: a ``(batch,)`` parameter becomes ``(batch, 1)``."""
    value = ops.cast(value, dtype)
    return ops.expand_dims(value, -1) if len(ops.shape(value)) == 1 else value


def _point_transform(angle, translate_x, translate_y, scale, shear_x, shear_y, height, width,
                     center_x, center_y):
    """``(a0, a1, a2, b0, b1, b2)``: the affine map of pixel points,
    ``(x, y) -> (a0 x + a1 y + a2, b0 x + b1 y + b2)``, that carries a point of
    the input image to its place in the output image.

    The image layers sample the input at the *inverse* of this map, so this is
    that inverse's inverse, written in closed form: the rotation-and-shear
    part has determinant 1 and the centre ``(center_x, center_y)`` (fractions of
    ``(width - 1, height - 1)``) is the fixed point before translation.
    """
    center_x, center_y = center_x * (width - 1), center_y * (height - 1)
    # The matrix below is that of the image op's inverse transform, whose
    # angles and translations are the negated ones.
    rotation = -angle * _DEGREES_TO_RADIANS
    shear_x_angle, shear_y_angle = -shear_x * _DEGREES_TO_RADIANS, -shear_y * _DEGREES_TO_RADIANS
    moved_x = center_x - translate_x * (width - 1)
    moved_y = center_y - translate_y * (height - 1)

    cos_shear_y, tan_shear_x = ops.cos(shear_y_angle), ops.tan(shear_x_angle)
    a = ops.cos(rotation - shear_y_angle) / cos_shear_y
    b = a * tan_shear_x + ops.sin(rotation)
    c = -ops.sin(rotation - shear_y_angle) / cos_shear_y
    d = ops.cos(rotation) - c * tan_shear_x
    a0, a1, b0, b1 = d * scale, -b * scale, -c * scale, a * scale
    a2 = center_x - a0 * moved_x - a1 * moved_y
    b2 = center_y - b0 * moved_x - b1 * moved_y
    return a0, a1, a2, b0, b1, b2


def affine_transform(boxes, angle, translate_x, translate_y, scale, shear_x, shear_y, height,
                     width, center_x=None, center_y=None, bounding_box_format="xyxy"):
    """Applies an affine transformation to bounding boxes.

    Each box's four corners are transformed, and the result is the smallest
    axis-aligned box holding them.

    Args:
        boxes: `(batch, N, 4)` boxes (or `(N, 4)` with scalar parameters).
        angle: rotation in degrees, `(batch,)` or a scalar.
        translate_x: horizontal translation, a fraction of the width.
        translate_y: vertical translation, a fraction of the height.
        scale: scaling factor.
        shear_x: shear angle along x, in degrees.
        shear_y: shear angle along y, in degrees.
        height: the image height.
        width: the image width.
        center_x: x of the transformation's centre, a fraction (default 0.5).
        center_y: y of the transformation's centre, a fraction (default 0.5).
        bounding_box_format: `"xyxy"` (the only one supported).

    Returns:
        The transformed boxes, the shape of `boxes`, in `angle`'s float dtype
        (float32 when `angle` is not a float tensor).
    """
    _only_xyxy("affine_transform", bounding_box_format)
    angle = ops.convert_to_tensor(angle)
    dtype = standardize_dtype(ops.dtype(angle))
    if not dtype.startswith(("float", "bfloat")):
        dtype = "float32"
    parameters = [_as_float(value, dtype) for value in (
        angle, translate_x, translate_y, scale, shear_x, shear_y, height, width,
        0.5 if center_x is None else center_x, 0.5 if center_y is None else center_y)]
    a0, a1, a2, b0, b1, b2 = _point_transform(*parameters)
    x1, y1, x2, y2 = (ops.squeeze(part, -1) for part in _components(ops.cast(boxes, dtype)))
    corners = ((x1, y1), (x2, y1), (x2, y2), (x1, y2))
    xs = [a0 * x + a1 * y + a2 for x, y in corners]
    ys = [b0 * x + b1 * y + b2 for x, y in corners]
    xs, ys = ops.stack(xs, axis=-1), ops.stack(ys, axis=-1)
    return ops.stack([ops.min(xs, axis=-1), ops.min(ys, axis=-1),
                      ops.max(xs, axis=-1), ops.max(ys, axis=-1)], axis=-1)
