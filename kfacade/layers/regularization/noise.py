"""Noise layers active in training only: GaussianNoise, GaussianDropout, AlphaDropout."""
import math

from kfacade import ops
from kfacade import random as kf_random
from kfacade.backend.active import adapter as _B
from kfacade.layers.layer import Layer
from kfacade.random import SeedGenerator


def _check_fraction(name, value, upper_open=False):
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not (
        0 <= value < 1 if upper_open else 0 <= value <= 1
    ):
        interval = "[0, 1)" if upper_open else "[0, 1]"
        raise ValueError(
            f"Invalid value received for argument `{name}`. Expected a float value "
            f"in {interval}. Received: {name}={value!r}"
        )


class GaussianNoise(Layer):
    """Adds zero-centred Gaussian noise of standard deviation `stddev` in training.

    Args:
        stddev: the noise's standard deviation, in [0, 1].
        seed: an int for reproducible noise.

    Example:
        >>> GaussianNoise(0.1)(np.ones((2, 3)), training=True)
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        _check_fraction("stddev", stddev)
        self.stddev = stddev
        self.seed = seed
        self.seed_generator = SeedGenerator(seed, name=f"{self.name}_seed")
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=False):
        if training and self.stddev > 0:
            noise = kf_random.normal(tuple(_B.shape(inputs)), mean=0.0, stddev=self.stddev,
                                     dtype=self.compute_dtype, seed=self.seed_generator)
            return ops.add(inputs, noise)
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(Layer):
    """Multiplies inputs by Gaussian noise of mean 1 and standard deviation
    ``sqrt(rate / (1 - rate))`` in training.

    Args:
        rate: the equivalent drop probability, in [0, 1).
        seed: an int for reproducible noise.
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        _check_fraction("rate", rate, upper_open=True)
        self.rate = rate
        self.seed = seed
        self.seed_generator = SeedGenerator(seed, name=f"{self.name}_seed")
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            stddev = math.sqrt(self.rate / (1.0 - self.rate))
            noise = kf_random.normal(tuple(_B.shape(inputs)), mean=1.0, stddev=stddev,
                                     dtype=self.compute_dtype, seed=self.seed_generator)
            return ops.multiply(inputs, noise)
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


# SELU's constants: dropped units take SELU's negative saturation value.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class AlphaDropout(Layer):
    """Dropout that keeps the mean and variance of its inputs (for SELU networks).

    In training, dropped units are set to ``-alpha * scale`` (SELU's
    saturation) and an affine map ``a * x + b`` restores the inputs' mean and
    variance: ``a = ((1 - rate) * (1 + rate * alpha_p ** 2)) ** -0.5``,
    ``b = -a * alpha_p * rate``.

    Args:
        rate: the drop probability, in [0, 1).
        noise_shape: shape of the keep/drop draw broadcast over the inputs
            (None entries take the input's size).
        seed: an int for reproducible masks.
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        _check_fraction("rate", rate, upper_open=True)
        self.rate = rate
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self.seed_generator = SeedGenerator(seed, name=f"{self.name}_seed")
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=False):
        if not (training and self.rate > 0):
            return inputs
        shape = tuple(_B.shape(inputs))
        noise_shape = shape if self.noise_shape is None else tuple(
            shape[i] if d is None else d for i, d in enumerate(self.noise_shape)
        )
        alpha_p = -_SELU_ALPHA * _SELU_SCALE
        kept = ops.greater_equal(
            kf_random.uniform(noise_shape, dtype=self.compute_dtype, seed=self.seed_generator),
            self.rate,
        )
        kept = ops.cast(kept, self.compute_dtype)
        a = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        x = ops.add(ops.multiply(inputs, kept), ops.multiply(ops.subtract(1.0, kept), alpha_p))
        return ops.add(ops.multiply(x, a), b)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed,
                "noise_shape": None if self.noise_shape is None else list(self.noise_shape)}
