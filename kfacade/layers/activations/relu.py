"""ReLU-family activation layers: ReLU, LeakyReLU, ThresholdedReLU, ELU."""
import warnings

from kfacade import activations, ops
from kfacade.layers.layer import Layer


class _ElementwiseActivation(Layer):
    """An activation applied elementwise: shape and mask pass through."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.built = True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class ReLU(_ElementwiseActivation):
    """Rectified linear unit with optional cap, slope and threshold.

    ``f(x) = max_value`` for ``x >= max_value``, ``x`` for ``threshold < x <
    max_value``, else ``negative_slope * (x - threshold)``.

    Args:
        max_value: the cap (None: no cap); not negative.
        negative_slope: the slope below the threshold (default 0.0); not negative.
        threshold: the threshold (default 0.0); not negative.

    Example:
        >>> ReLU(max_value=6.0)(np.array([-1.0, 3.0, 9.0]))  # [0, 3, 6]
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0.0:
            raise ValueError(
                f"max_value of a ReLU layer cannot be a negative value. "
                f"Received: max_value={max_value}"
            )
        if negative_slope is None or negative_slope < 0.0:
            raise ValueError(
                f"negative_slope of a ReLU layer cannot be None or a negative value. "
                f"Received: negative_slope={negative_slope}"
            )
        if threshold is None or threshold < 0.0:
            raise ValueError(
                f"threshold of a ReLU layer cannot be None or a negative value. "
                f"Received: threshold={threshold}"
            )
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold

    def call(self, inputs):
        return activations.relu(inputs, negative_slope=self.negative_slope,
                                max_value=self.max_value, threshold=self.threshold)

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value,
                "negative_slope": self.negative_slope, "threshold": self.threshold}


class LeakyReLU(_ElementwiseActivation):
    """``x`` for ``x >= 0``, else ``negative_slope * x``.

    Args:
        negative_slope: the slope below 0 (default 0.3); Keras 2's name
            ``alpha`` is accepted too (with a deprecation warning).
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("Argument `alpha` is deprecated. Use `negative_slope` instead.",
                          DeprecationWarning, stacklevel=2)
        super().__init__(**kwargs)
        if negative_slope is None or negative_slope < 0:
            raise ValueError(
                f"The negative_slope value of a Leaky ReLU layer cannot be None or negative "
                f"value. Expected a float. Received: negative_slope={negative_slope}"
            )
        self.negative_slope = negative_slope

    def call(self, inputs):
        return ops.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class ThresholdedReLU(_ElementwiseActivation):
    """``x`` for ``x > theta``, else 0 (Keras 2's layer).

    Args:
        theta: the threshold, a float >= 0 (default 1.0).
    """

    def __init__(self, theta=1.0, **kwargs):
        super().__init__(**kwargs)
        if theta is None:
            raise ValueError(
                f"Theta of a Thresholded ReLU layer cannot be None, expecting a float. "
                f"Received: theta={theta}"
            )
        if theta < 0:
            raise ValueError(
                f"The theta value of a Thresholded ReLU layer should be >=0. "
                f"Received: theta={theta}"
            )
        self.theta = float(theta)

    def call(self, inputs):
        return ops.where(ops.greater(inputs, self.theta), inputs, ops.zeros_like(inputs))

    def get_config(self):
        return {**super().get_config(), "theta": self.theta}


class ELU(_ElementwiseActivation):
    """Exponential linear unit: ``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``.

    Args:
        alpha: the scale of the negative part (default 1.0).
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = alpha

    def call(self, inputs):
        return ops.elu(inputs, alpha=self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}
