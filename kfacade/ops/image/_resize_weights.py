"""The NumPy tables behind ``resize`` and ``scale_and_translate``.

Every interpolation is separable: each spatial axis in turn is mapped from
``n`` to ``m`` cells by an ``(n, m)`` weight matrix that NumPy computes once
from the static sizes (and, for ``scale_and_translate``, the known scale and
translation). The definitions are TensorFlow's ``tf.image.resize``
(half-pixel centres) and JAX's ``jax.image.scale_and_translate``, which
Keras 3 follows on every backend:

- output cell ``o`` samples the input at ``s = (o + 0.5 - t) / k - 0.5``
  (``k`` the scale, ``m / n`` for resize; ``t`` the translation, 0 for resize);
- "nearest": input cell ``floor((o + 0.5) * n / m)``, computed in exact
  integer arithmetic (frameworks differ by float rounding where that
  product is an integer);
- "bilinear", "bicubic" (Keys, a = -0.5), "lanczos3", "lanczos5": the
  kernel ``k(|s - i|)`` over the input cells ``i`` inside the image,
  normalized to sum 1; with antialiasing and ``k < 1`` the kernel is
  stretched by ``1 / k`` (a low-pass filter); a sample outside
  ``[-0.5, n - 0.5]`` gets no weight (0);
- "area": each output cell averages the input over ``[o * n / m,
  (o + 1) * n / m)``, partial cells weighted by their overlap (TensorFlow's
  ``resize_area``).
"""
import numpy as np


def _triangle(x):
    return np.maximum(0.0, 1.0 - x)


def _keys_cubic(x):
    out = ((1.5 * x - 2.5) * x) * x + 1.0
    out = np.where(x >= 1.0, ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0, out)
    return np.where(x >= 2.0, 0.0, out)


def _lanczos(radius):
    def kernel(x):
        with np.errstate(divide="ignore", invalid="ignore"):
            y = radius * np.sin(np.pi * x) * np.sin(np.pi * x / radius) / (np.pi ** 2 * x ** 2)
        out = np.where(x > 1e-3, y, 1.0)
        return np.where(x > radius, 0.0, out)
    return kernel


#: Kernel interpolations by name; ``scale_and_translate``'s aliases included.
KERNELS = {
    "bilinear": _triangle, "linear": _triangle, "trilinear": _triangle,
    "bicubic": _keys_cubic, "cubic": _keys_cubic, "tricubic": _keys_cubic,
    "lanczos3": _lanczos(3.0),
    "lanczos5": _lanczos(5.0),
}


def kernel_weights(in_size, out_size, method, antialias, scale=None, translation=0.0):
    """The (in_size, out_size) float64 matrix of a kernel interpolation;
    `scale` defaults to ``out_size / in_size`` (plain resizing)."""
    inv_scale = in_size / out_size if scale is None else 1.0 / float(scale)
    kernel_scale = max(inv_scale, 1.0) if antialias else 1.0
    sample = (np.arange(out_size) + 0.5) * inv_scale - float(translation) * inv_scale - 0.5
    distance = np.abs(sample[None, :] - np.arange(in_size)[:, None]) / kernel_scale
    weights = KERNELS[method](distance)
    total = np.sum(weights, axis=0, keepdims=True)
    weights = np.where(np.abs(total) > 1000.0 * np.finfo(np.float32).eps,
                       weights / np.where(total != 0, total, 1.0), 0.0)
    inside = (sample >= -0.5) & (sample <= in_size - 0.5)
    return np.where(inside[None, :], weights, 0.0)


def _area_weights(in_size, out_size):
    """The (in_size, out_size) matrix of box averages over each output cell's span."""
    scale = in_size / out_size
    starts = np.arange(out_size) * scale
    ends = starts + scale
    cells = np.arange(in_size)
    overlap = np.minimum(cells[:, None] + 1, ends[None, :]) - np.maximum(cells[:, None], starts[None, :])
    return np.maximum(overlap, 0.0) / scale


def nearest_indices(in_size, out_size):
    """floor((o + 0.5) * in / out) for every output cell, in exact integers."""
    return np.minimum((2 * np.arange(out_size) + 1) * in_size // (2 * out_size), in_size - 1)


def resize_weights(in_size, out_size, interpolation, antialias=False):
    """The float64 ``(in_size, out_size)`` matrix that resizes one axis.

    "nearest" gives a 0/1 selection matrix. Used by ``resize`` and by tests.
    """
    if interpolation == "nearest":
        weights = np.zeros((in_size, out_size))
        weights[nearest_indices(in_size, out_size), np.arange(out_size)] = 1.0
        return weights
    if interpolation == "area":
        return _area_weights(in_size, out_size)
    return kernel_weights(in_size, out_size, interpolation, antialias)


def taps(weights):
    """(indices, tap weights), each ``(out_size, taps)``: the nonzero entries of
    each column of `weights`, padded with index 0 and weight 0."""
    nonzero = weights != 0
    count = max(int(np.max(np.sum(nonzero, axis=0), initial=0)), 1)
    out_size = weights.shape[1]
    indices = np.zeros((out_size, count), "int32")
    tap_weights = np.zeros((out_size, count))
    for o in range(out_size):
        rows = np.flatnonzero(nonzero[:, o])
        indices[o, :len(rows)] = rows
        tap_weights[o, :len(rows)] = weights[rows, o]
    return indices, tap_weights
