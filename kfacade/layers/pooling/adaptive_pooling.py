"""Adaptive pooling: AdaptiveAveragePooling1D/2D/3D and AdaptiveMaxPooling1D/2D/3D.

Each pools its input to a fixed spatial size, whatever the input's, with
PyTorch's bins (see ``kfacade.ops.adaptive_pooling``).
"""
import operator

from kfacade import ops
from kfacade.backend.config import standardize_data_format
from kfacade.engine.input_spec import InputSpec
from kfacade.layers.convolutional import conv_utils
from kfacade.layers.layer import Layer

#: What each rank's `output_size` names, for the error messages.
_AXIS_NAMES = {1: "(length,)", 2: "(height, width)", 3: "(depth, height, width)"}


def _standardize_output_size(output_size, pool_dimensions, owner):
    """`output_size` as a tuple of `pool_dimensions` positive ints.

    Raises Keras's exceptions: TypeError for a value that is neither an int
    nor a sequence of the right length, except a 1-D layer's sequence of the
    wrong length (ValueError, as Keras); ValueError for a value that is not > 0.
    """
    expected = (f"an integer or a tuple of {pool_dimensions} integers "
                f"{_AXIS_NAMES[pool_dimensions]}")
    received = f"Received: output_size={output_size!r} of type {type(output_size).__name__}"
    if isinstance(output_size, bool):
        raise TypeError(f"{owner}: `output_size` must be {expected}. {received}")
    if hasattr(output_size, "__index__") and not hasattr(output_size, "__len__"):
        values = (operator.index(output_size),) * pool_dimensions
    elif isinstance(output_size, (tuple, list)):
        if len(output_size) != pool_dimensions:
            error = ValueError if pool_dimensions == 1 else TypeError
            raise error(f"{owner}: `output_size` must be {expected}. {received} "
                        f"(length {len(output_size)})")
        values = tuple(output_size)
        if any(isinstance(v, bool) or not hasattr(v, "__index__") for v in values):
            raise TypeError(f"{owner}: `output_size` must be {expected}. {received}")
        values = tuple(operator.index(v) for v in values)
    else:
        raise TypeError(f"{owner}: `output_size` must be {expected}. {received}")
    if any(v <= 0 for v in values):
        raise ValueError(
            f"{owner}: every entry of `output_size` must be > 0. Received: output_size="
            f"{output_size!r}")
    return values


class BaseAdaptivePooling(Layer):
    """Pools every spatial axis of a (pool_dimensions + 2)-D input to a fixed size.

    Args:
        output_size: an int, or a tuple of one positive int per spatial axis.
        data_format: "channels_last" or "channels_first"; None (default)
            means ``kfacade.config.image_data_format()``.

    Output shape: ``(batch, *output_size, channels)`` (channels_last) or
    ``(batch, channels, *output_size)`` (channels_first).
    """

    #: "average" or "max", and the number of spatial axes: set by the subclasses.
    pool_mode = None
    pool_dimensions = None

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.output_size = _standardize_output_size(output_size, self.pool_dimensions,
                                                    type(self).__name__)
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=len(self.output_size) + 2)
        self.built = True

    def call(self, inputs):
        pool = ops.adaptive_max_pool if self.pool_mode == "max" else ops.adaptive_average_pool
        return pool(inputs, self.output_size, data_format=self.data_format)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        conv_utils.check_rank(self, input_shape, len(self.output_size))
        channels = input_shape[conv_utils.channel_axis(self.data_format)]
        return (input_shape[0],) + conv_utils.channels_placed(
            self.output_size, channels, self.data_format)

    def get_config(self):
        return {**super().get_config(), "output_size": self.output_size,
                "data_format": self.data_format}


class BaseAdaptiveAveragePooling(BaseAdaptivePooling):
    """Adaptive average pooling: each output is the mean of its bin."""

    pool_mode = "average"


class BaseAdaptiveMaxPooling(BaseAdaptivePooling):
    """Adaptive max pooling: each output is the maximum of its bin."""

    pool_mode = "max"


class AdaptiveAveragePooling1D(BaseAdaptiveAveragePooling):
    """Mean over `output_size` bins of steps: ``(batch, steps, channels)`` ->
    ``(batch, output_size, channels)`` (channels_last).

    Args:
        output_size: an int or a tuple of 1 int, the output length.
        data_format: "channels_last" (``(batch, steps, channels)``) or
            "channels_first" (``(batch, channels, steps)``); None means
            ``kfacade.config.image_data_format()``.

    Example:
        >>> AdaptiveAveragePooling1D(4)(np.zeros((2, 10, 3))).shape  # (2, 4, 3)
    """

    pool_dimensions = 1


class AdaptiveAveragePooling2D(BaseAdaptiveAveragePooling):
    """Mean over bins of rows and columns: ``(batch, rows, cols, channels)`` ->
    ``(batch, *output_size, channels)`` (channels_last).

    Args:
        output_size: an int or a tuple of 2 ints (height, width).
        data_format: "channels_last" or "channels_first"; None means
            ``kfacade.config.image_data_format()``.

    Example:
        >>> AdaptiveAveragePooling2D((7, 7))(np.zeros((1, 30, 20, 3))).shape  # (1, 7, 7, 3)
    """

    pool_dimensions = 2


class AdaptiveAveragePooling3D(BaseAdaptiveAveragePooling):
    """Mean over 3-D bins: ``(batch, d1, d2, d3, channels)`` ->
    ``(batch, *output_size, channels)`` (channels_last).

    Args:
        output_size: an int or a tuple of 3 ints (depth, height, width).
        data_format: "channels_last" or "channels_first"; None means
            ``kfacade.config.image_data_format()``.
    """

    pool_dimensions = 3


class AdaptiveMaxPooling1D(BaseAdaptiveMaxPooling):
    """Max over `output_size` bins of steps: ``(batch, steps, channels)`` ->
    ``(batch, output_size, channels)`` (channels_last).

    Args:
        output_size: an int or a tuple of 1 int, the output length.
        data_format: "channels_last" or "channels_first"; None means
            ``kfacade.config.image_data_format()``.

    Example:
        >>> AdaptiveMaxPooling1D(4)(np.zeros((2, 10, 3))).shape  # (2, 4, 3)
    """

    pool_dimensions = 1


class AdaptiveMaxPooling2D(BaseAdaptiveMaxPooling):
    """Max over bins of rows and columns: ``(batch, rows, cols, channels)`` ->
    ``(batch, *output_size, channels)`` (channels_last).

    Args:
        output_size: an int or a tuple of 2 ints (height, width).
        data_format: "channels_last" or "channels_first"; None means
            ``kfacade.config.image_data_format()``.
    """

    pool_dimensions = 2


class AdaptiveMaxPooling3D(BaseAdaptiveMaxPooling):
    """Max over 3-D bins: ``(batch, d1, d2, d3, channels)`` ->
    ``(batch, *output_size, channels)`` (channels_last).

    Args:
        output_size: an int or a tuple of 3 ints (depth, height, width).
        data_format: "channels_last" or "channels_first"; None means
            ``kfacade.config.image_data_format()``.
    """

    pool_dimensions = 3
