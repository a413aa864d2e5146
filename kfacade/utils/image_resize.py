"""Image resizing in NumPy, matching `tf.image.resize` (antialias off), which is what
Keras 3's `image_dataset_from_directory` applies to each image.

Every method is separable: one weight matrix per axis, `(out, in)`, applied to the
height then the width axis, in float32 like TensorFlow:

- "bilinear", "lanczos3", "lanczos5", "gaussian", "mitchellcubic": TensorFlow's
  `scale_and_translate` kernels at half-pixel centres; taps outside the image are
  dropped and the rest renormalised (bilinear is its triangle kernel).
- "bicubic": TensorFlow's `resize_bicubic` (Keys, a=-0.5; the fraction looked up in a
  1024-entry table; outside taps dropped and renormalised).
- "nearest": the source pixel under the output pixel's centre.
- "area": the average over the output pixel's footprint (`resize_area`).

Differences from TensorFlow are float32 rounding (within 1e-3 on a 0-255 scale in
kfacade's tests).
"""
import numpy as np

__all__ = ["INTERPOLATIONS", "resize_image", "resize_with_crop", "resize_with_pad"]

INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5",
                  "gaussian", "mitchellcubic")

_F32 = np.float32


def _triangle(x):
    return np.maximum(_F32(0), _F32(1) - np.abs(x))


def _lanczos(radius):
    def kernel(x):
        return np.where(np.abs(x) < radius, np.sinc(x) * np.sinc(x / radius), 0.0)
    return kernel


def _gaussian(x):
    sigma = 0.5  # radius 1.5 = 3 sigma, as TensorFlow
    return np.where(np.abs(x) < 1.5, np.exp(-x * x / (2 * sigma * sigma)), 0.0)


def _mitchell_cubic(x):
    x = np.abs(x)
    return np.where(x >= 2.0, 0.0, np.where(
        x >= 1.0, (((-7.0 / 18.0) * x + 2.0) * x - 10.0 / 3.0) * x + 16.0 / 9.0,
        (((7.0 / 6.0) * x - 2.0) * x) * x + 8.0 / 9.0))


#: method -> (kernel radius, kernel) for TensorFlow's scale_and_translate kernels.
_KERNELS = {
    "bilinear": (1.0, _triangle),
    "lanczos3": (3.0, _lanczos(3.0)),
    "lanczos5": (5.0, _lanczos(5.0)),
    "gaussian": (1.5, _gaussian),
    "mitchellcubic": (2.0, _mitchell_cubic),
}


def _kernel_weights(in_size, out_size, method):
    # float32 throughout: the span ends fall on whole numbers often enough that
    # float64 would take or drop a tap where TensorFlow does not.
    radius, kernel = _KERNELS[method]
    weights = np.zeros((out_size, in_size), dtype="float32")
    inv_scale = _F32(1) / (_F32(out_size) / _F32(in_size))
    for out in range(out_size):
        sample = (_F32(out) + _F32(0.5)) * inv_scale
        start = max(int(np.ceil(sample - _F32(radius) - _F32(0.5))), 0)
        end = min(int(np.floor(sample + _F32(radius) - _F32(0.5))), in_size - 1)
        if end < start:
            continue
        taps = np.arange(start, end + 1, dtype="float32")
        values = kernel((taps + _F32(0.5) - sample).astype("float32")).astype("float32")
        total = values.sum(dtype="float32")
        if abs(total) >= 1000 * np.finfo(np.float32).tiny:
            values = values / total
        weights[out, start:end + 1] = values
    return weights


def _bicubic_weights(in_size, out_size):
    a = -0.5
    scale = _F32(in_size) / _F32(out_size)
    source = (np.arange(out_size, dtype="float32") + _F32(0.5)) * scale - _F32(0.5)
    base = np.floor(source).astype(np.int64)
    fraction = np.rint((source - base) * 1024) / 1024  # TensorFlow's coefficient table

    def near(x):
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    coefficients = np.stack([far(1 + fraction), near(fraction), near(1 - fraction),
                             far(2 - fraction)], axis=1)
    weights = np.zeros((out_size, in_size), dtype="float64")
    for out in range(out_size):
        for tap, offset in enumerate(range(-1, 3)):
            source_index = base[out] + offset
            if 0 <= source_index < in_size:
                weights[out, source_index] += coefficients[out, tap]
        weights[out] /= weights[out].sum()
    return weights.astype("float32")


