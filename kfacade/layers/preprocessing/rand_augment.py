"""RandAugment: each image goes through `num_ops` augmentations drawn at random
from a fixed list, all at one strength (`factor`).

The list of augmentations and their strengths is shared with AugMix
(``aug_mix.py``): ``policy_layers`` builds them, ``choose_per_image`` picks one
candidate per image. The choice is traceable: every candidate is computed for
the whole batch and each image takes its own with ``ops.where``, so the layer
runs in a compiled step with no Python branch on tensor values.
"""
from kfacade import ops
from kfacade import random
from kfacade.layers.preprocessing.base_augmentation import BaseImageAugmentation
from kfacade.layers.preprocessing.color_adjust import (
    AutoContrast,
    RandomPosterization,
    Solarization,
    per_image,
    value_range_pair,
)
from kfacade.layers.preprocessing.color_random import (
    RandomColorDegeneration,
    RandomSharpness,
)
from kfacade.layers.preprocessing.equalization import Equalization
from kfacade.layers.preprocessing.random_color import RandomBrightness, RandomContrast
from kfacade.layers.preprocessing.random_rotation import RandomRotation
from kfacade.layers.preprocessing.random_shear import RandomShear
from kfacade.layers.preprocessing.random_translation import RandomTranslation

#: The interpolations the policy layers accept (Keras 3's list and order).
POLICY_INTERPOLATIONS = ("nearest", "bilinear")

#: Geometric and tone operations (AugMix's list without ``all_ops``).
GEOMETRY_AND_TONE_OPS = (
    "random_shear", "random_translation", "random_rotation", "solarization",
    "random_posterization", "auto_contrast", "equalization",
)
#: Operations that change brightness, colour, contrast or sharpness.
COLOR_OPS = ("random_brightness", "random_color_degeneration", "random_contrast",
             "random_sharpness")


def policy_factor(factor):
    """`factor` as ``(lower, upper)`` in [0, 1]: a number ``f`` means ``(0, f)``.

    Raises:
        ValueError: neither a number nor a pair, or a value outside [0, 1]
            (Keras 3's wording).
    """
    prefix = ("The `factor` argument should be a number (or a list of two numbers) in the "
              "range [0, 1")
    if isinstance(factor, (tuple, list)) and len(factor) == 2:
        for value in factor:
            if not isinstance(value, (int, float)) or value < 0 or value > 1:
                raise ValueError(prefix + f".0]. Received: input_number={value}")
        return tuple(sorted(factor))
    if isinstance(factor, (int, float)) and 0 <= factor <= 1:
        return (0, factor)
    raise ValueError(prefix + f"]. Received: factor={factor}")


def check_interpolation(interpolation):
    """Raises NotImplementedError (Keras's error) for an interpolation the policy lacks."""
    if interpolation not in POLICY_INTERPOLATIONS:
        raise NotImplementedError(
            f"Unknown `interpolation` {interpolation}. Expected of one "
            f"{POLICY_INTERPOLATIONS}."
        )


def policy_layers(owner, factor, value_range, interpolation):
    """Sets the policy's augmentation layers on `owner` under Keras 3's attribute names.

    Every layer draws from `owner`'s SeedGenerator (one stream, one state to
    carry through a compiled step) and works at strength `factor` (a pair):
    geometric ranges ``factor`` (fractions of the image or of a full turn),
    posterization down to ``max(1, int(8 * factor[1]))`` bits.
    """
    shared = dict(seed=owner.seed, data_format=owner.data_format, dtype=owner.dtype_policy)
    affine = dict(interpolation=interpolation, **shared)
    owner.random_shear = RandomShear(x_factor=factor, y_factor=factor, **affine)
    owner.random_translation = RandomTranslation(height_factor=factor, width_factor=factor,
                                                 **affine)
    owner.random_rotation = RandomRotation(factor=factor, **affine)
    owner.random_brightness = RandomBrightness(factor=factor, value_range=value_range, **shared)
    owner.random_color_degeneration = RandomColorDegeneration(
        factor=factor, value_range=value_range, **shared)
    owner.random_contrast = RandomContrast(factor=factor, value_range=value_range, **shared)
    owner.random_sharpness = RandomSharpness(factor=factor, value_range=value_range, **shared)
    owner.solarization = Solarization(addition_factor=factor, threshold_factor=factor,
                                      value_range=value_range, **shared)
    owner.random_posterization = RandomPosterization(
        factor=max(1, int(8 * factor[1])), value_range=value_range, **shared)
    owner.auto_contrast = AutoContrast(value_range=value_range, **shared)
    owner.equalization = Equalization(value_range=value_range, **shared)
    for name in GEOMETRY_AND_TONE_OPS + COLOR_OPS:
        getattr(owner, name).generator = owner.generator


