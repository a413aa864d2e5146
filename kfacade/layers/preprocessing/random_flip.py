"""RandomFlip: flips each image horizontally and/or vertically with probability 1/2."""
from kfacade import ops
from kfacade import random
from kfacade.layers.preprocessing.base_augmentation import BaseImageAugmentation

HORIZONTAL = "horizontal"
VERTICAL = "vertical"
HORIZONTAL_AND_VERTICAL = "horizontal_and_vertical"
_MODES = (HORIZONTAL, VERTICAL, HORIZONTAL_AND_VERTICAL)


class RandomFlip(BaseImageAugmentation):
    """Randomly flips images during training.

    Args:
        mode: "horizontal", "vertical" or "horizontal_and_vertical" (one draw
            per image decides both flips, as in Keras 3).
        seed: an int for reproducible flips.
        data_format: "channels_last" (default) or "channels_first".

    Input: ``(B, H, W, C)`` or ``(H, W, C)``; output the same shape.
    Identity unless ``training=True``.

    Example:
        >>> RandomFlip("horizontal", seed=1)(images, training=True)
    """

    def __init__(self, mode=HORIZONTAL_AND_VERTICAL, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if mode not in _MODES:
            raise ValueError(
                f"RandomFlip layer {self.name!r} received an unknown mode. "
                f"Received: mode={mode!r}; expected one of {_MODES}."
            )
        self.mode = mode

    def _augment(self, images):
        batch = ops.shape(images)[0]
        flips = ops.less_equal(random.uniform((batch, 1, 1, 1), seed=self.generator), 0.5)
        height_axis, width_axis = self._spatial_axes()
        if self.mode in (HORIZONTAL, HORIZONTAL_AND_VERTICAL):
            images = ops.where(flips, ops.flip(images, axis=width_axis), images)
        if self.mode in (VERTICAL, HORIZONTAL_AND_VERTICAL):
            images = ops.where(flips, ops.flip(images, axis=height_axis), images)
        return images

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}
