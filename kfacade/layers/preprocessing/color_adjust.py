"""Pixel-wise colour augmentations: RandomGrayscale, RandomInvert,
Solarization, RandomPosterization, and AutoContrast (not random).

Each maps every pixel through a function chosen per image; the choice is
drawn from the layer's SeedGenerator. The helpers ``value_range_pair`` and
``rescale`` (pixel values between two ranges) serve the other colour layers.
"""
from kfacade import ops
from kfacade import random
from kfacade.layers.preprocessing.base_augmentation import BaseImageAugmentation
from kfacade.layers.preprocessing.random_color import _factor_pair
from kfacade.ops.image.color import rgb_to_grayscale


def value_range_pair(value_range):
    """`value_range` sorted, as a list (Keras's form and error).

    Raises:
        ValueError: not a list or tuple of two numbers.
    """
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError(
            "The `value_range` argument should be a list of two numbers. "
            f"Received: value_range={value_range}"
        )
    return sorted(value_range)


def rescale(images, source, target):
    """`images` mapped linearly from the range `source` onto `target`."""
    if tuple(source) == tuple(target):
        return images
    scale = (target[1] - target[0]) / (source[1] - source[0])
    return ops.add(ops.multiply(ops.subtract(images, float(source[0])), scale), float(target[0]))


def per_image(images, values):
    """``(batch,)`` values shaped ``(batch, 1, 1, 1)`` to broadcast over a batch."""
    return ops.reshape(values, (ops.shape(images)[0], 1, 1, 1))


class RandomGrayscale(BaseImageAugmentation):
    """Turns each image to grayscale with probability `factor` during training.

    A converted image keeps its channel count: every channel holds the gray
    value ``0.2989 R + 0.5870 G + 0.1140 B``.

    Args:
        factor: the probability, in [0, 1] (default 0.5).
        data_format: "channels_last" (default) or "channels_first".
        seed: an int for reproducible draws.

    Example:
        >>> RandomGrayscale(factor=1.0)(images, training=True)  # all gray
    """

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if factor < 0 or factor > 1:
            raise ValueError(f"`factor` should be between 0 and 1. Received: factor={factor}")
        self.factor = factor

    def _augment(self, images):
        draws = random.uniform((ops.shape(images)[0],), dtype=self.compute_dtype,
                               seed=self.generator)
        gray = rgb_to_grayscale(images, data_format=self.data_format)
        return ops.where(per_image(images, ops.less(draws, self.factor)), gray, images)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class RandomInvert(BaseImageAugmentation):
    """Inverts each image (``max - x`` of `value_range`) at random during training.

    Each image draws a probability ``p`` in ``[factor[0], factor[1]]`` and is
    inverted with probability ``p``; ``factor=(1, 1)`` inverts every image.

    Args:
        factor: a number ``f`` in [0, 1] (``(0, f)``) or a pair; default 1.0.
        value_range: ``(min, max)`` of the pixel values (default (0, 255)).
        seed: an int for reproducible draws.
        data_format: "channels_last" (default) or "channels_first".
    """

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        pair = _factor_pair(factor, (0, 1))
        self.factor = pair if pair is not None else (0, factor)
        self.value_range = value_range

    def _augment(self, images):
        batch = (ops.shape(images)[0],)
        probability = random.uniform(batch, self.factor[0], self.factor[1],
                                     dtype=self.compute_dtype, seed=self.generator)
        draws = random.uniform(batch, dtype=self.compute_dtype, seed=self.generator)
        inverted = ops.subtract(float(self.value_range[1]), images)
        return ops.where(per_image(images, ops.less(draws, probability)), inverted, images)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor),
                "value_range": list(self.value_range)}


def _unit_pair(factor, name):
    """Solarization's factors: a number ``f`` -> ``(0, f)``, or a pair; each in [0, 1]."""
    prefix = ("The `addition_factor` and `threshold_factor` arguments should be a number "
              "(or a list of two numbers) in the range [0, 1]. ")
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            raise ValueError(prefix + f"Received: {name}={factor}")
        values = list(factor)
    elif isinstance(factor, (int, float)) and not isinstance(factor, bool):
        values = [0, factor]
    else:
        raise ValueError(prefix + f"Received: {name}={factor}")
    for value in values:
        if value < 0 or value > 1:
            raise ValueError(prefix + f"Received: input_number={value}")
    return tuple(sorted(values))


