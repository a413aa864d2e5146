"""RandomPerspective: moves the image corners by random amounts and warps the image to match."""
from kfacade import ops
from kfacade import random
from kfacade.layers.preprocessing.base_augmentation import (
    BaseImageAugmentation,
    random_apply_mask,
)
from kfacade.layers.preprocessing.color_random import _from_zero
from kfacade.ops.image import perspective_transform

_INTERPOLATIONS = ("nearest", "bilinear")


class RandomPerspective(BaseImageAugmentation):
    """Randomly warps images by a perspective transform during training.

    Each image is warped with probability drawn in `factor`. The corners
    ``(0, 0)``, ``(w - 1, 0)``, ``(0, h - 1)``, ``(w - 1, h - 1)`` move to
    ``corner * (1 + d)``, with each ``d`` (one per corner coordinate) drawn
    in ``[-scale / 2, scale / 2]``, so, as in Keras 3, the top-left corner
    stays put; points from outside the source image get `fill_value`.

    Args:
        factor: the probability range: a number ``f`` in [0, 1] draws each
            image's probability in ``[0, f]`` (default 1.0: on average
            half the images change), a pair ``(lo, hi)`` in ``[lo, hi]``.
        scale: in [0, 1], how far corners may move (default 1.0).
        interpolation: "bilinear" (default) or "nearest".
        fill_value: the value outside the source image.
        seed: an int for reproducible draws.
        data_format: "channels_last" (default) or "channels_first".

    Identity (apart from a cast to the layer's dtype) unless ``training=True``.

    Example:
        >>> RandomPerspective(factor=(1.0, 1.0), scale=0.2, seed=1)(images, training=True)
    """

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_value=0.0,
                 seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _from_zero(factor, (0, 1))
        if not isinstance(scale, (int, float)) or isinstance(scale, bool) or not 0.0 <= scale <= 1.0:
            raise ValueError(
                "The `scale` argument should be a number in the range [0,1]. "
                f"Received: scale={scale}"
            )
        if interpolation not in _INTERPOLATIONS:
            raise NotImplementedError(
                f"Unknown `interpolation` {interpolation}. Expected of one {_INTERPOLATIONS}."
            )
        self.scale = scale
        self.interpolation = interpolation
        self.fill_value = fill_value

    def _draw(self, batch, height, width):
        """(mask of the images to warp, start corners, end corners), ``(batch, 4, 2)``."""
        apply = random_apply_mask(self.generator, batch, self.factor)
        shift = random.uniform((batch, 4, 2), -0.5 * self.scale, 0.5 * self.scale,
                               dtype=self.compute_dtype, seed=self.generator)
        corners = [[0.0, 0.0], [width - 1.0, 0.0], [0.0, height - 1.0],
                   [width - 1.0, height - 1.0]]
        start = ops.broadcast_to(ops.convert_to_tensor([corners], dtype=self.compute_dtype),
                                 (batch, 4, 2))
        return apply, start, ops.add(start, ops.multiply(start, shift))

    def _augment(self, images):
        shape = ops.shape(images)
        height_axis, width_axis = self._spatial_axes()
        apply, start, end = self._draw(shape[0], shape[height_axis], shape[width_axis])
        warped = perspective_transform(images, start, end, interpolation=self.interpolation,
                                       fill_value=self.fill_value, data_format=self.data_format)
        return ops.where(ops.reshape(apply, (-1, 1, 1, 1)), warped, images)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor), "scale": self.scale,
                "interpolation": self.interpolation, "fill_value": self.fill_value}
