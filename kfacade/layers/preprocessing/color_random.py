"""Random colour-strength augmentations: RandomColorDegeneration,
RandomSaturation, RandomHue, RandomSharpness, and RandomColorJitter (a
chain of brightness, contrast, saturation and hue).

Each image draws one strength from the factor range in training; outside
training the layers are the identity (apart from a cast to the layer's dtype).
"""
from kfacade import ops
from kfacade import random
from kfacade.backend.config import epsilon
from kfacade.layers.preprocessing.base_augmentation import BaseImageAugmentation
from kfacade.layers.preprocessing.base_augmentation import listed_factor as listed
from kfacade.layers.preprocessing.color_adjust import per_image, rescale, value_range_pair
from kfacade.layers.preprocessing.random_color import (
    RandomBrightness,
    RandomContrast,
    _factor_pair,
)
from kfacade.ops.image.color import hsv_to_rgb, rgb_to_grayscale, rgb_to_hsv


def _from_zero(factor, bounds, name="factor"):
    """A factor as ``(lower, upper)``: a number ``f`` means ``(0, |f|)`` (Keras's
    documentation), a pair is sorted; checked against `bounds`."""
    pair = _factor_pair(factor, bounds, name)
    return pair if pair is not None else (0, abs(factor))


class _PerImageFactor(BaseImageAugmentation):
    """A colour layer with one uniform draw per image in ``[factor[0], factor[1]]``."""

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None,
                 factor_bounds=(0, 1), **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _from_zero(factor, factor_bounds)
        self.value_range = value_range_pair(value_range)

    def _draw(self, images):
        return random.uniform((ops.shape(images)[0],), self.factor[0], self.factor[1],
                              dtype=self.compute_dtype, seed=self.generator)

    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else -3

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor),
                "value_range": list(self.value_range)}


class RandomColorDegeneration(_PerImageFactor):
    """Blends each image towards its grayscale version during training.

    ``x + f * (gray(x) - x)``, clipped to `value_range`, with ``f`` drawn
    per image: 0 keeps the image, 1 gives the grayscale image.

    Args:
        factor: a number ``f`` (``(0, f)``) or a pair, in [-1, 1] as Keras
            accepts (documented range [0, 1]; negative ``f`` saturates).
        value_range: ``(min, max)`` of the pixel values (default (0, 255)).
        data_format: "channels_last" (default) or "channels_first".
        seed: an int for reproducible draws.

    Note: Keras 3.15's code reads one number ``f`` as ``(-f, f)``, unlike
    its documentation (``(0, f)``); kfacade follows the documentation.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(factor, value_range, data_format, seed, factor_bounds=(-1, 1), **kwargs)

    def _augment(self, images):
        strength = per_image(images, self._draw(images))
        gray = rgb_to_grayscale(images, data_format=self.data_format)
        blended = ops.add(images, ops.multiply(strength, ops.subtract(gray, images)))
        return ops.clip(blended, self.value_range[0], self.value_range[1])


class RandomSaturation(_PerImageFactor):
    """Scales each image's HSV saturation during training.

    Each image draws ``f`` in the factor range and its saturation is
    multiplied by ``f / (1 - f)``: 0.5 keeps the image, 0 makes it gray, 1
    fully saturated.

    Args:
        factor: a number ``f`` (``(0, f)``) or a pair, in [-1, 1] as Keras
            accepts (documented range [0, 1]).
        value_range: ``(min, max)`` of the pixel values (default (0, 255)).
        data_format: "channels_last" (default) or "channels_first".
        seed: an int for reproducible draws.

    Note: Keras 3.15's code reads one number ``f`` as ``(-f, f)``, unlike
    its documentation (``(0, f)``); kfacade follows the documentation.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(factor, value_range, data_format, seed, factor_bounds=(-1, 1), **kwargs)

    def _augment(self, images):
        draws = self._draw(images)
        scale = per_image(images, ops.divide(draws, ops.add(ops.subtract(1.0, draws), epsilon())))
        hue, saturation, value = ops.split(rgb_to_hsv(images, data_format=self.data_format), 3,
                                           axis=self._channel_axis())
        saturation = ops.clip(ops.multiply(saturation, scale), self.value_range[0],
                              self.value_range[1])
        return hsv_to_rgb(ops.concatenate([hue, saturation, value], axis=self._channel_axis()),
                          data_format=self.data_format)


