"""RepeatVector: ``(batch, features)`` -> ``(batch, n, features)``."""
import numbers

from kfacade import ops
from kfacade.engine.input_spec import InputSpec
from kfacade.layers.layer import Layer


class RepeatVector(Layer):
    """Repeats each input vector `n` times along a new axis 1.

    Args:
        n: the number of repetitions (an int).

    Example:
        >>> RepeatVector(3)(np.ones((2, 4))).shape  # (2, 3, 4)
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if isinstance(n, bool) or not isinstance(n, numbers.Integral):
            raise TypeError(f"Expected an integer value for `n`, got {type(n)}. Received: n={n!r}")
        self.n = int(n)
        self.input_spec = InputSpec(ndim=2)
        self.built = True

    def call(self, inputs):
        return ops.repeat(ops.expand_dims(inputs, 1), self.n, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}
