"""RandomTranslation: shifts each image by a random fraction of its size."""
from kfacade import ops
from kfacade import random
from kfacade.layers.preprocessing.base_augmentation import (
    BaseAffineAugmentation,
    check_factor,
    listed_factor,
)

_FACTOR_ERROR = (
    "The `factor` argument should be a number (or a list of two numbers) in the "
    "range [-1.0, 1.0]. "
)


class RandomTranslation(BaseAffineAugmentation):
    """Randomly translates images during training.

    Args:
        height_factor: a fraction of the height: a number ``f`` shifts by
            ``[-f, f] * height``, a pair ``(lo, hi)`` by ``[lo, hi] * height``
            (positive: down).
        width_factor: the same for the width (positive: right).
        fill_mode, interpolation, seed, fill_value, data_format: as
            `RandomRotation`.

    Identity unless ``training=True``.

    Example:
        >>> RandomTranslation(0.1, 0.1)(images, training=True)
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear",
                 seed=None, fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed,
                         fill_value=fill_value, data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = check_factor(height_factor, "height_factor", _FACTOR_ERROR)
        self.width_factor = width_factor
        self.width_lower, self.width_upper = check_factor(width_factor, "width_factor", _FACTOR_ERROR)

    def _transform_matrix(self, batch, height, width):
        dy = ops.multiply(random.uniform((batch,), self.height_lower, self.height_upper,
                                         seed=self.generator), float(height))
        dx = ops.multiply(random.uniform((batch,), self.width_lower, self.width_upper,
                                         seed=self.generator), float(width))
        zeros, ones = ops.zeros_like(dx), ops.ones_like(dx)
        return ops.stack([ones, zeros, ops.negative(dx), zeros, ones, ops.negative(dy), zeros, zeros],
                         axis=1)

    def get_config(self):
        return {**super().get_config(), "height_factor": listed_factor(self.height_factor),
                "width_factor": listed_factor(self.width_factor)}
