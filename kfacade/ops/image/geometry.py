"""Geometric image ops: the warps (``affine_transform``,
``perspective_transform``, ``elastic_transform``), which sample through
``sampling.sample_images``.

A warp maps every output pixel ``(x, y)`` to a source point; with the
projective transform ``[a0, a1, a2, b0, b1, b2, c0, c1]`` that point is
``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)``, ``k = c0 x + c1 y + 1``.
"""
from kfacade import random
from kfacade.backend.active import adapter as _B
from kfacade.backend.config import standardize_data_format
from kfacade.backend.dtypes import is_float_dtype, standardize_dtype
from kfacade.engine.keras_tensor import KerasTensor
from kfacade.ops.dispatch import symbolic_or
from kfacade.ops.image._common import rank_error, to_batched_channels_last
from kfacade.ops.image.filters import gaussian_blur
from kfacade.ops.image.sampling import check_fill_mode, check_interpolation, sample_images

__all__ = ["affine_transform", "perspective_transform", "elastic_transform"]


def _same_as_images(images, *args, **kwargs):
    """Symbolic rule of the warps: the output has the input's shape and dtype."""
    if len(images.shape) not in (3, 4):
        raise rank_error("images", images.shape)
    return KerasTensor(tuple(images.shape), dtype=images.dtype)


def _float_images(images):
    """(float images, the input dtype): integer images are sampled in float32."""
    images = _B.convert_to_tensor(images)
    dtype = standardize_dtype(_B.dtype(images))
    return (images if is_float_dtype(dtype) else _B.cast(images, "float32")), dtype


def _like_input(result, dtype):
    if standardize_dtype(_B.dtype(result)) == dtype:
        return result
    if not is_float_dtype(dtype):
        result = _B.round(result)  # as scipy and JAX do for integer inputs
    return _B.cast(result, dtype)


def _warp(images, transform, order, fill_mode, fill_value):
    """Batched channels_last `images` warped by ``(batch, 8)`` `transform`."""
    batch, height, width, _ = _B.shape(images)
    dtype = _B.dtype(images)
    a0, a1, a2, b0, b1, b2, c0, c1 = (
        _B.reshape(t, (batch, 1, 1)) for t in _B.split(_B.cast(transform, dtype), 8, axis=1)
    )
    xs = _B.reshape(_B.arange(0, width, 1, dtype=dtype), (1, 1, width))
    ys = _B.reshape(_B.arange(0, height, 1, dtype=dtype), (1, height, 1))
    k = _B.add(_B.add(_B.multiply(c0, xs), _B.multiply(c1, ys)), 1.0)
    x_src = _B.divide(_B.add(_B.add(_B.multiply(a0, xs), _B.multiply(a1, ys)), a2), k)
    y_src = _B.divide(_B.add(_B.add(_B.multiply(b0, xs), _B.multiply(b1, ys)), b2), k)
    return sample_images(images, y_src, x_src, order, fill_mode, fill_value)


def _batched_transform(transform, batch):
    if len(_B.shape(transform)) == 1:
        transform = _B.expand_dims(transform, 0)
    return _B.broadcast_to(transform, (batch, 8))


