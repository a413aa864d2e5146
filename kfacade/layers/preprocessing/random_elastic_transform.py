"""RandomElasticTransform: displaces the pixels of images by smooth random noise."""
from kfacade import ops
from kfacade import random
from kfacade.layers.preprocessing.base_augmentation import (
    BaseImageAugmentation,
    random_apply_mask,
)
from kfacade.layers.preprocessing.color_adjust import value_range_pair
from kfacade.layers.preprocessing.color_random import _from_zero
from kfacade.ops.image._common import to_batched_channels_last
from kfacade.ops.image.geometry import elastic_displace
from kfacade.ops.image.sampling import check_interpolation

_INTERPOLATIONS = ("nearest", "bilinear")
_FILL_MODES = ("reflect", "wrap", "constant", "nearest", "mirror")


class RandomElasticTransform(BaseImageAugmentation):
    """Randomly applies an elastic distortion to images during training.

    Each call draws one distortion ``d`` in the `scale` range for the
    batch: the displacement noise has ``sigma = 0.05 * d * min(h, w)`` and
    is scaled by ``alpha = 0.1 * d * max(h, w)`` (see
    ``ops.image.elastic_transform``). Each image is distorted with
    probability drawn in `factor`; the result is clipped to `value_range`.

    Args:
        factor: the probability range: a number ``f`` in [0, 1] draws each
            image's probability in ``[0, f]`` (default 1.0), a pair
            ``(lo, hi)`` in ``[lo, hi]``.
        scale: the distortion range, a number ``s`` in [0, 1] (``(0, s)``,
            default 1.0) or a pair.
        interpolation: "bilinear" (default) or "nearest".
        fill_mode: "reflect" (default), "wrap", "constant", "nearest" or
            "mirror".
        fill_value: the value outside the image with "constant".
        value_range: ``(min, max)`` of the pixel values (default (0, 255)).
        seed: an int for reproducible draws.
        data_format: "channels_last" (default) or "channels_first".

    Identity (apart from a cast to the layer's dtype) unless ``training=True``,
    and also when the upper bound of `factor` or `scale` is 0.

    Note: the noise is blurred over ``int(6 * sigma_max) | 1`` taps, with
    ``sigma_max`` from the upper bound of `scale`, so that the shape is fixed
    inside a compiled step; Keras 3.15 uses the drawn sigma's own width
    (the same when `scale` is a fixed pair ``(s, s)``; otherwise the
    kernel only reaches further into its negligible tails).

    Example:
        >>> RandomElasticTransform(factor=(1.0, 1.0), scale=0.5)(images, training=True)
    """

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_mode="reflect",
                 fill_value=0.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _from_zero(factor, (0, 1))
        self.scale = _from_zero(scale, (0, 1), "scale")
        if interpolation not in _INTERPOLATIONS:
            raise NotImplementedError(
                f"Unknown `interpolation` {interpolation}. Expected of one {_INTERPOLATIONS}."
            )
        if fill_mode not in _FILL_MODES:
            raise NotImplementedError(
                f"Unknown `fill_mode` {fill_mode}. Expected of one {_FILL_MODES}."
            )
        self.interpolation = interpolation
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.value_range = value_range_pair(value_range)

    def _augment(self, images):
        if self.scale[1] == 0 or self.factor[1] == 0:
            return images
        batched, restore = to_batched_channels_last(images, self.data_format)
        batch, height, width, _ = ops.shape(batched)
        apply = random_apply_mask(self.generator, batch, self.factor)
        distortion = random.uniform((), self.scale[0], self.scale[1], dtype=self.compute_dtype,
                                    seed=self.generator)
        alpha = ops.multiply(distortion, 0.1 * max(height, width))
        sigma = ops.multiply(distortion, 0.05 * min(height, width))
        taps = int(6 * 0.05 * min(height, width) * self.scale[1]) | 1
        warped = elastic_displace(batched, alpha, sigma, taps, check_interpolation(self.interpolation),
                                  self.fill_mode, self.fill_value, self.generator)
        outputs = ops.where(ops.reshape(apply, (-1, 1, 1, 1)), restore(warped), images)
        return ops.clip(outputs, self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor), "scale": list(self.scale),
                "interpolation": self.interpolation, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "value_range": list(self.value_range)}
