"""SpatialDropout1D/2D/3D: Dropout of whole feature maps (channels)."""
from kfacade import ops
from kfacade.backend.active import adapter as _B
from kfacade.backend.config import standardize_data_format
from kfacade.engine.input_spec import InputSpec
from kfacade.layers.core.simple import Dropout


class BaseSpatialDropout(Dropout):
    """Drops entire channels: one keep/drop draw per (sample, channel),
    shared over the spatial (or time) axes. Active only with ``training=True``."""

    _rank = None  # spatial rank: 1, 2 or 3

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            return ops.dropout(inputs, self.rate, noise_shape=self._spatial_noise_shape(inputs),
                               seed=self.seed_generator)
        return inputs

    def _spatial_noise_shape(self, inputs):
        shape = tuple(_B.shape(inputs))
        if self.data_format == "channels_first":
            return (shape[0], shape[1]) + (1,) * self._rank
        return (shape[0],) + (1,) * self._rank + (shape[-1],)

    def get_config(self):
        config = super().get_config()
        config.pop("noise_shape", None)
        config["data_format"] = self.data_format
        return config


class SpatialDropout1D(BaseSpatialDropout):
    """Dropout of whole channels of ``(batch, steps, channels)`` inputs.

    Args:
        rate: the fraction of channels to drop, in [0, 1).
        seed: an int for reproducible masks.

    Example:
        >>> SpatialDropout1D(0.5)(np.ones((2, 3, 4)), training=True)
    """

    _rank = 1

    def __init__(self, rate, seed=None, **kwargs):
        # 1D inputs are always (batch, steps, channels): no data_format.
        super().__init__(rate, data_format="channels_last", seed=seed, **kwargs)

    def get_config(self):
        config = super().get_config()
        config.pop("data_format")
        return config


class SpatialDropout2D(BaseSpatialDropout):
    """Dropout of whole feature maps of 4D inputs.

    Args:
        rate: the fraction of channels to drop, in [0, 1).
        data_format: "channels_last" ``(batch, rows, cols, channels)`` or
            "channels_first" ``(batch, channels, rows, cols)``; default the
            configured image data format.
        seed: an int for reproducible masks.
    """

    _rank = 2


class SpatialDropout3D(BaseSpatialDropout):
    """Dropout of whole feature volumes of 5D inputs.

    Args:
        rate: the fraction of channels to drop, in [0, 1).
        data_format: "channels_last" ``(batch, d1, d2, d3, channels)`` or
            "channels_first" ``(batch, channels, d1, d2, d3)``.
        seed: an int for reproducible masks.
    """

    _rank = 3
