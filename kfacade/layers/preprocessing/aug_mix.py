"""AugMix: each image blended with a weighted mix of several randomly
augmented copies of itself (Hendrycks et al., 2020).

The operations and strengths are RandAugment's (``rand_augment.py``); every
random choice is drawn per image from the layer's SeedGenerator and applied
with ``ops.where``, so the layer runs inside a compiled step.
"""
from kfacade import ops
from kfacade import random
from kfacade.layers.preprocessing.base_augmentation import BaseImageAugmentation
from kfacade.layers.preprocessing.color_adjust import per_image, value_range_pair
from kfacade.layers.preprocessing.rand_augment import (
    COLOR_OPS,
    GEOMETRY_AND_TONE_OPS,
    apply_one_of,
    check_interpolation,
    policy_factor,
    policy_layers,
)


class AugMix(BaseImageAugmentation):
    """Mixes each image with augmented copies of itself during training.

    Per image: `num_chains` chains each apply `chain_depth` steps, a step
    being one operation drawn uniformly from the list below or, with the
    same chance as each operation, no operation (so a chain applies 0 to
    `chain_depth` operations). The chains' outputs are averaged with
    Dirichlet(`alpha`) weights, and the result ``m`` blended with the image
    ``x`` as ``w * x + (1 - w) * m`` with ``w ~ Beta(alpha, alpha)``, then
    clipped to `value_range`.

    The operations: shear, translation, rotation, solarization,
    posterization, auto-contrast and equalization, plus (with `all_ops`)
    brightness, colour degeneration, contrast and sharpness, each at strength
    `factor` as in ``RandAugment``.

    Args:
        value_range: ``(min, max)`` of the pixel values (default (0, 255)).
        num_chains: the number of augmented copies mixed (default 3).
        chain_depth: the most operations in one chain (default 3).
        factor: the strength, a number ``f`` in [0, 1] (``(0, f)``) or a
            pair (default 0.3).
        alpha: the Beta and Dirichlet concentration (default 1.0).
        all_ops: include the brightness, colour, contrast and sharpness
            operations (default True).
        interpolation: "bilinear" (default) or "nearest", for the geometric
            operations.
        seed: an int for reproducible draws.
        data_format: "channels_last" (default) or "channels_first".

    Identity (apart from a cast to the layer's dtype) unless ``training=True``.

    Note: Keras 3.15 draws the chains' operations (with Python's `random`)
    and the mixing weights once per batch; kfacade draws them per image, as
    the AugMix paper does, from the layer's seed.

    Example:
        >>> AugMix(value_range=(0, 1), num_chains=2, chain_depth=2)(images, training=True)
    """

    #: The operations drawn from (attribute names) without and with `all_ops`.
    _BASE_OPERATIONS = GEOMETRY_AND_TONE_OPS
    _EXTRA_OPERATIONS = COLOR_OPS

    def __init__(self, value_range=(0, 255), num_chains=3, chain_depth=3, factor=0.3,
                 alpha=1.0, all_ops=True, interpolation="bilinear", seed=None,
                 data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        value_range_pair(value_range)  # the check
        check_interpolation(interpolation)
        self.value_range = tuple(value_range)
        self.num_chains = num_chains
        self.chain_depth = chain_depth
        self.factor = policy_factor(factor)
        self.alpha = alpha
        self.all_ops = all_ops
        self.interpolation = interpolation
        policy_layers(self, self.factor, self.value_range, interpolation)

    def _gamma(self, shape, dtype):
        """Gamma(alpha) draws; for alpha 1 (the default) as Exponential(1)
        draws ``-log(1 - u)``, which are the same distribution and much cheaper
        than a Gamma sampler (JAX compiles its sampler for seconds)."""
        if self.alpha == 1:
            uniform = random.uniform(shape, dtype=dtype, seed=self.generator)
            return ops.negative(ops.log1p(ops.negative(uniform)))
        return random.gamma(shape, self.alpha, dtype=dtype, seed=self.generator)

    def _operations(self):
        names = self._BASE_OPERATIONS + (self._EXTRA_OPERATIONS if self.all_ops else ())
        return [getattr(self, name) for name in names]

    def _augment(self, images):
        batch = ops.shape(images)[0]
        dtype = ops.dtype(images)
        # Per image, num_chains + 2 Gamma(alpha) draws: the first num_chains,
        # normalised, are Dirichlet(alpha) chain weights; the last two give
        # the Beta(alpha, alpha) weight of the image itself as X / (X + Y).
        draws = self._gamma((batch, self.num_chains + 2), dtype)
        chain_weights = ops.divide(draws[:, :self.num_chains],
                                   ops.sum(draws[:, :self.num_chains], axis=-1, keepdims=True))
        keep = ops.divide(draws[:, -2], ops.add(draws[:, -2], draws[:, -1]))
        keep = per_image(images, keep)
        operations = self._operations()
        mixed = ops.zeros_like(images)
        for chain in range(self.num_chains):
            augmented = images
            for _ in range(self.chain_depth):
                augmented = apply_one_of(operations, augmented, self.generator,
                                         include_identity=True)
            mixed = ops.add(mixed, ops.multiply(augmented,
                                                per_image(images, chain_weights[:, chain])))
        blended = ops.add(ops.multiply(keep, images), ops.multiply(ops.subtract(1.0, keep), mixed))
        low, high = value_range_pair(self.value_range)
        return ops.clip(blended, low, high)

    def get_config(self):
        return {**super().get_config(), "value_range": list(self.value_range),
                "num_chains": self.num_chains, "chain_depth": self.chain_depth,
                "factor": list(self.factor), "alpha": self.alpha, "all_ops": self.all_ops,
                "interpolation": self.interpolation}
