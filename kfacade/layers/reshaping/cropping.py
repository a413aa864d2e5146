"""Cropping1D/2D/3D: rows removed from the start and end of spatial axes."""
from kfacade import ops
from kfacade.backend.config import standardize_data_format
from kfacade.engine.input_spec import InputSpec
from kfacade.layers.convolutional import conv_utils
from kfacade.layers.layer import Layer
from kfacade.layers.reshaping._pairs import standardize_pairs


class _BaseCropping(Layer):
    """Crops the `rank` spatial axes; ``_pairs`` holds ``(before, after)`` per axis.

    Raises (at call or shape inference):
        ValueError: a crop leaves no element along its axis.
    """

    def __init__(self, rank, pairs, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.rank = rank
        self._pairs = pairs
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=rank + 2)
        self.built = True

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        conv_utils.check_rank(self, shape, self.rank)
        for axis, (before, after) in zip(conv_utils.spatial_axes(self.data_format, self.rank),
                                         self._pairs):
            if shape[axis] is None:
                continue
            if before + after >= shape[axis]:
                raise ValueError(
                    f"Values in `cropping` argument of layer {self.name!r} should be smaller "
                    f"than the corresponding spatial dimension of the input. Received: "
                    f"input_shape={tuple(input_shape)}, cropping={self.cropping}"
                )
            shape[axis] -= before + after
        return tuple(shape)

    def call(self, inputs):
        self.compute_output_shape(ops.shape(inputs))
        key = [slice(None)] * (self.rank + 2)
        for axis, (before, after) in zip(conv_utils.spatial_axes(self.data_format, self.rank),
                                         self._pairs):
            key[axis] = slice(before, -after if after else None)
        return ops.getitem(inputs, tuple(key))

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping, "data_format": self.data_format}


class Cropping1D(_BaseCropping):
    """Crops the steps axis of ``(batch, steps, features)``.

    Args:
        cropping: an int (both ends) or a pair ``(start, end)``.

    Example:
        >>> Cropping1D((1, 2))(np.ones((1, 6, 2))).shape  # (1, 3, 2)
    """

    def __init__(self, cropping=(1, 1), **kwargs):
        self.cropping = conv_utils.standardize_tuple(cropping, 2, "cropping", allow_zero=True)
        super().__init__(1, (self.cropping,), data_format="channels_last", **kwargs)

    def get_config(self):
        config = super().get_config()
        del config["data_format"]  # Keras's Cropping1D has no data_format
        return config


class Cropping2D(_BaseCropping):
    """Crops rows and columns of images: ``(batch, rows, cols, channels)`` (channels_last).

    Args:
        cropping: an int, ``(symmetric_rows, symmetric_cols)``, or
            ``((top, bottom), (left, right))``.
        data_format: "channels_last" (default) or "channels_first".
    """

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        self.cropping = standardize_pairs(cropping, 2, "cropping")
        super().__init__(2, self.cropping, data_format=data_format, **kwargs)


class Cropping3D(_BaseCropping):
    """Crops volumes: ``(batch, d1, d2, d3, channels)`` (channels_last).

    Args:
        cropping: an int, 3 ints (symmetric per axis), or 3 ``(start, end)`` pairs.
        data_format: "channels_last" (default) or "channels_first".
    """

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        self.cropping = standardize_pairs(cropping, 3, "cropping")
        super().__init__(3, self.cropping, data_format=data_format, **kwargs)
