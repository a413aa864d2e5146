"""Masking: marks the timesteps whose features all equal `mask_value` as padding."""
from kfacade import ops
from kfacade.layers.layer import Layer


class Masking(Layer):
    """Masks the timesteps whose features all equal `mask_value`.

    For inputs ``(batch, timesteps, features)``, the output mask is
    ``any(inputs != mask_value, axis=-1)``, of shape ``(batch, timesteps)``;
    masked timesteps are set to 0 in the output, and mask-consuming layers
    downstream (recurrent layers, ``Softmax``, merges) skip them.

    Args:
        mask_value: the padding value (default 0.0).

    Example:
        >>> inputs = kfacade.Input((10, 8))
        >>> x = Masking(mask_value=0.0)(inputs)  # x carries a (None, 10) mask
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True
        self.built = True

    def compute_mask(self, inputs, previous_mask=None):
        return ops.any(ops.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs):
        keep = ops.any(ops.not_equal(inputs, self.mask_value), axis=-1, keepdims=True)
        return ops.where(keep, inputs, ops.zeros_like(inputs))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