@symbolic_or
def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant",
                     fill_value=0, data_format=None):
    """Warps `images` by projective `transform`s (``keras.ops.image.affine_transform``).

    Args:
        images: rank 3 (one image) or rank 4 (a batch).
        transform: ``(8,)`` or ``(batch, 8)``, mapping output points to
            input points (see the module doc).
        interpolation: "nearest" or "bilinear".
        fill_mode: "constant", "nearest", "wrap", "mirror" or "reflect"
            (see ``sampling``).
        fill_value: the value outside the image with "constant".
        data_format: "channels_last" or "channels_first" (default: the
            configured image data format).

    Returns:
        The warped images, same shape and dtype.

    Raises:
        ValueError: an unknown `interpolation` or `fill_mode`, or a wrong rank.

    Example:
        >>> shift_right = [1, 0, -1, 0, 1, 0, 0, 0]
        >>> ops.image.affine_transform(np.ones((4, 4, 1)), shift_right).shape  # (4, 4, 1)
    """
    data_format = standardize_data_format(data_format)
    order = check_interpolation(interpolation)
    check_fill_mode(fill_mode)
    images, dtype = _float_images(images)
    transform = _B.convert_to_tensor(transform)
    if len(_B.shape(images)) not in (3, 4):
        raise rank_error("images", _B.shape(images))
    if len(_B.shape(transform)) not in (1, 2):
        raise ValueError(
            "Invalid transform rank: expected rank 1 (single transform) or rank 2 (batch of "
            f"transforms). Received input with shape: transform.shape={tuple(_B.shape(transform))}"
        )
    images, restore = to_batched_channels_last(images, data_format)
    transform = _batched_transform(transform, _B.shape(images)[0])
    return _like_input(restore(_warp(images, transform, order, fill_mode, fill_value)), dtype)


affine_transform.output_spec = _same_as_images


def _homography(start_points, end_points):
    """``(batch, 8)`` transforms taking each of `end_points` (output
    corners) to `start_points` (input corners), each ``(batch, 4, 2)``."""
    start_x, start_y = start_points[..., 0], start_points[..., 1]
    end_x, end_y = end_points[..., 0], end_points[..., 1]
    zeros, ones = _B.multiply(end_x, 0.0), _B.add(_B.multiply(end_x, 0.0), 1.0)
    x_rows = _B.stack([end_x, end_y, ones, zeros, zeros, zeros,
                       _B.negative(_B.multiply(start_x, end_x)),
                       _B.negative(_B.multiply(start_x, end_y))], axis=-1)
    y_rows = _B.stack([zeros, zeros, zeros, end_x, end_y, ones,
                       _B.negative(_B.multiply(start_y, end_x)),
                       _B.negative(_B.multiply(start_y, end_y))], axis=-1)
    system = _B.concatenate([x_rows, y_rows], axis=1)  # (batch, 8, 8)
    target = _B.expand_dims(_B.concatenate([start_x, start_y], axis=-1), -1)
    return _B.squeeze(_B.solve(system, target), -1)


def _check_points(points, name):
    shape = tuple(_B.shape(points))
    if len(shape) not in (2, 3) or shape[-2:] != (4, 2):
        raise ValueError(
            f"Invalid {name} shape: expected (4,2) for a single image or (N,4,2) for a batch. "
            f"Received shape: {shape}"
        )
    return shape


@symbolic_or
def perspective_transform(images, start_points, end_points, interpolation="bilinear",
                          fill_value=0, data_format=None):
    """Warps `images` so that the corners `start_points` move to `end_points`
    (``keras.ops.image.perspective_transform``).

    Args:
        images: rank 3 (one image) or rank 4 (a batch).
        start_points, end_points: ``(4, 2)`` or ``(batch, 4, 2)`` ``(x, y)``
            corner points, same shape.
        interpolation: "nearest" or "bilinear".
        fill_value: the value outside the source image.
        data_format: "channels_last" or "channels_first" (default: the
            configured image data format).

    Returns:
        The warped images, same shape and dtype.

    Example:
        >>> corners = [[0, 0], [3, 0], [0, 3], [3, 3]]
        >>> ops.image.perspective_transform(np.ones((4, 4, 1)), corners, corners).shape
    """
    data_format = standardize_data_format(data_format)
    order = check_interpolation(interpolation)
    images, dtype = _float_images(images)
    if len(_B.shape(images)) not in (3, 4):
        raise rank_error("images", _B.shape(images))
    start_points = _B.cast(_B.convert_to_tensor(start_points), "float32")
    end_points = _B.cast(_B.convert_to_tensor(end_points), "float32")
    start_shape = _check_points(start_points, "start_points")
    end_shape = _check_points(end_points, "end_points")
    if start_shape != end_shape:
        raise ValueError(
            "start_points and end_points must have the same shape. Received "
            f"start_points.shape={start_shape}, end_points.shape={end_shape}"
        )
    if len(start_shape) == 2:
        start_points, end_points = _B.expand_dims(start_points, 0), _B.expand_dims(end_points, 0)
    images, restore = to_batched_channels_last(images, data_format)
    transform = _batched_transform(_homography(start_points, end_points), _B.shape(images)[0])
    return _like_input(restore(_warp(images, transform, order, "constant", fill_value)), dtype)


