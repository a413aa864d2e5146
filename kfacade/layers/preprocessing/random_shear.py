"""RandomShear: shears each image along x and y by random amounts."""
from kfacade import ops
from kfacade import random
from kfacade.layers.preprocessing.base_augmentation import (
    BaseAffineAugmentation,
    check_factor,
    listed_factor,
)

_FACTOR_ERROR = (
    "The `factor` argument should be a number (or a list of two numbers) in the "
    "range [0, 1.0]. "
)


class RandomShear(BaseAffineAugmentation):
    """Randomly shears images during training.

    Each image draws ``sx`` in the x range, ``sy`` in the y range and one
    random sign ``s`` (+1 or -1, shared by both); the output pixel
    ``(x, y)`` is read from ``(x + s * sx * y, y + s * sy * x)`` of the
    input (about the top-left corner, as Keras 3 does).

    Args:
        x_factor: the horizontal shear, in pixels per row: a number ``f``
            draws in ``(-f, f)``, a pair ``(lo, hi)`` in ``[lo, hi]``; each
            value in [0, 1]. 0 (default) leaves x alone.
        y_factor: the same vertically, in pixels per column.
        interpolation: "bilinear" (default) or "nearest".
        fill_mode: "reflect" (default), "wrap", "constant" or "nearest".
        fill_value: the value outside the image with "constant".
        data_format: "channels_last" (default) or "channels_first".
        seed: an int for reproducible draws.

    Identity (apart from a cast to the layer's dtype) unless ``training=True``.

    Example:
        >>> RandomShear(x_factor=0.2, y_factor=0.2, seed=1)(images, training=True)
    """

    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation="bilinear", fill_mode="reflect",
                 fill_value=0.0, data_format=None, seed=None, **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed,
                         fill_value=fill_value, data_format=data_format, **kwargs)
        self.x_factor = x_factor
        self.x_lower, self.x_upper = check_factor(x_factor, "x_factor", _FACTOR_ERROR,
                                                  lower_bound=0.0)
        self.y_factor = y_factor
        self.y_lower, self.y_upper = check_factor(y_factor, "y_factor", _FACTOR_ERROR,
                                                  lower_bound=0.0)

    def _transform_matrix(self, batch, height, width):
        sign = random.uniform((batch,), seed=self.generator)
        sign = ops.where(ops.greater(sign, 0.5), -1.0, 1.0)
        shear_y = random.uniform((batch,), self.y_lower, self.y_upper, seed=self.generator)
        shear_x = random.uniform((batch,), self.x_lower, self.x_upper, seed=self.generator)
        zeros, ones = ops.zeros_like(shear_x), ops.ones_like(shear_x)
        return ops.stack([ones, ops.multiply(shear_x, sign), zeros,
                          ops.multiply(shear_y, sign), ones, zeros, zeros, zeros], axis=1)

    def get_config(self):
        # The factors as given: Keras 3.15 writes the drawn range, ``(-f, f)``
        # for a number, which its own check then refuses on reload.
        return {**super().get_config(), "x_factor": listed_factor(self.x_factor),
                "y_factor": listed_factor(self.y_factor)}
