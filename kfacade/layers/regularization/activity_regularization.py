"""ActivityRegularization: an identity layer adding an L1/L2 penalty on its outputs."""
from kfacade import regularizers
from kfacade.layers.layer import Layer


class ActivityRegularization(Layer):
    """Passes its inputs through and adds ``l1 * sum(|x|) + l2 * sum(x ** 2)``,
    divided by the batch size, to ``layer.losses``.

    Args:
        l1, l2: the penalty factors (default 0.0).

    Example:
        >>> layer = ActivityRegularization(l2=0.01)
        >>> _ = layer(np.ones((2, 3)))
        >>> layer.losses  # [0.03]
    """

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        kwargs.pop("activity_regularizer", None)
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1 = l1
        self.l2 = l2
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "l1": self.l1, "l2": self.l2}
