"""UnitNormalization: scales each sample to unit L2 norm over `axis`."""
from kfacade import ops
from kfacade.layers.layer import Layer

#: Keras 3's lower bound of the norm (``ops.normalize(..., epsilon=1e-12)``):
#: an all-zero sample stays zero instead of becoming NaN.
_NORM_EPSILON = 1e-12


class UnitNormalization(Layer):
    """Divides each sample by its L2 norm over `axis`: ``x / max(||x||, 1e-12)``.

    Args:
        axis: an int or a list/tuple of ints, the axes the norm is taken
            over (default -1, the features).

    The output has the input's shape; masks pass through.

    Raises:
        TypeError: `axis` is neither an int nor a list/tuple.
        ValueError: an axis is out of range for the input.

    Example:
        >>> y = UnitNormalization()(np.arange(6, dtype="float32").reshape(2, 3))
        >>> np.sum(np.square(y), axis=-1)  # [1., 1.]
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis = list(axis)
        elif isinstance(axis, int) and not isinstance(axis, bool):
            self.axis = axis
        else:
            raise TypeError(
                "Invalid value for `axis` argument: expected an int or a list/tuple of ints. "
                f"Received: axis={axis}"
            )
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        inputs = ops.cast(inputs, self.compute_dtype)
        axis = tuple(self.axis) if isinstance(self.axis, list) else self.axis
        square_sum = ops.sum(ops.square(inputs), axis=axis, keepdims=True)
        # max(sqrt(s), eps) written as sqrt(max(s, eps^2)): the same value, and
        # a finite gradient at an all-zero sample.
        return ops.divide(inputs, ops.sqrt(ops.maximum(square_sum, _NORM_EPSILON ** 2)))

    def compute_output_shape(self, input_shape):
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        for axis in axes:
            if axis >= len(input_shape) or axis < -len(input_shape):
                raise ValueError(
                    f"Axis {self.axis} is out of bounds for input shape {tuple(input_shape)}."
                )
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