class RandomHue(_PerImageFactor):
    """Rotates each image's HSV hue during training.

    Each image draws ``f`` in the factor range and a random sign; its hue
    (in [0, 1]) moves by ``+-f / 2`` and wraps around.

    Args:
        factor: a number ``f`` in [0, 1] (``(0, f)``) or a pair.
        value_range: ``(min, max)`` of the pixel values (default (0, 255)).
        data_format: "channels_last" (default) or "channels_first".
        seed: an int for reproducible draws.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(factor, value_range, data_format, seed, **kwargs)

    def _augment(self, images):
        signs = random.uniform((ops.shape(images)[0],), dtype=self.compute_dtype,
                               seed=self.generator)
        signs = ops.where(ops.greater(signs, 0.5), -1.0, 1.0)
        shift = per_image(images, ops.multiply(ops.multiply(signs, self._draw(images)), 0.5))
        axis = self._channel_axis()
        unit = rescale(images, self.value_range, (0, 1))
        hue, saturation, value = ops.split(rgb_to_hsv(unit, data_format=self.data_format), 3,
                                           axis=axis)
        hue = ops.add(hue, ops.cast(shift, ops.dtype(hue)))
        hue = ops.where(ops.greater(hue, 1.0), ops.subtract(hue, 1.0), hue)
        hue = ops.where(ops.less(hue, 0.0), ops.add(hue, 1.0), hue)
        rgb = hsv_to_rgb(ops.concatenate([hue, saturation, value], axis=axis),
                         data_format=self.data_format)
        return rescale(ops.clip(rgb, 0.0, 1.0), (0, 1), self.value_range)


class RandomSharpness(_PerImageFactor):
    """Sharpens or blurs each image during training.

    With ``s = 2 f`` (``f`` drawn per image), the output is
    ``x + (1 - s) * (smooth(x) - x)``, clipped to `value_range`, where
    ``smooth`` is a 3x3 filter (centre 5/13, neighbours 1/13, zero padding):
    ``f = 0.5`` keeps the image, 0 blurs it, 1 sharpens it.

    Args:
        factor: a number ``f`` in [0, 1] (``(0, f)``) or a pair.
        value_range: ``(min, max)`` of the pixel values (default (0, 255)).
        data_format: "channels_last" (default) or "channels_first".
        seed: an int for reproducible draws.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(factor, value_range, data_format, seed, **kwargs)

    def _augment(self, images):
        sharpness = per_image(images, ops.multiply(self._draw(images), 2.0))
        channels = ops.shape(images)[self._channel_axis()]
        edge, centre = 1.0 / 13.0, 5.0 / 13.0
        kernel = ops.convert_to_tensor([[edge, edge, edge], [edge, centre, edge],
                                        [edge, edge, edge]], dtype=self.compute_dtype)
        kernel = ops.tile(ops.reshape(kernel, (3, 3, 1, 1)), (1, 1, channels, 1))
        smoothed = ops.depthwise_conv(images, kernel, strides=1, padding="same",
                                      data_format=self.data_format)
        sharpened = ops.add(images, ops.multiply(ops.subtract(1.0, sharpness),
                                                 ops.subtract(smoothed, images)))
        return ops.clip(sharpened, self.value_range[0], self.value_range[1])


class RandomColorJitter(BaseImageAugmentation):
    """Random brightness, contrast, saturation and hue, in that order, in training.

    Each factor left as None skips that step; the others behave as
    ``RandomBrightness``, ``RandomContrast``, ``RandomSaturation`` and
    ``RandomHue`` with the same `value_range`, drawing from this layer's seed.

    Args:
        value_range: ``(min, max)`` of the pixel values (default (0, 255)).
        brightness_factor, contrast_factor, saturation_factor, hue_factor:
            each step's `factor`, or None (default) to skip it.
        seed: an int for reproducible draws.
        data_format: "channels_last" (default) or "channels_first".
    """

    def __init__(self, value_range=(0, 255), brightness_factor=None, contrast_factor=None,
                 saturation_factor=None, hue_factor=None, seed=None, data_format=None,
                 **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = value_range
        self.brightness_factor = brightness_factor
        self.contrast_factor = contrast_factor
        self.saturation_factor = saturation_factor
        self.hue_factor = hue_factor
        steps = []
        for cls, factor in ((RandomBrightness, brightness_factor),
                            (RandomContrast, contrast_factor),
                            (RandomSaturation, saturation_factor), (RandomHue, hue_factor)):
            if factor is not None:
                step = cls(factor=factor, value_range=value_range, seed=seed,
                           data_format=self.data_format, dtype=self.dtype_policy)
                step.generator = self.generator  # one stream, one state to carry
                steps.append(step)
        self._steps = steps

    def _augment(self, images):
        for step in self._steps:
            images = step._augment(images)
        return images

    def get_config(self):
        return {**super().get_config(), "value_range": listed(self.value_range),
                "brightness_factor": listed(self.brightness_factor),
                "contrast_factor": listed(self.contrast_factor),
                "saturation_factor": listed(self.saturation_factor),
                "hue_factor": listed(self.hue_factor)}