def _nearest_weights(in_size, out_size):
    scale = _F32(in_size) / _F32(out_size)
    source = np.floor((np.arange(out_size, dtype="float32") + _F32(0.5)) * scale)
    source = np.minimum(source.astype(np.int64), in_size - 1)
    weights = np.zeros((out_size, in_size), dtype="float32")
    weights[np.arange(out_size), source] = 1
    return weights


def _area_weights(in_size, out_size):
    scale = in_size / out_size
    weights = np.zeros((out_size, in_size), dtype="float64")
    for out in range(out_size):
        low, high = out * scale, (out + 1) * scale
        for source in range(int(np.floor(low)), min(int(np.ceil(high)), in_size)):
            weights[out, source] = (min(high, source + 1) - max(low, source)) / scale
    return weights.astype("float32")


def _axis_weights(in_size, out_size, method):
    if method == "nearest":
        return _nearest_weights(in_size, out_size)
    if method == "bicubic":
        return _bicubic_weights(in_size, out_size)
    if method == "area":
        return _area_weights(in_size, out_size)
    return _kernel_weights(in_size, out_size, method)


def resize_image(image, size, interpolation="bilinear"):
    """`image` `(height, width, channels)` resized to `size` `(height, width)`, float32.

    Raises:
        ValueError: an unknown `interpolation` or an image of another rank.
    """
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"Argument `interpolation` should be one of {INTERPOLATIONS}. "
                         f"Received: interpolation={interpolation!r}")
    image = np.asarray(image)
    if image.ndim != 3:
        raise ValueError(f"Expected an image of shape (height, width, channels); received "
                         f"shape {image.shape}.")
    height_weights = _axis_weights(image.shape[0], int(size[0]), interpolation)
    width_weights = _axis_weights(image.shape[1], int(size[1]), interpolation)
    out = np.einsum("oh,hwc->owc", height_weights, image.astype("float32"))
    return np.einsum("pw,owc->opc", width_weights, out).astype("float32")


def resize_with_crop(image, size, interpolation="bilinear"):
    """The largest centred crop with `size`'s aspect ratio, resized to `size`
    (Keras's `smart_resize`, `crop_to_aspect_ratio=True`)."""
    height, width = image.shape[0], image.shape[1]
    target_height, target_width = size
    crop_height = max(min(height, int(float(width * target_height) / target_width)), 1)
    crop_width = max(min(width, int(float(height * target_width) / target_height)), 1)
    top = int(float(height - crop_height) / 2)
    left = int(float(width - crop_width) / 2)
    cropped = image[top:top + crop_height, left:left + crop_width]
    return resize_image(cropped, size, interpolation)


def resize_with_pad(image, size, interpolation="bilinear"):
    """`image` resized to fit in `size` with its aspect ratio kept, centred on zeros
    (`tf.image.resize_with_pad`, `pad_to_aspect_ratio=True`)."""
    height, width = image.shape[0], image.shape[1]
    target_height, target_width = int(size[0]), int(size[1])
    ratio = max(_F32(width) / _F32(target_width), _F32(height) / _F32(target_height))
    height_float, width_float = _F32(height) / ratio, _F32(width) / ratio
    resized_height, resized_width = int(np.floor(height_float)), int(np.floor(width_float))
    # The offsets come from the unrounded sizes, as in TensorFlow.
    top = max(0, int(np.floor((_F32(target_height) - height_float) / _F32(2))))
    left = max(0, int(np.floor((_F32(target_width) - width_float) / _F32(2))))
    resized = resize_image(image, (resized_height, resized_width), interpolation)
    padded = np.zeros((target_height, target_width, image.shape[2]), dtype="float32")
    padded[top:top + resized_height, left:left + resized_width] = resized
    return padded
