"""ZeroPadding1D/2D/3D: zeros added before and after spatial axes."""
from kfacade import ops
from kfacade.backend.config import standardize_data_format
from kfacade.engine.input_spec import InputSpec
from kfacade.layers.convolutional import conv_utils
from kfacade.layers.layer import Layer
from kfacade.layers.reshaping._pairs import standardize_pairs


class _BaseZeroPadding(Layer):
    """Pads the `rank` spatial axes with zeros.

    Subclasses keep Keras's public form of ``padding``; ``_pairs`` holds
    ``rank`` pairs ``(before, after)`` for the computation.
    """

    def __init__(self, rank, pairs, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.rank = rank
        self._pairs = pairs
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=rank + 2)
        self.built = True

    def call(self, inputs):
        widths = [(0, 0)] * (self.rank + 2)
        for axis, pair in zip(conv_utils.spatial_axes(self.data_format, self.rank), self._pairs):
            widths[axis] = pair
        return ops.pad(inputs, widths)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        conv_utils.check_rank(self, shape, self.rank)
        for axis, (before, after) in zip(conv_utils.spatial_axes(self.data_format, self.rank),
                                         self._pairs):
            if shape[axis] is not None:
                shape[axis] += before + after
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class ZeroPadding1D(_BaseZeroPadding):
    """Zeros at the start and end of the steps axis: ``(batch, steps, features)``.

    Args:
        padding: an int (both sides) or a pair ``(before, after)``.
        data_format: "channels_last" (default) or "channels_first".

    Example:
        >>> ZeroPadding1D((1, 2))(np.ones((1, 3, 2))).shape  # (1, 6, 2)
    """

    def __init__(self, padding=1, data_format=None, **kwargs):
        self.padding = conv_utils.standardize_tuple(padding, 2, "padding", allow_zero=True)
        super().__init__(1, (self.padding,), data_format=data_format, **kwargs)


class ZeroPadding2D(_BaseZeroPadding):
    """Zero rows and columns around images: ``(batch, rows, cols, channels)`` (channels_last).

    Args:
        padding: an int, ``(symmetric_rows, symmetric_cols)``, or
            ``((top, bottom), (left, right))``.
        data_format: "channels_last" (default) or "channels_first".
    """

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        self.padding = standardize_pairs(padding, 2, "padding")
        super().__init__(2, self.padding, data_format=data_format, **kwargs)


class ZeroPadding3D(_BaseZeroPadding):
    """Zeros around volumes: ``(batch, d1, d2, d3, channels)`` (channels_last).

    Args:
        padding: an int, 3 ints (symmetric per axis), or 3 ``(before, after)`` pairs.
        data_format: "channels_last" (default) or "channels_first".
    """

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        self.padding = standardize_pairs(padding, 3, "padding")
        super().__init__(3, self.padding, data_format=data_format, **kwargs)
