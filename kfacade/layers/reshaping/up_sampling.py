"""UpSampling1D/2D/3D: spatial axes enlarged by integer factors."""
import numpy as np

from kfacade import ops
from kfacade.backend.config import standardize_data_format
from kfacade.engine.input_spec import InputSpec
from kfacade.layers.convolutional import conv_utils
from kfacade.layers.layer import Layer

#: Keras's other interpolations (ops.image.resize) that kfacade does not implement yet.
_UNIMPLEMENTED_INTERPOLATIONS = ("bicubic", "lanczos3", "lanczos5", "area")


def _upsample_nearest(inputs, axes, size):
    """Each element repeated `size[i]` times along `axes[i]`."""
    for axis, factor in zip(axes, size):
        if factor != 1:
            inputs = ops.repeat(inputs, factor, axis=axis)
    return inputs


def _bilinear_taps(length, factor):
    """Source indices and weights of a linear resize of `length` by `factor`.

    As ``tf.image.resize(..., "bilinear")`` (half-pixel centers, no
    antialiasing): output cell o samples ``(o + 0.5) / factor - 0.5``,
    clamped to the edge cells. Returns (lower, upper, weight_of_upper).
    """
    source = (np.arange(length * factor) + 0.5) / factor - 0.5
    floor = np.floor(source)
    lower = np.clip(floor, 0, length - 1).astype("int32")
    upper = np.clip(floor + 1, 0, length - 1).astype("int32")
    return lower, upper, (source - floor).astype("float32")


def _upsample_bilinear(inputs, axes, size):
    """Linear interpolation along each axis in turn (bilinear for two axes)."""
    shape = ops.shape(inputs)
    dtype = ops.dtype(inputs)
    for axis, factor in zip(axes, size):
        if factor == 1:
            continue
        lower, upper, weight = _bilinear_taps(shape[axis], factor)
        weight_shape = [1] * len(shape)
        weight_shape[axis] = len(weight)
        weight = ops.convert_to_tensor(weight.reshape(weight_shape))
        if ops.dtype(weight) != dtype:
            weight = ops.cast(weight, dtype)
        below = ops.take(inputs, ops.convert_to_tensor(lower), axis=axis)
        above = ops.take(inputs, ops.convert_to_tensor(upper), axis=axis)
        inputs = ops.add(below, ops.multiply(ops.subtract(above, below), weight))
    return inputs


class _BaseUpSampling(Layer):
    def __init__(self, rank, size, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.rank = rank
        self.size = conv_utils.standardize_tuple(size, rank, "size")
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=rank + 2)
        self.built = True

    def _axes(self):
        return conv_utils.spatial_axes(self.data_format, self.rank)

    def call(self, inputs):
        return _upsample_nearest(inputs, self._axes(), self.size)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        conv_utils.check_rank(self, shape, self.rank)
        for axis, factor in zip(self._axes(), self.size):
            if shape[axis] is not None:
                shape[axis] *= factor
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format}


class UpSampling1D(_BaseUpSampling):
    """Repeats each step `size` times: ``(batch, steps, features)`` -> ``(batch, steps * size, features)``.

    Example:
        >>> UpSampling1D(2)(np.ones((1, 3, 2))).shape  # (1, 6, 2)
    """

    def __init__(self, size=2, **kwargs):
        super().__init__(1, size, data_format="channels_last", **kwargs)
        self.size = self.size[0]  # Keras keeps UpSampling1D's size an int

    def call(self, inputs):
        return _upsample_nearest(inputs, (1,), (self.size,))

    def compute_output_shape(self, input_shape):
        conv_utils.check_rank(self, input_shape, 1)
        steps = None if input_shape[1] is None else input_shape[1] * self.size
        return (input_shape[0], steps, input_shape[2])

    def get_config(self):
        config = super().get_config()
        del config["data_format"]  # Keras's UpSampling1D has no data_format
        return config


class UpSampling2D(_BaseUpSampling):
    """Enlarges images by ``size = (row_factor, col_factor)``.

    Args:
        size: an int or 2 ints (default (2, 2)).
        data_format: "channels_last" (default) or "channels_first".
        interpolation: "nearest" (repeat each pixel) or "bilinear"
            (as ``tf.image.resize``: half-pixel centers, edge cells clamped).

    Example:
        >>> UpSampling2D(2, interpolation="bilinear")(np.ones((1, 3, 3, 1))).shape  # (1, 6, 6, 1)
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(2, size, data_format=data_format, **kwargs)
        value = interpolation.lower() if isinstance(interpolation, str) else interpolation
        if value in _UNIMPLEMENTED_INTERPOLATIONS:
            raise NotImplementedError(
                f"UpSampling2D {self.name!r}: interpolation={value!r} is not implemented in "
                f"kfacade; use 'nearest' or 'bilinear'."
            )
        if value not in ("nearest", "bilinear"):
            raise ValueError(
                f"Invalid `interpolation` for UpSampling2D layer {self.name!r}: expected one of "
                f"'nearest', 'bilinear'. Received: interpolation={interpolation}"
            )
        self.interpolation = value

    def call(self, inputs):
        if self.interpolation == "bilinear":
            return _upsample_bilinear(inputs, self._axes(), self.size)
        return _upsample_nearest(inputs, self._axes(), self.size)

    def get_config(self):
        return {**super().get_config(), "interpolation": self.interpolation}


class UpSampling3D(_BaseUpSampling):
    """Enlarges volumes by ``size = (f1, f2, f3)``, repeating each cell.

    Args:
        size: an int or 3 ints (default (2, 2, 2)).
        data_format: "channels_last" (default) or "channels_first".
    """

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(3, size, data_format=data_format, **kwargs)
