"""``keras.ops.image.rgb_to_grayscale``, ``rgb_to_hsv`` and ``hsv_to_rgb``.

Composites over ``kfacade.ops``, written once for every backend. Images are
3-D (one image) or 4-D (a batch); the channel axis is the last
("channels_last") or the third from the end ("channels_first"), so both
ranks share one code path. The HSV formulas are those of ``dm_pix`` (which
Keras 3 uses): all three HSV planes in [0, 1], hue 0 red, 1/3 green, 2/3 blue.
"""
import kfacade.ops.numpy as _ops  # the ops themselves; not ``kfacade.ops``, which imports this
from kfacade.ops.core import cast as _cast
from kfacade.ops.core import convert_to_tensor as _convert_to_tensor
from kfacade.ops.core import dtype as _dtype
from kfacade.backend.config import floatx as _floatx
from kfacade.backend.config import standardize_data_format
from kfacade.backend.dtypes import is_float_dtype as _is_float_dtype
from kfacade.backend.dtypes import standardize_dtype as _standardize_dtype
from kfacade.engine.keras_tensor import KerasTensor as _KerasTensor
from kfacade.ops.dispatch import symbolic_or
from kfacade.ops.image._common import rank_error as _rank_error

__all__ = ["hsv_to_rgb", "rgb_to_grayscale", "rgb_to_hsv"]

#: ITU-R 601 luma weights (``tf.image.rgb_to_grayscale``'s, as Keras).
_LUMA = (0.2989, 0.5870, 0.1140)
#: Machine epsilon of the float dtypes: ``rgb_to_hsv`` reads smaller
#: magnitudes as 0, so rounding noise around black gives no hue.
_EPS = {"float16": 2.0 ** -10, "bfloat16": 2.0 ** -7, "float32": 2.0 ** -23,
        "float64": 2.0 ** -52}


def _channel_axis(data_format):
    return -1 if standardize_data_format(data_format) == "channels_last" else -3


def _check_rank(shape):
    if len(shape) not in (3, 4):
        raise _rank_error("images", shape)


def _check_hsv_input(shape, dtype, data_format):
    """Keras's checks of ``rgb_to_hsv``/``hsv_to_rgb``: rank, float dtype, 3 channels."""
    _check_rank(shape)
    dtype = _standardize_dtype(dtype)
    if not _is_float_dtype(dtype):
        raise ValueError(
            f"Invalid images dtype: expected float dtype. Received: images.dtype={dtype}"
        )
    channels = shape[_channel_axis(data_format)]
    if channels is not None and channels != 3:
        raise ValueError(
            "Input images must have 3 channels, but received images with "
            f"{channels} channels."
        )


def _planes(images, axis):
    """The three channel planes, each keeping a size-1 channel axis."""
    return _ops.split(images, 3, axis=axis)


@symbolic_or
def rgb_to_grayscale(images, data_format=None):
    """Converts RGB images to grayscale (one channel).

    Gray is ``0.2989 R + 0.5870 G + 0.1140 B``; one-channel input is
    returned as it is.

    Args:
        images: a 3-D image or 4-D batch with 3 (or 1) channels.
        data_format: "channels_last" or "channels_first"; None (default)
            means ``kfacade.config.image_data_format()``.

    Returns:
        The images with one channel, in the input's dtype (integers are
        computed in float and truncated back, as Keras).

    Raises:
        ValueError: rank not 3 or 4, or channels neither 3 nor 1.

    Example:
        >>> ops.image.rgb_to_grayscale(np.random.rand(2, 4, 4, 3)).shape
        (2, 4, 4, 1)
    """
    images = _convert_to_tensor(images)
    shape = _ops.shape(images)
    _check_rank(shape)
    axis = _channel_axis(data_format)
    if shape[axis] not in (1, 3):
        raise ValueError(
            "Invalid channel size: expected 3 (RGB) or 1 (Grayscale). Received input "
            f"with shape: images.shape={tuple(shape)}"
        )
    if shape[axis] == 1:
        return images
    dtype = _standardize_dtype(_dtype(images))
    compute = images if _is_float_dtype(dtype) else _cast(images, _floatx())
    red, green, blue = _planes(compute, axis)
    gray = _ops.add(_ops.add(_ops.multiply(red, _LUMA[0]), _ops.multiply(green, _LUMA[1])),
                    _ops.multiply(blue, _LUMA[2]))
    return gray if _is_float_dtype(dtype) else _cast(gray, dtype)


