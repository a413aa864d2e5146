"""RandomErasing: blots out a random rectangle of some images (Zhong et al., 2020)."""
from kfacade import ops
from kfacade import random
from kfacade.layers.preprocessing.base_augmentation import BaseImageAugmentation
from kfacade.layers.preprocessing.mix_augmentation import IMAGES, box_along, unit_range


class RandomErasing(BaseImageAugmentation):
    """Random Erasing (https://arxiv.org/abs/1708.04896), as Keras 3.

    In training, per image: a probability ``p`` is drawn uniformly in
    `factor` and the image is erased with probability ``p``; the erased
    rectangle's sides are ``sqrt(s)`` times the image's, ``s`` drawn
    uniformly in `scale` for each side, at a uniform position. Erased
    pixels take `fill_value`, or Gaussian noise ``N(0, 1) * value_range[1]``
    when it is None, clipped to `value_range`. Identity (apart from a cast
    to the layer's dtype) unless ``training=True``; a direct call defaults
    to True.

    Args:
        factor: a number in [0, 1] (``p`` in ``(0, factor)``; the default
            1.0 erases half of the images on average) or a pair ``(low,
            high)``.
        scale: a pair in [0, 1] (or a number: ``(0, scale)``): the range of
            each side's squared fraction. Defaults to (0.02, 0.33).
        fill_value: None (noise), a number, or three numbers (one per
            channel).
        value_range: ``(low, high)`` of the images' values; defaults to
            (0, 255).
        seed: an int for reproducible erasing.
        data_format: "channels_last" (default) or "channels_first".

    Input: ``(B, H, W, C)`` or ``(H, W, C)``, or a dict with ``"images"``
    (its other entries, labels included, pass unchanged); output the same.

    Raises:
        ValueError: `factor` or `scale` out of [0, 1]; a `fill_value` that is
            neither a number nor three numbers; an input not of rank 3 or 4.

    Example:
        >>> RandomErasing(fill_value=0.0, seed=1)(images).shape == images.shape
    """

    def __init__(self, factor=1.0, scale=(0.02, 0.33), fill_value=None, value_range=(0, 255),
                 seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = unit_range(factor, "factor")
        self.scale = unit_range(scale, "scale")
        if fill_value is not None and not (
                isinstance(fill_value, (int, float)) and not isinstance(fill_value, bool)
                or isinstance(fill_value, (tuple, list)) and len(fill_value) == 3):
            raise ValueError(
                "The `fill_value` argument should be a number (or a list of three numbers). "
                f"Received: fill_value={fill_value}"
            )
        self.fill_value = fill_value
        self.value_range = value_range

    def call(self, inputs, training=True):
        if isinstance(inputs, dict):
            if IMAGES not in inputs:
                raise ValueError(
                    "RandomErasing expects a tensor of images or a dict with an 'images' key. "
                    f"Received: a dict with keys {sorted(inputs)}"
                )
            return {**inputs, IMAGES: super().call(inputs[IMAGES], training=training)}
        rank = len(ops.shape(inputs))
        if rank not in (3, 4):
            raise ValueError(
                "Expected the input image to be rank 3 or 4. Received "
                f"inputs.shape={tuple(ops.shape(inputs))}"
            )
        return super().call(inputs, training=training)

    def _augment(self, images):
        shape = ops.shape(images)
        batch = shape[0]
        height_axis, width_axis = self._spatial_axes()
        dtype = self.compute_dtype
        sides = ops.sqrt(random.uniform((batch, 2), self.scale[0], self.scale[1], dtype=dtype,
                                        seed=self.generator))
        inside_x = box_along(batch, shape[width_axis], sides[:, 0], dtype, self.generator)
        inside_y = box_along(batch, shape[height_axis], sides[:, 1], dtype, self.generator)
        probability = random.uniform((batch,), self.factor[0], self.factor[1],
                                     seed=self.generator)
        threshold = random.uniform((batch,), 0.0, 1.0, seed=self.generator)
        erase = ops.less(threshold, probability)[:, None, None]
        if self.data_format == "channels_last":
            patch = (inside_y[:, :, None] & inside_x[:, None, :] & erase)[..., None]
        else:
            patch = (inside_y[:, :, None] & inside_x[:, None, :] & erase)[:, None]
        return ops.where(patch, self._fill(images, shape), images)

    def _fill(self, images, shape):
        """The values of erased pixels: `fill_value` or noise, clipped to `value_range`."""
        if self.fill_value is None:
            fill = random.normal(shape, dtype=self.compute_dtype, seed=self.generator) \
                * self.value_range[1]
        elif isinstance(self.fill_value, (tuple, list)):
            per_channel = ops.convert_to_tensor(list(self.fill_value), dtype=self.compute_dtype)
            if self.data_format == "channels_first":
                per_channel = ops.reshape(per_channel, (-1, 1, 1))
            fill = ops.broadcast_to(per_channel, shape)
        else:
            fill = ops.full(shape, self.fill_value, dtype=self.compute_dtype)
        return ops.clip(fill, self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor), "scale": list(self.scale),
                "fill_value": self.fill_value, "value_range": list(self.value_range)}
