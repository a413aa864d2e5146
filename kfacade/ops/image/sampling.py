"""``map_coordinates`` and the sampler that the warps share
(``affine_transform``, ``perspective_transform``, ``elastic_transform``).

A point is sampled as ``scipy.ndimage.map_coordinates`` with ``order`` 0
(nearest, halves away from zero) or 1 (linear), as Keras 3's JAX backend
does: each neighbouring integer index is folded back into the input by the
fill mode, then the neighbours are gathered and weighted. The fill modes
(scipy's names in brackets where they differ):

- "constant" ("grid-constant"): every neighbour outside is `fill_value`;
- "nearest": ``a a a a | a b c d | d d d d``;
- "wrap" ("grid-wrap"): ``a b c d | a b c d | a b c d``;
- "mirror": ``c d c b | a b c d | c b a b``;
- "reflect": ``d c b a | a b c d | d c b a``.

No Python branch depends on tensor values, so this runs inside compiled steps.
"""
from kfacade.backend.active import adapter as _B
from kfacade.backend.dtypes import is_float_dtype, standardize_dtype
from kfacade.engine.keras_tensor import KerasTensor
from kfacade.ops.dispatch import symbolic_or

FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")
INTERPOLATIONS = ("nearest", "bilinear")  # spline orders 0 and 1

__all__ = ["map_coordinates"]


def check_fill_mode(fill_mode):
    if fill_mode not in FILL_MODES:
        raise ValueError(
            f"Invalid value for argument `fill_mode`. Expected one of {set(FILL_MODES)}. "
            f"Received: fill_mode={fill_mode}"
        )


def check_interpolation(interpolation):
    """The spline order of an ``affine_transform``-style interpolation name."""
    if interpolation not in INTERPOLATIONS:
        raise ValueError(
            "Invalid value for argument `interpolation`. Expected of one "
            f"{set(INTERPOLATIONS)}. Received: interpolation={interpolation}"
        )
    return INTERPOLATIONS.index(interpolation)


def _mirror(index, size):
    # Whole-sample symmetric: a triangular wave of period 2 * (size - 1).
    if size == 1:
        return _B.multiply(index, 0)
    period = 2 * (size - 1)
    return _B.abs(_B.subtract(_B.mod(_B.add(index, size - 1), period), size - 1))


def _reflect(index, size):
    # Half-sample symmetric: the mirror of the doubled grid (2i + 1 over 2 * size + 1).
    mirrored = _mirror(_B.add(_B.multiply(index, 2), 1), 2 * size + 1)
    return _B.floor_divide(_B.subtract(mirrored, 1), 2)


def fix_index(index, size, fill_mode):
    """int32 `index` folded into ``[0, size)`` by `fill_mode` ("constant"
    clips; its outside neighbours are masked by the caller)."""
    if fill_mode == "wrap":
        return _B.mod(index, size)
    if fill_mode == "mirror":
        return _mirror(index, size)
    if fill_mode == "reflect":
        return _reflect(index, size)
    return _B.clip(index, 0, size - 1)


def _nodes(coordinate, order):
    """[(int32 index, weight or None)] of the 1-D interpolation at `coordinate`."""
    if order == 0:
        # Halves round away from zero, as JAX's and scipy's order-0 sampling.
        nearest = _B.where(_B.greater_equal(coordinate, 0.0), _B.floor(_B.add(coordinate, 0.5)),
                           _B.ceil(_B.subtract(coordinate, 0.5)))
        return [(_B.cast(nearest, "int32"), None)]
    lower = _B.floor(coordinate)
    upper_weight = _B.subtract(coordinate, lower)
    index = _B.cast(lower, "int32")
    return [(index, _B.subtract(1.0, upper_weight)), (_B.add(index, 1), upper_weight)]


def _inside(index, size):
    return _B.logical_and(_B.greater_equal(index, 0), _B.less(index, size))


def _gather_weighted(flat, coordinates, sizes, order, fill_mode, fill_value, trailing):
    """The interpolated values of `flat` (the input flattened over the
    sampled axes, then `trailing` axes) at `coordinates`, a list of float
    tensors of one shape, one per sampled axis of size `sizes`."""
    strides = [1] * len(sizes)
    for i in range(len(sizes) - 2, -1, -1):
        strides[i] = strides[i + 1] * sizes[i + 1]
    combos = [[]]
    for coordinate in coordinates:
        combos = [done + [node] for done in combos for node in _nodes(coordinate, order)]
    result = None
    for combo in combos:
        flat_index, weight, inside = None, None, None
        for (index, node_weight), size, stride in zip(combo, sizes, strides):
            term = _B.multiply(fix_index(index, size, fill_mode), stride)
            flat_index = term if flat_index is None else _B.add(flat_index, term)
            if node_weight is not None:
                weight = node_weight if weight is None else _B.multiply(weight, node_weight)
            if fill_mode == "constant":
                ok = _inside(index, size)
                inside = ok if inside is None else _B.logical_and(inside, ok)
        value = _B.take(flat, flat_index, axis=0)
        expand = (lambda t: _B.reshape(t, tuple(_B.shape(t)) + (1,) * trailing)) if trailing \
            else (lambda t: t)
        if inside is not None:
            fill = _B.cast(_B.convert_to_tensor(fill_value), _B.dtype(value))
            value = _B.where(expand(inside), value, fill)
        if weight is not None:
            value = _B.multiply(expand(_B.cast(weight, _B.dtype(value))), value)
        result = value if result is None else _B.add(result, value)
    return result


