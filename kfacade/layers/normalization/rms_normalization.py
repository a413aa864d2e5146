"""RMSNormalization: scales each sample by the root mean square over its
feature axes (``ops.rms_normalization``), times a learned ``scale``."""
from kfacade import ops
from kfacade.layers.layer import Layer
from kfacade.layers.normalization.layer_normalization import (
    normalized_axes_and_shape,
    resolve_axes,
    standardize_axis,
)


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
        self.axis = standardize_axis(axis)
        self.epsilon = epsilon

    def build(self, input_shape):
        axes, shape = normalized_axes_and_shape(self, input_shape)
        self.scale = self.add_weight(name="scale", shape=shape, initializer="ones")
        # Resolved once here (Keras rewrites `self.axis` itself, which would
        # change get_config after building).
        self._axes = axes
        self.built = True

    def call(self, inputs):
        return ops.rms_normalization(inputs, scale=self.scale, axis=self._axes,
                                     epsilon=self.epsilon)

    def compute_output_shape(self, input_shape):
        resolve_axes(self, input_shape)
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}