@symbolic_or
def rgb_to_hsv(images, data_format=None):
    """Converts RGB images to HSV.

    `images` must be of a float dtype; the result is well defined for RGB
    values in [0, 1], and then every HSV value is in [0, 1] (hue 0 is red,
    1/3 green, 2/3 blue; grays have hue and saturation 0).

    Args:
        images: a 3-D image or 4-D batch with 3 channels.
        data_format: "channels_last" or "channels_first"; None (default)
            means ``kfacade.config.image_data_format()``.

    Returns:
        The HSV images, same shape and dtype.

    Raises:
        ValueError: rank not 3 or 4, a non-float dtype, or not 3 channels.

    Example:
        >>> ops.image.rgb_to_hsv(np.random.rand(4, 4, 3).astype("float32")).shape
        (4, 4, 3)
    """
    images = _convert_to_tensor(images)
    dtype = _standardize_dtype(_dtype(images))
    _check_hsv_input(_ops.shape(images), dtype, data_format)
    axis = _channel_axis(data_format)
    zero = _ops.zeros_like(images)
    images = _ops.where(_ops.less(_ops.abs(images), _EPS.get(dtype, 0.0)), zero, images)
    red, green, blue = _planes(images, axis)
    value = _ops.maximum(_ops.maximum(red, green), blue)
    spread = _ops.subtract(value, _ops.minimum(_ops.minimum(red, green), blue))
    zeros = _ops.zeros_like(value)
    ones = _ops.ones_like(value)
    # Divide only by positive numbers: where value or spread is 0 the answer is 0.
    saturation = _ops.where(_ops.greater(value, 0),
                            _ops.divide(spread, _ops.where(_ops.greater(value, 0), value, ones)),
                            zeros)
    norm = _ops.divide(1.0 / 6.0, _ops.where(_ops.greater(spread, 0), spread, ones))
    hue = _ops.where(
        _ops.equal(value, green),
        _ops.add(_ops.multiply(norm, _ops.subtract(blue, red)), 2.0 / 6.0),
        _ops.add(_ops.multiply(norm, _ops.subtract(red, green)), 4.0 / 6.0),
    )
    hue = _ops.where(_ops.equal(value, red), _ops.multiply(norm, _ops.subtract(green, blue)), hue)
    hue = _ops.where(_ops.greater(spread, 0), hue, zeros)
    hue = _ops.where(_ops.less(hue, 0), _ops.add(hue, 1.0), hue)
    return _cast(_ops.concatenate([hue, saturation, value], axis=axis), dtype)


@symbolic_or
def hsv_to_rgb(images, data_format=None):
    """Converts HSV images to RGB (the inverse of ``rgb_to_hsv``).

    Hue wraps around (taken modulo 1); the result is well defined for
    saturation and value in [0, 1].

    Args:
        images: a 3-D image or 4-D batch with 3 channels (H, S, V).
        data_format: "channels_last" or "channels_first"; None (default)
            means ``kfacade.config.image_data_format()``.

    Returns:
        The RGB images, same shape and dtype.

    Raises:
        ValueError: rank not 3 or 4, a non-float dtype, or not 3 channels.

    Example:
        >>> ops.image.hsv_to_rgb(np.random.rand(2, 3, 4, 4).astype("float32"),
        ...                      data_format="channels_first").shape
        (2, 3, 4, 4)
    """
    images = _convert_to_tensor(images)
    dtype = _standardize_dtype(_dtype(images))
    _check_hsv_input(_ops.shape(images), dtype, data_format)
    axis = _channel_axis(data_format)
    hue, saturation, value = _planes(images, axis)
    sextant = _ops.multiply(_ops.mod(hue, 1.0), 6.0)
    # Each channel's share of the colour: a trapezoid over the hue circle.
    red_share = _ops.clip(_ops.subtract(_ops.abs(_ops.subtract(sextant, 3.0)), 1.0), 0.0, 1.0)
    green_share = _ops.clip(_ops.subtract(2.0, _ops.abs(_ops.subtract(sextant, 2.0))), 0.0, 1.0)
    blue_share = _ops.clip(_ops.subtract(2.0, _ops.abs(_ops.subtract(sextant, 4.0))), 0.0, 1.0)
    gray = _ops.subtract(1.0, saturation)
    planes = [_ops.multiply(value, _ops.add(gray, _ops.multiply(saturation, share)))
              for share in (red_share, green_share, blue_share)]
    return _cast(_ops.concatenate(planes, axis=axis), dtype)


def _grayscale_spec(images, data_format=None):
    shape = list(images.shape)
    _check_rank(shape)
    axis = _channel_axis(data_format)
    if shape[axis] is not None and shape[axis] not in (1, 3):
        raise ValueError(
            "Invalid channel size: expected 3 (RGB) or 1 (Grayscale). Received input "
            f"with shape: images.shape={tuple(shape)}"
        )
    shape[axis] = 1
    return _KerasTensor(tuple(shape), dtype=images.dtype)


def _hsv_spec(images, data_format=None):
    _check_hsv_input(tuple(images.shape), images.dtype, data_format)
    return _KerasTensor(tuple(images.shape), dtype=images.dtype)


rgb_to_grayscale.output_spec = _grayscale_spec
rgb_to_hsv.output_spec = _hsv_spec
hsv_to_rgb.output_spec = _hsv_spec