class Solarization(BaseImageAugmentation):
    """Solarizes images during training: pixels at or above a threshold become ``max - x``.

    On the 0-255 scale each image draws an addition ``a`` (from
    ``addition_factor * 255``) and a threshold ``t`` (from
    ``threshold_factor * 255``); a pixel ``y = clip(x + a, 0, 255)`` becomes
    ``y`` if ``y < t`` else ``255 - y``. With the defaults (both 0) every
    pixel is inverted.

    Args:
        addition_factor: a number ``f`` in [0, 1] (``(0, f)``) or a pair.
        threshold_factor: a number ``f`` in [0, 1] (``(0, f)``) or a pair.
        value_range: ``(min, max)`` of the pixel values (default (0, 255)).
        seed: an int for reproducible draws.

    Note: Keras 3.15 draws the addition in ``[lower, upper * 255]`` (and the
    threshold alike), so a fixed pair ``(f, f)`` is not fixed; kfacade scales
    both ends by 255, as the documentation describes.
    """

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255),
                 seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.addition_factor = _unit_pair(addition_factor, "addition_factor")
        self.threshold_factor = _unit_pair(threshold_factor, "threshold_factor")
        self.value_range = value_range_pair(value_range)

    def _augment(self, images):
        shape = (ops.shape(images)[0], 1, 1, 1)
        additions = random.uniform(shape, self.addition_factor[0] * 255,
                                   self.addition_factor[1] * 255, dtype=self.compute_dtype,
                                   seed=self.generator)
        thresholds = random.uniform(shape, self.threshold_factor[0] * 255,
                                    self.threshold_factor[1] * 255, dtype=self.compute_dtype,
                                    seed=self.generator)
        shifted = ops.clip(ops.add(rescale(images, self.value_range, (0, 255)), additions),
                           0.0, 255.0)
        solarized = ops.where(ops.less(shifted, thresholds), shifted,
                              ops.subtract(255.0, shifted))
        return rescale(solarized, (0, 255), self.value_range)

    def get_config(self):
        return {**super().get_config(), "value_range": list(self.value_range),
                "addition_factor": list(self.addition_factor),
                "threshold_factor": list(self.threshold_factor)}


class RandomPosterization(BaseImageAugmentation):
    """Keeps only the top ``b`` bits of each 8-bit channel value during training.

    On the 0-255 scale a pixel becomes ``floor(x / 2**(8 - b)) * 2**(8 - b)``.
    Each image draws ``b`` from ``[factor[0], factor[1])`` (an integer; ``b``
    is ``factor[0]`` when both ends are equal).

    Args:
        factor: an int ``f`` in [1, 8] (``(1, f)``) or a pair of them.
        value_range: ``(min, max)`` of the pixel values (default (0, 255)).
        data_format: "channels_last" (default) or "channels_first".
        seed: an int for reproducible draws.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        pair = _factor_pair(factor, (1, 8))
        self.factor = pair if pair is not None else (1, factor)
        self.value_range = value_range_pair(value_range)

    def _augment(self, images):
        batch = (ops.shape(images)[0],)
        if self.factor[0] != self.factor[1]:
            bits = random.randint(batch, self.factor[0], self.factor[1], dtype="int32",
                                  seed=self.generator)
            bits = ops.cast(bits, self.compute_dtype)
        else:
            bits = ops.full(batch, float(self.factor[0]), dtype=self.compute_dtype)
        step = per_image(images, ops.power(2.0, ops.subtract(8.0, bits)))
        levels = ops.floor(ops.clip(rescale(images, self.value_range, (0, 255)), 0.0, 255.0))
        posterized = ops.multiply(ops.floor(ops.divide(levels, step)), step)
        return rescale(posterized, (0, 255), self.value_range)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor),
                "value_range": list(self.value_range)}


class AutoContrast(BaseImageAugmentation):
    """Stretches each image's channels to the full `value_range`, always.

    Per image and channel, the smallest value maps to ``min`` and the
    largest to ``max`` of `value_range`, linearly; a constant channel is
    left as it is. Not random, and applied in inference too (as in Keras).

    Args:
        value_range: ``(min, max)`` of the pixel values (default (0, 255)).

    Note: Keras 3.15 takes the extremes over axes 1 and 2 whatever the
    rank and data format; kfacade uses the image's height and width axes.
    """

    def __init__(self, value_range=(0, 255), **kwargs):
        super().__init__(**kwargs)
        self.value_range = value_range_pair(value_range)

    def call(self, inputs, training=True):
        return super().call(inputs, training=True)

    def _augment(self, images):
        axes = self._spatial_axes()
        low = ops.min(images, axis=axes, keepdims=True)
        high = ops.max(images, axis=axes, keepdims=True)
        spread = ops.subtract(high, low)
        safe = ops.where(ops.greater(spread, 0), spread, ops.ones_like(spread))
        span = float(self.value_range[1] - self.value_range[0])
        stretched = ops.add(ops.multiply(ops.divide(ops.subtract(images, low), safe), span),
                            float(self.value_range[0]))
        stretched = ops.clip(stretched, self.value_range[0], self.value_range[1])
        return ops.where(ops.greater(spread, 0), stretched, images)

    def get_config(self):
        config = super().get_config()
        config.pop("seed")
        return {**config, "value_range": list(self.value_range)}
