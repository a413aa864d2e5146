"""RMSNormalization: scales each sample by the root mean square over its
feature axes (``ops.rms_normalization``), times a learned ``scale``."""
from kfacade import ops
from kfacade.layers.layer import Layer


class RMSNormalization(Layer):
    """Root-mean-square normalization (Zhang & Sennrich, 2019), as Keras 3's layer.

    ``outputs = x / sqrt(mean(x ** 2) + epsilon) * scale``, the mean taken per
    sample over `axis`; the mean is not subtracted (unlike
    ``LayerNormalization``). Half-precision inputs are normalized in float32
    and returned in their own dtype (``ops.rms_normalization``).

    Args:
        axis: an int or a list of ints, the normalized axes (default -1).
        epsilon: added to the mean square (default 1e-6: Keras's layer
            default, where the op's is ``config.epsilon()``).

    Weights: ``scale``, ones of shape ``tuple(input_shape[a] for a in
    sorted(axis))``.

    Example:
        >>> layer = RMSNormalization()
        >>> layer(np.array([[3.0, 4.0]], "float32"))  # [[0.8485, 1.1314]]
    """

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            axis = [int(a) for a in axis]
        elif not isinstance(axis, int) or isinstance(axis, bool):
            raise TypeError(
                f"Expected an int or a list/tuple of ints for the argument 'axis', but "
                f"received: {axis!r}"
            )
        self.axis = axis
        self.epsilon = epsilon

    def _resolve_axes(self, input_shape):
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        ndim = len(input_shape)
        for a in axes:
            if not -ndim <= a < ndim:
                raise ValueError(
                    f"Axis {a} is out of bounds for input shape {tuple(input_shape)} in layer "
                    f"{self.name!r}. Received: axis={self.axis}"
                )
        return sorted(a % ndim for a in axes)

    def build(self, input_shape):
        axes = self._resolve_axes(input_shape)
        shape = tuple(input_shape[a] for a in axes)
        if any(d is None for d in shape):
            raise ValueError(
                f"RMSNormalization {self.name!r}: the normalized axes {axes} of the input "
                f"must be known. Received: input_shape={tuple(input_shape)}"
            )
        self.scale = self.add_weight(name="scale", shape=shape, initializer="ones")
        # Resolved once here (Keras rewrites `self.axis` itself, which would
        # change get_config after building).
        self._axes = axes
        self.built = True

    def call(self, inputs):
        return ops.rms_normalization(inputs, scale=self.scale, axis=self._axes,
                                     epsilon=self.epsilon)

    def compute_output_shape(self, input_shape):
        self._resolve_axes(input_shape)
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}
