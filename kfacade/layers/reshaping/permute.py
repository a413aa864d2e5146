"""Permute: reorders the non-batch axes."""
from kfacade import ops
from kfacade.engine.input_spec import InputSpec
from kfacade.layers.layer import Layer


class Permute(Layer):
    """Permutes the axes of each sample; the batch axis stays first.

    Args:
        dims: a permutation of ``1..k`` (indexing starts at 1: axis 0 is the
            batch). ``(2, 1)`` swaps the two axes of ``(batch, a, b)``.

    Example:
        >>> Permute((2, 1))(np.ones((1, 3, 5))).shape  # (1, 5, 3)
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(
                "Invalid permutation argument `dims` for Permute Layer. The set of indices in "
                f"`dims` must be consecutive and start from 1. Received dims={dims}"
            )
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)
        self.built = True

    def call(self, inputs):
        return ops.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}
