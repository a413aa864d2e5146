"""Rescaling: ``inputs * scale + offset``, in training and inference alike."""
import numpy as np

from kfacade import ops
from kfacade.backend.config import image_data_format
from kfacade.layers.layer import Layer


class Rescaling(Layer):
    """Multiplies inputs by `scale` and adds `offset` (e.g. ``1 / 255`` for pixels).

    Args:
        scale: a number, or per-channel values (list or array).
        offset: a number, or per-channel values.

    The output has the layer's dtype (float32 by default), whatever the input's.

    Example:
        >>> Rescaling(1.0 / 127.5, offset=-1)(np.array([[0, 255]], "uint8"))
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale
        self.offset = offset
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        dtype = self.compute_dtype
        scale = ops.convert_to_tensor(np.asarray(self.scale, dtype=dtype))
        offset = ops.convert_to_tensor(np.asarray(self.offset, dtype=dtype))
        scale_shape = ops.shape(scale)
        if len(scale_shape) > 0 and image_data_format() == "channels_first":
            scale = ops.reshape(scale, tuple(scale_shape) + (1,) * (3 - len(scale_shape)))
        return ops.add(ops.multiply(ops.cast(inputs, dtype), scale), offset)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "scale": _plain(self.scale), "offset": _plain(self.offset)}


def _plain(value):
    """JSON-friendly: arrays and tuples as (nested) lists, NumPy scalars as floats."""
    if isinstance(value, (np.ndarray, np.generic, list, tuple)):
        return np.asarray(value).tolist()
    return value
