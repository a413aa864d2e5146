"""Identity: returns its inputs unchanged (a placeholder layer)."""
from kfacade.layers.layer import Layer


class Identity(Layer):
    """Returns its `inputs` argument unchanged, whatever its structure.

    A placeholder where a layer is expected and nothing should happen; masks
    pass through.

    Example:
        >>> Identity()(np.ones((2, 3))).shape  # (2, 3)
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape
