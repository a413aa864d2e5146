"""RandomRotation: rotates each image by a random angle about its centre."""
import math

from kfacade import ops
from kfacade import random
from kfacade.layers.preprocessing.base_augmentation import BaseAffineAugmentation, check_factor


class RandomRotation(BaseAffineAugmentation):
    """Randomly rotates images during training.

    Args:
        factor: a fraction of a full turn: a number ``f`` draws angles in
            ``[-f * 360, f * 360]`` degrees, a pair ``(lo, hi)`` in
            ``[lo * 360, hi * 360]``; values in [-1, 1]. Positive angles turn
            counter-clockwise.
        fill_mode: "reflect", "wrap", "constant" or "nearest" (outside points).
        interpolation: "bilinear" or "nearest".
        seed: an int for reproducible angles.
        fill_value: the value outside the image with "constant".
        data_format: "channels_last" (default) or "channels_first".

    Identity unless ``training=True``.

    Example:
        >>> RandomRotation(0.1, fill_mode="constant")(images, training=True)
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed,
                         fill_value=fill_value, data_format=data_format, **kwargs)
        self.factor = check_factor(
            factor, "factor",
            "The `factor` argument should be a number (or a list of two numbers) in the "
            "range [-1, 1]. ",
        )

    def _transform_matrix(self, batch, height, width):
        lower, upper = self.factor[0] * 360.0, self.factor[1] * 360.0
        angle = random.uniform((batch,), minval=lower, maxval=upper, seed=self.generator)
        angle = ops.multiply(angle, math.pi / 180.0)
        cos, sin = ops.cos(angle), ops.sin(angle)
        cx, cy = 0.5 * (width - 1), 0.5 * (height - 1)
        # Keras's rotation about (cx, cy): output -> input is [[cos, -sin], [sin, cos]].
        a2 = ops.subtract(ops.subtract(cx, ops.multiply(cx, cos)), ops.multiply(cy, ops.negative(sin)))
        b2 = ops.subtract(ops.subtract(cy, ops.multiply(cx, sin)), ops.multiply(cy, cos))
        zeros = ops.zeros_like(angle)
        return ops.stack([cos, ops.negative(sin), a2, sin, cos, b2, zeros, zeros], axis=1)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}
