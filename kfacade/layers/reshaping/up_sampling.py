"""UpSampling1D/2D/3D: spatial axes enlarged by integer factors."""
from kfacade import ops
from kfacade.backend.config import standardize_data_format
from kfacade.engine.input_spec import InputSpec
from kfacade.layers.convolutional import conv_utils
from kfacade.layers.layer import Layer
from kfacade.ops.image.resizing import RESIZE_INTERPOLATIONS, resize_axis


def _upsample_nearest(inputs, axes, size):
    """Each element repeated `size[i]` times along `axes[i]`."""
    for axis, factor in zip(axes, size):
        if factor != 1:
            inputs = ops.repeat(inputs, factor, axis=axis)
    return inputs


def _upsample_interpolated(inputs, axes, size, interpolation):
    """Each axis resized by its factor with `interpolation` (``kfacade.ops.image._resize_weights``)."""
    for axis, factor in zip(axes, size):
        if factor != 1:
            inputs = resize_axis(inputs, axis, ops.shape(inputs)[axis] * factor, interpolation)
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
        interpolation: "nearest" (repeat each pixel), "bilinear",
            "bicubic", "area", "lanczos3" or "lanczos5" (as ``tf.image.resize``,
            half-pixel centres; see ``kfacade.ops.image._resize_weights``).

    Example:
        >>> UpSampling2D(2, interpolation="bilinear")(np.ones((1, 3, 3, 1))).shape  # (1, 6, 6, 1)
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(2, size, data_format=data_format, **kwargs)
        value = interpolation.lower() if isinstance(interpolation, str) else interpolation
        if value not in RESIZE_INTERPOLATIONS:
            raise ValueError(
                f"Invalid `interpolation` for UpSampling2D layer {self.name!r}: expected one of "
                f"{RESIZE_INTERPOLATIONS}. Received: interpolation={interpolation}"
            )
        self.interpolation = value

    def call(self, inputs):
        if self.interpolation == "nearest":
            return _upsample_nearest(inputs, self._axes(), self.size)
        return _upsample_interpolated(inputs, self._axes(), self.size, self.interpolation)

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
