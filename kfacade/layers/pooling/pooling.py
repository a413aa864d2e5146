"""Windowed pooling: MaxPooling1D/2D/3D and AveragePooling1D/2D/3D."""
from kfacade import ops
from kfacade.backend.config import standardize_data_format
from kfacade.engine.input_spec import InputSpec
from kfacade.layers.convolutional import conv_utils
from kfacade.layers.layer import Layer


class BasePooling(Layer):
    """Max or average over sliding windows of each channel.

    Args:
        pool_size: an int or `pool_dimensions` ints, the window size.
        strides: an int or `pool_dimensions` ints; None (default) means `pool_size`.
        pool_dimensions: the number of spatial dimensions (1, 2 or 3).
        pool_mode: "max" or "average".
        padding: "valid" or "same" (case-insensitive). With "same", average
            pooling divides by the number of real (non-padded) cells.
        data_format: "channels_last" (default) or "channels_first".

    Output length per spatial axis: ``floor((n - pool) / stride) + 1`` for
    "valid", ``ceil(n / stride)`` for "same".
    """

    def __init__(self, pool_size, strides, pool_dimensions, pool_mode="max", padding="valid",
                 data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = conv_utils.standardize_tuple(pool_size, pool_dimensions, "pool_size")
        self.strides = conv_utils.standardize_tuple(
            pool_size if strides is None else strides, pool_dimensions, "strides"
        )
        self.pool_dimensions = pool_dimensions
        self.pool_mode = pool_mode
        self.padding = conv_utils.standardize_padding(padding, self)
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=pool_dimensions + 2)
        self.built = True

    def call(self, inputs):
        pool = ops.max_pool if self.pool_mode == "max" else ops.average_pool
        return pool(inputs, pool_size=self.pool_size, strides=self.strides, padding=self.padding,
                    data_format=self.data_format)

    def compute_output_shape(self, input_shape):
        return conv_utils.conv_output_shape(
            self, input_shape, None, self.pool_size, self.strides, self.padding,
            (1,) * self.pool_dimensions, self.data_format,
        )

    def get_config(self):
        config = super().get_config()
        config.update({
            "pool_size": self.pool_size,
            "padding": self.padding,
            "strides": self.strides,
            "data_format": self.data_format,
        })
        return config


class MaxPooling1D(BasePooling):
    """Max over windows of steps: ``(batch, steps, channels)`` -> ``(batch, new_steps, channels)``.

    Example:
        >>> y = MaxPooling1D(2)(np.zeros((2, 9, 3)))  # (2, 4, 3)
    """

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, 1, pool_mode="max", padding=padding,
                         data_format=data_format, **kwargs)


class MaxPooling2D(BasePooling):
    """Max over 2-D windows: ``(batch, rows, cols, channels)`` (channels_last).

    Example:
        >>> y = MaxPooling2D((2, 2))(np.zeros((1, 28, 28, 3)))  # (1, 14, 14, 3)
    """

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, 2, pool_mode="max", padding=padding,
                         data_format=data_format, **kwargs)


class MaxPooling3D(BasePooling):
    """Max over 3-D windows: ``(batch, d1, d2, d3, channels)`` (channels_last)."""

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, 3, pool_mode="max", padding=padding,
                         data_format=data_format, **kwargs)


class AveragePooling1D(BasePooling):
    """Mean over windows of steps: ``(batch, steps, channels)`` -> ``(batch, new_steps, channels)``."""

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, 1, pool_mode="average", padding=padding,
                         data_format=data_format, **kwargs)


class AveragePooling2D(BasePooling):
    """Mean over 2-D windows: ``(batch, rows, cols, channels)`` (channels_last)."""

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, 2, pool_mode="average", padding=padding,
                         data_format=data_format, **kwargs)


class AveragePooling3D(BasePooling):
    """Mean over 3-D windows: ``(batch, d1, d2, d3, channels)`` (channels_last)."""

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, 3, pool_mode="average", padding=padding,
                         data_format=data_format, **kwargs)


# Keras 2 names.
MaxPool1D = MaxPooling1D
MaxPool2D = MaxPooling2D
MaxPool3D = MaxPooling3D
AvgPool1D = AveragePooling1D
AvgPool2D = AveragePooling2D
AvgPool3D = AveragePooling3D