def sample_images(images, y, x, order, fill_mode, fill_value):
    """``(batch, height, width, channels)`` `images` sampled at the float
    points ``(y, x)``, each ``(batch, out_height, out_width)``; every channel
    at the same point."""
    batch, height, width, channels = _B.shape(images)
    flat = _B.reshape(images, (batch * height * width, channels))
    # The batch index is exact: neither interpolated nor filled.
    base = _B.reshape(_B.multiply(_B.arange(0, batch, 1, dtype="int32"), height * width),
                      (batch, 1, 1))
    values = None
    for y_index, y_weight in _nodes(y, order):
        for x_index, x_weight in _nodes(x, order):
            index = _B.add(_B.add(base, _B.multiply(fix_index(y_index, height, fill_mode), width)),
                           fix_index(x_index, width, fill_mode))
            value = _B.take(flat, index, axis=0)
            if fill_mode == "constant":
                inside = _B.logical_and(_inside(y_index, height), _inside(x_index, width))
                fill = _B.cast(_B.convert_to_tensor(fill_value), _B.dtype(value))
                value = _B.where(_B.expand_dims(inside, -1), value, fill)
            if y_weight is not None:
                weight = _B.cast(_B.multiply(y_weight, x_weight), _B.dtype(value))
                value = _B.multiply(_B.expand_dims(weight, -1), value)
            values = value if values is None else _B.add(values, value)
    return values


@symbolic_or
def map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0):
    """`inputs` sampled at `coordinates`, as ``scipy.ndimage.map_coordinates``
    (``keras.ops.image.map_coordinates``).

    Args:
        inputs: a tensor of rank ``n``.
        coordinates: ``(n, ...)``: for each output point, its coordinate
            along every axis of `inputs` (or a list of ``n`` such tensors).
        order: 0 (nearest) or 1 (linear).
        fill_mode: "constant", "nearest", "wrap", "mirror" or "reflect" (see
            the module doc; "constant" and "wrap" are scipy's "grid-constant"
            and "grid-wrap").
        fill_value: the value outside the input with "constant".

    Returns:
        A tensor of shape ``coordinates.shape[1:]``, the dtype of `inputs`.

    Example:
        >>> ops.image.map_coordinates(np.arange(4.0), [[0.5, 2.0]], order=1)  # [0.5, 2.0]
    """
    inputs = _B.convert_to_tensor(inputs)
    coordinates = _stack_coordinates(coordinates)
    _check_map_coordinates(_B.shape(inputs), _B.shape(coordinates), order, fill_mode)
    dtype = standardize_dtype(_B.dtype(inputs))
    if not is_float_dtype(standardize_dtype(_B.dtype(coordinates))):
        coordinates = _B.cast(coordinates, "float32")
    sizes = tuple(_B.shape(inputs))
    flat = _B.reshape(inputs, (-1,))
    per_axis = [coordinates[i] for i in range(len(sizes))]
    result = _gather_weighted(flat, per_axis, sizes, order, fill_mode, fill_value, trailing=0)
    return _B.cast(result, dtype) if standardize_dtype(_B.dtype(result)) != dtype else result


def _stack_coordinates(coordinates):
    if isinstance(coordinates, (list, tuple)):
        return _B.stack([_B.convert_to_tensor(c) for c in coordinates], axis=0)
    return _B.convert_to_tensor(coordinates)


def _check_map_coordinates(input_shape, coordinates_shape, order, fill_mode):
    if len(coordinates_shape) < 2:
        raise ValueError(
            "Invalid coordinates rank: expected at least rank 2. "
            f"Received input with shape: {tuple(coordinates_shape)}"
        )
    if coordinates_shape[0] != len(input_shape):
        raise ValueError(
            "First dim of `coordinates` must be the same as the rank of `inputs`. "
            f"Received inputs with shape: {tuple(input_shape)} and coordinate leading dim "
            f"of {coordinates_shape[0]}"
        )
    check_fill_mode(fill_mode)
    if order not in (0, 1):
        raise ValueError(
            f"Invalid value for argument `order`. Expected one of [0, 1]. Received: order={order}"
        )


def _map_coordinates_output_spec(inputs, coordinates, order, fill_mode="constant", fill_value=0):
    if isinstance(coordinates, (list, tuple)):
        shape = (len(coordinates),) + tuple(getattr(coordinates[0], "shape", ()))
    else:
        shape = tuple(coordinates.shape)
    _check_map_coordinates(tuple(inputs.shape), shape, order, fill_mode)
    return KerasTensor(shape[1:], dtype=inputs.dtype)


map_coordinates.output_spec = _map_coordinates_output_spec
