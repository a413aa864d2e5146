"""RandomZoom: zooms each image in or out about its centre by a random factor."""
from kfacade import ops
from kfacade import random
from kfacade.layers.preprocessing.base_augmentation import (
    BaseAffineAugmentation,
    check_factor,
    listed_factor,
)

_FACTOR_ERROR = (
    "The `height_factor` and `width_factor` arguments should be a number (or a list of "
    "two numbers) in the range (-1.0, 1.0]. "
)


class RandomZoom(BaseAffineAugmentation):
    """Randomly zooms images during training.

    Args:
        height_factor: the vertical zoom as a fraction: the source is sampled
            over ``1 + [lo, hi]`` times the height, so negative values zoom in
            (``-0.3``: 30% closer) and positive ones zoom out. A number ``f``
            means ``(-f, f)``; values in (-1, 1].
        width_factor: the same horizontally; None keeps the aspect ratio
            (the height's draw is reused).
        fill_mode, interpolation, seed, fill_value, data_format: as
            `RandomRotation`.

    Identity unless ``training=True``.

    Example:
        >>> RandomZoom((-0.2, 0.0))(images, training=True)
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed,
                         fill_value=fill_value, data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = check_factor(
            height_factor, "height_factor", _FACTOR_ERROR, lower_open=True)
        self.width_factor = width_factor
        if width_factor is not None:
            self.width_lower, self.width_upper = check_factor(
                width_factor, "width_factor", _FACTOR_ERROR, lower_open=True)

    def _transform_matrix(self, batch, height, width):
        zoom_y = random.uniform((batch,), 1.0 + self.height_lower, 1.0 + self.height_upper,
                                seed=self.generator)
        zoom_x = zoom_y
        if self.width_factor is not None:
            zoom_x = random.uniform((batch,), 1.0 + self.width_lower, 1.0 + self.width_upper,
                                    seed=self.generator)
        x_offset = ops.multiply((width - 1.0) / 2.0, ops.subtract(1.0, zoom_x))
        y_offset = ops.multiply((height - 1.0) / 2.0, ops.subtract(1.0, zoom_y))
        zeros = ops.zeros_like(zoom_x)
        return ops.stack([zoom_x, zeros, x_offset, zeros, zoom_y, y_offset, zeros, zeros], axis=1)

    def get_config(self):
        config = super().get_config()
        config.update({
            "height_factor": listed_factor(self.height_factor),
            "width_factor": listed_factor(self.width_factor),
        })
        return config