perspective_transform.output_spec = _same_as_images


@symbolic_or
def elastic_transform(images, alpha=20.0, sigma=5.0, interpolation="bilinear",
                      fill_mode="reflect", fill_value=0.0, seed=None, data_format=None):
    """Displaces every pixel by smooth random noise (``keras.ops.image.elastic_transform``).

    Per image, a displacement field for each of x and y is drawn from
    ``N(0, sigma)``, blurred by a Gaussian of `sigma` (``int(6 * sigma) | 1``
    taps), scaled by `alpha`; the image is sampled at the displaced points.

    Args:
        images: rank 3 (one image) or rank 4 (a batch).
        alpha: the displacement scale, in pixels.
        sigma: the noise's standard deviation and the blur's width.
        interpolation: "nearest" or "bilinear".
        fill_mode: "constant", "nearest", "wrap", "mirror" or "reflect".
        fill_value: the value outside the image with "constant".
        seed: an int or a ``kfacade.random.SeedGenerator``.
        data_format: "channels_last" or "channels_first" (default: the
            configured image data format).

    Returns:
        The transformed images, same shape and dtype.

    Example:
        >>> ops.image.elastic_transform(np.ones((8, 8, 1)), seed=1).shape  # (8, 8, 1)
    """
    data_format = standardize_data_format(data_format)
    order = check_interpolation(interpolation)
    check_fill_mode(fill_mode)
    images, dtype = _float_images(images)
    if len(_B.shape(images)) not in (3, 4):
        raise rank_error("images", _B.shape(images))
    images, restore = to_batched_channels_last(images, data_format)
    sigma_value = float(sigma)
    warped = elastic_displace(images, float(alpha), sigma_value, int(6 * sigma_value) | 1,
                              order, fill_mode, fill_value, seed)
    return _like_input(restore(warped), dtype)


def elastic_displace(images, alpha, sigma, taps, order, fill_mode, fill_value, seed):
    """The warp of ``elastic_transform`` on batched channels_last float `images`.

    `alpha` and `sigma` may be scalar tensors (drawn inside a compiled step,
    as ``RandomElasticTransform`` does); `taps`, the blur's width, must be
    a Python int since it fixes a shape.
    """
    batch, height, width, _ = _B.shape(images)
    float_dtype = standardize_dtype(_B.dtype(images))
    sigma = _B.cast(_B.convert_to_tensor(sigma), float_dtype)
    noise = _B.multiply(random.normal((2 * batch, height, width, 1), dtype=float_dtype,
                                      seed=seed), sigma)
    noise = gaussian_blur(noise, (taps, taps), (sigma, sigma), data_format="channels_last")
    noise = _B.multiply(_B.reshape(noise, (2, batch, height, width)),
                        _B.cast(_B.convert_to_tensor(alpha), float_dtype))
    dx, dy = noise[0], noise[1]
    xs = _B.reshape(_B.arange(0, width, 1, dtype=float_dtype), (1, 1, width))
    ys = _B.reshape(_B.arange(0, height, 1, dtype=float_dtype), (1, height, 1))
    return sample_images(images, _B.add(ys, dy), _B.add(xs, dx), order, fill_mode, fill_value)


elastic_transform.output_spec = _same_as_images
