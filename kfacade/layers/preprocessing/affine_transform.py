"""``affine_transform``: Keras 3's image warp written with ``kfacade.ops``.

For every output pixel ``(x, y)`` the transform ``[a0, a1, a2, b0, b1, b2,
c0, c1]`` gives the source point ``((a0 x + a1 y + a2) / k, (b0 x + b1 y +
b2) / k)`` with ``k = c0 x + c1 y + 1``. The source is sampled as Keras 3's
JAX and torch backends do (``map_coordinates`` with ``order`` 0 or 1): each
neighbouring integer index is folded back into the image by the fill mode
("reflect": ``d c b a | a b c d | d c b a``, "wrap": ``a b c d | a b c d``,
"nearest": ``a a a a | a b c d | d d d d``, "constant": `fill_value` for
every neighbour outside), then the neighbours are gathered with one
``ops.take`` on the flattened batch and weighted. No Python branches on
tensor values, so it runs inside compiled steps.
"""
from kfacade import ops

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("nearest", "bilinear")


def _reflect(index, size):
    # Half-sample symmetric reflection (Keras's _reflect_index_fixer): a
    # triangular wave of period 2 * size on the doubled index grid.
    period = 2 * (2 * size + 1) - 2
    doubled = ops.add(ops.multiply(index, 2), 1)
    mirrored = ops.abs(ops.subtract(ops.mod(ops.add(doubled, 2 * size), period), 2 * size))
    return ops.floor_divide(ops.subtract(mirrored, 1), 2)


def _fix_index(index, size, fill_mode):
    if fill_mode == "wrap":
        return ops.mod(index, size)
    if fill_mode == "reflect":
        return _reflect(index, size)
    return ops.clip(index, 0, size - 1)  # "nearest", and "constant" before masking


def _nodes(coordinate, interpolation):
    """[(int32 index, weight or None)] of the 1-D interpolation at `coordinate`."""
    if interpolation == "nearest":
        return [(ops.cast(ops.round(coordinate), "int32"), None)]
    lower = ops.floor(coordinate)
    upper_weight = ops.subtract(coordinate, lower)
    index = ops.cast(lower, "int32")
    return [(index, ops.subtract(1.0, upper_weight)), (ops.add(index, 1), upper_weight)]


def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant",
                     fill_value=0.0, data_format="channels_last"):
    """Warps `images` by projective `transform`s.

    Args:
        images: float ``(batch, height, width, channels)`` (channels_last) or
            ``(batch, channels, height, width)``.
        transform: ``(batch, 8)`` or ``(8,)``, mapping output to input points.
        interpolation: "nearest" or "bilinear".
        fill_mode: "reflect", "wrap", "constant" or "nearest".
        fill_value: the value outside the image with "constant".
        data_format: "channels_last" or "channels_first".

    Returns:
        The warped images, same shape and dtype.

    Raises:
        ValueError: unknown `interpolation` or `fill_mode`.
    """
    if interpolation not in INTERPOLATIONS:
        raise ValueError(
            f"Invalid value for argument `interpolation`. Expected of one "
            f"{set(INTERPOLATIONS)}. Received: interpolation={interpolation}"
        )
    if fill_mode not in FILL_MODES:
        raise ValueError(
            f"Invalid value for argument `fill_mode`. Expected of one {FILL_MODES}. "
            f"Received: fill_mode={fill_mode}"
        )
    if data_format == "channels_first":
        images = ops.transpose(images, (0, 2, 3, 1))
    batch, height, width, channels = ops.shape(images)
    dtype = ops.dtype(images)
    transform = ops.cast(transform, dtype)
    if len(ops.shape(transform)) == 1:
        transform = ops.broadcast_to(ops.expand_dims(transform, 0), (batch, 8))
    a0, a1, a2, b0, b1, b2, c0, c1 = (
        ops.reshape(t, (batch, 1, 1)) for t in ops.split(transform, 8, axis=1)
    )
    xs = ops.reshape(ops.arange(0, width, 1, dtype=dtype), (1, 1, width))
    ys = ops.reshape(ops.arange(0, height, 1, dtype=dtype), (1, height, 1))
    k = ops.add(ops.add(ops.multiply(c0, xs), ops.multiply(c1, ys)), 1.0)
    x_src = ops.divide(ops.add(ops.add(ops.multiply(a0, xs), ops.multiply(a1, ys)), a2), k)
    y_src = ops.divide(ops.add(ops.add(ops.multiply(b0, xs), ops.multiply(b1, ys)), b2), k)

    flat = ops.reshape(images, (batch * height * width, channels))
    base = ops.multiply(ops.reshape(ops.arange(0, batch, 1, dtype="int32"), (batch, 1, 1)), height * width)
    result = None
    for y_index, y_weight in _nodes(y_src, interpolation):
        fixed_y = _fix_index(y_index, height, fill_mode)
        for x_index, x_weight in _nodes(x_src, interpolation):
            fixed_x = _fix_index(x_index, width, fill_mode)
            index = ops.add(ops.add(base, ops.multiply(fixed_y, width)), fixed_x)
            value = ops.take(flat, index, axis=0)  # (batch, height, width, channels)
            if fill_mode == "constant":
                inside = ops.logical_and(
                    ops.logical_and(ops.greater_equal(y_index, 0), ops.less(y_index, height)),
                    ops.logical_and(ops.greater_equal(x_index, 0), ops.less(x_index, width)),
                )
                value = ops.where(ops.expand_dims(inside, -1), value, float(fill_value))
            if y_weight is not None:
                value = ops.multiply(ops.expand_dims(ops.multiply(y_weight, x_weight), -1), value)
            result = value if result is None else ops.add(result, value)
    if data_format == "channels_first":
        result = ops.transpose(result, (0, 3, 1, 2))
    return result
