"""RandomContrast and RandomBrightness: per-image random colour changes in training."""
from kfacade import ops
from kfacade import random
from kfacade.layers.preprocessing.base_augmentation import BaseImageAugmentation


def _factor_pair(factor, bounds, name="factor"):
    """Keras 3's ``_set_factor``: ``(lower, upper)`` from a number or a pair.

    `name` is the argument the message names (Keras echoes it as ``factor=``).

    Raises:
        ValueError: not a number or a pair, or outside `bounds`; echoes it.
    """
    error = (
        f"The `{name}` argument should be a number (or a list of two numbers) in the range "
        f"[{bounds[0]}, {bounds[1]}]. Received: factor={factor}"
    )
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or factor[0] > bounds[1] or factor[1] < bounds[0]:
            raise ValueError(error)
        return tuple(sorted(factor))
    if isinstance(factor, (int, float)) and not isinstance(factor, bool):
        if factor < bounds[0] or factor > bounds[1]:
            raise ValueError(error)
        return None  # the caller decides what one number means
    raise ValueError(error)


class RandomContrast(BaseImageAugmentation):
    """Randomly adjusts the contrast of each image during training.

    Each image's pixels move away from (or towards) their mean over height
    and width: ``(x - mean) * c + mean``, with one ``c`` per image drawn in
    ``[1 - lower, 1 + upper]``, then clipped to `value_range`.

    Args:
        factor: a number ``f`` in [0, 1] (``lower = upper = f``, as Keras's
            documentation says) or a pair ``(lower, upper)``.
        value_range: ``(min, max)`` of the pixel values (default (0, 255)).
        seed: an int for reproducible draws.
        data_format: "channels_last" (default) or "channels_first".

    Identity (apart from a cast to the layer's dtype) unless ``training=True``.

    Note: Keras 3.15's code reads one number ``f`` as ``(0, f)``, i.e.
    ``c`` in ``[1, 1 + f]``, unlike its documentation; kfacade follows the
    documentation. A pair means the same in both.

    Example:
        >>> RandomContrast(0.2, seed=1)(images, training=True)
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        pair = _factor_pair(factor, (0, 1))
        self.factor = pair if pair is not None else (abs(factor), abs(factor))
        self.value_range = value_range

    def _augment(self, images):
        height_axis, width_axis = self._spatial_axes()
        contrast = random.uniform((ops.shape(images)[0], 1, 1, 1), 1.0 - self.factor[0],
                                  1.0 + self.factor[1], dtype=self.compute_dtype,
                                  seed=self.generator)
        mean = ops.mean(ops.mean(images, axis=height_axis, keepdims=True), axis=width_axis,
                        keepdims=True)
        outputs = ops.add(ops.multiply(ops.subtract(images, mean), contrast), mean)
        return ops.clip(outputs, self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor),
                "value_range": list(self.value_range)}


class RandomBrightness(BaseImageAugmentation):
    """Randomly shifts the brightness of each image during training.

    Adds one delta per image, drawn in ``[lower, upper] * (max - min)`` of
    `value_range`, to every pixel, then clips to `value_range`.

    Args:
        factor: a number ``f`` in [-1, 1] (``(-|f|, |f|)``) or a pair
            ``(lower, upper)``, as fractions of the value range.
        value_range: ``(min, max)`` of the pixel values (default (0, 255)).
        seed: an int for reproducible draws.
        data_format: "channels_last" (default) or "channels_first".

    Identity (apart from a cast to the layer's dtype) unless ``training=True``.

    Example:
        >>> RandomBrightness(0.2, value_range=(0, 1), seed=1)(images, training=True)
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        pair = _factor_pair(factor, (-1, 1))
        self.factor = pair if pair is not None else (-abs(factor), abs(factor))
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
            raise ValueError(
                "The `value_range` argument should be a list of two numbers. "
                f"Received: value_range={value_range}"
            )
        self.value_range = sorted(value_range)

    def _augment(self, images):
        delta = random.uniform((ops.shape(images)[0], 1, 1, 1), self.factor[0], self.factor[1],
                               dtype=self.compute_dtype, seed=self.generator)
        delta = ops.multiply(delta, float(self.value_range[1] - self.value_range[0]))
        return ops.clip(ops.add(images, delta), self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor),
                "value_range": list(self.value_range)}