def choose_per_image(candidates, index):
    """Image ``i`` of ``candidates[index[i]]``: `index` is ``(batch,)`` int."""
    chosen = candidates[0]
    for position in range(1, len(candidates)):
        take = per_image(chosen, ops.equal(index, position))
        chosen = ops.where(take, candidates[position], chosen)
    return chosen


def apply_one_of(operations, images, generator, include_identity=False):
    """Each image through one operation drawn uniformly (per image) from
    `operations` (layers), or left unchanged with equal chance when
    `include_identity`."""
    choices = len(operations) + (1 if include_identity else 0)
    index = random.randint((ops.shape(images)[0],), 0, choices, dtype="int32", seed=generator)
    dtype = ops.dtype(images)
    candidates = [ops.cast(operation._augment(images), dtype) for operation in operations]
    if include_identity:
        candidates.append(images)
    return choose_per_image(candidates, index)


class RandAugment(BaseImageAugmentation):
    """Applies `num_ops` random augmentations, one after another, during training.

    For each of the `num_ops` steps every image draws one operation,
    uniformly and independently, from: shear, translation, rotation,
    brightness, colour degeneration, contrast, sharpness, solarization,
    posterization, auto-contrast and equalization, each at strength `factor`
    (the layer of that name with `factor` as its factor range; posterization
    keeps at least ``max(1, int(8 * factor[1]))`` bits).

    Args:
        value_range: ``(min, max)`` of the pixel values (default (0, 255)).
        num_ops: the number of operations applied to each image (default 2).
        factor: the strength, a number ``f`` in [0, 1] (``(0, f)``) or a
            pair (default 0.5).
        interpolation: "bilinear" (default) or "nearest", for the geometric
            operations.
        seed: an int for reproducible draws.
        data_format: "channels_last" (default) or "channels_first".

    Identity (apart from a cast to the layer's dtype) unless ``training=True``.

    Note: Keras 3.15 draws the `num_ops` operations once per batch; kfacade
    draws them per image, as the RandAugment paper does.

    Example:
        >>> RandAugment(value_range=(0, 1), num_ops=2, factor=0.3)(images, training=True)
    """

    #: The operations drawn from (attribute names), in Keras 3's order.
    _OPERATIONS = GEOMETRY_AND_TONE_OPS[:3] + COLOR_OPS + GEOMETRY_AND_TONE_OPS[3:]

    def __init__(self, value_range=(0, 255), num_ops=2, factor=0.5, interpolation="bilinear",
                 seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        value_range_pair(value_range)  # the check
        check_interpolation(interpolation)
        self.value_range = tuple(value_range)
        self.num_ops = num_ops
        self.factor = policy_factor(factor)
        self.interpolation = interpolation
        policy_layers(self, self.factor, self.value_range, interpolation)

    def _augment(self, images):
        operations = [getattr(self, name) for name in self._OPERATIONS]
        for _ in range(self.num_ops):
            images = apply_one_of(operations, images, self.generator)
        return images

    def get_config(self):
        return {**super().get_config(), "value_range": list(self.value_range),
                "num_ops": self.num_ops, "factor": list(self.factor),
                "interpolation": self.interpolation}
