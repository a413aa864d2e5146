"""Global pooling: one max or mean per channel over every spatial axis."""
from kfacade import ops
from kfacade.backend.config import standardize_data_format
from kfacade.engine.input_spec import InputSpec
from kfacade.layers.convolutional import conv_utils
from kfacade.layers.layer import Layer


class BaseGlobalPooling(Layer):
    """Reduces every spatial axis of a (pool_dimensions + 2)-D input.

    Args:
        pool_dimensions: the number of spatial dimensions (1, 2 or 3).
        data_format: "channels_last" (default) or "channels_first".
        keepdims: keep the spatial axes with length 1.

    Output shape: ``(batch, channels)``, or with `keepdims`
    ``(batch, 1, ..., channels)`` (channels_last) / ``(batch, channels, 1, ...)``.
    """

    def __init__(self, pool_dimensions, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.pool_dimensions = pool_dimensions
        self.data_format = standardize_data_format(data_format)
        self.keepdims = keepdims
        self.input_spec = InputSpec(ndim=pool_dimensions + 2)
        self.built = True

    def _spatial_axes(self):
        return conv_utils.spatial_axes(self.data_format, self.pool_dimensions)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        conv_utils.check_rank(self, input_shape, self.pool_dimensions)
        ones = (1,) * self.pool_dimensions if self.keepdims else ()
        if self.data_format == "channels_last":
            return (input_shape[0],) + ones + (input_shape[-1],)
        return (input_shape[0], input_shape[1]) + ones

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class _GlobalMax(BaseGlobalPooling):
    def call(self, inputs):
        return ops.max(inputs, axis=self._spatial_axes(), keepdims=self.keepdims)


class _GlobalAverage(BaseGlobalPooling):
    def call(self, inputs):
        return ops.mean(inputs, axis=self._spatial_axes(), keepdims=self.keepdims)


class GlobalMaxPooling1D(_GlobalMax):
    """Max over steps: ``(batch, steps, channels)`` -> ``(batch, channels)``."""

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(1, data_format=data_format, keepdims=keepdims, **kwargs)


class GlobalMaxPooling2D(_GlobalMax):
    """Max over rows and columns: ``(batch, rows, cols, channels)`` -> ``(batch, channels)``."""

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(2, data_format=data_format, keepdims=keepdims, **kwargs)


class GlobalMaxPooling3D(_GlobalMax):
    """Max over three spatial axes: ``(batch, d1, d2, d3, channels)`` -> ``(batch, channels)``."""

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(3, data_format=data_format, keepdims=keepdims, **kwargs)


class GlobalAveragePooling1D(_GlobalAverage):
    """Mean over steps: ``(batch, steps, channels)`` -> ``(batch, channels)``.

    Supports masking: called with ``mask`` (``(batch, steps)``, True for
    real steps), the mean is over the unmasked steps only. The output
    carries no mask.

    Example:
        >>> y = GlobalAveragePooling1D()(x, mask=np.array([[True, True, False]]))
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(1, data_format=data_format, keepdims=keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        steps_axis = 1 if self.data_format == "channels_last" else 2
        weights = ops.expand_dims(
            ops.cast(mask, ops.dtype(inputs)), 2 if self.data_format == "channels_last" else 1
        )
        total = ops.sum(ops.multiply(inputs, weights), axis=steps_axis, keepdims=self.keepdims)
        return ops.divide(total, ops.sum(weights, axis=steps_axis, keepdims=self.keepdims))

    def compute_mask(self, inputs, previous_mask=None):
        return None


class GlobalAveragePooling2D(_GlobalAverage):
    """Mean over rows and columns: ``(batch, rows, cols, channels)`` -> ``(batch, channels)``."""

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(2, data_format=data_format, keepdims=keepdims, **kwargs)


class GlobalAveragePooling3D(_GlobalAverage):
    """Mean over three spatial axes: ``(batch, d1, d2, d3, channels)`` -> ``(batch, channels)``."""

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(3, data_format=data_format, keepdims=keepdims, **kwargs)


# Keras 2 names.
GlobalMaxPool1D = GlobalMaxPooling1D
GlobalMaxPool2D = GlobalMaxPooling2D
GlobalMaxPool3D = GlobalMaxPooling3D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalAvgPool3D = GlobalAveragePooling3D
