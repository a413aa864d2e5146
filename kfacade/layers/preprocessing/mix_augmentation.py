"""MixUp and CutMix: augmentations that blend each image with another of its batch.

Both take a batch of images, or a dict ``{"images": ..., "labels": ...}``
(``"segmentation_masks"`` too), as Keras 3's image preprocessing layers do,
and mix the labels with the same weights as the images, so a one-hot label
becomes the soft label of the blend. Each image is paired with the image at
a random permutation of the batch.
"""
from kfacade import ops
from kfacade import random
from kfacade.backend.dtypes import standardize_dtype
from kfacade.layers.preprocessing.base_augmentation import BaseImageAugmentation

IMAGES = "images"
LABELS = "labels"
SEGMENTATION_MASKS = "segmentation_masks"


class BaseMixAugmentation(BaseImageAugmentation):
    """Dict inputs and label mixing for MixUp and CutMix.

    Subclasses implement ``_draw(images)``, returning the permutation of the
    batch, a per-pixel ``mix`` function of a 4-D batch, and the ``(batch,)``
    weight of each image's own label.
    """

    def call(self, inputs, training=True):
        data = dict(inputs) if isinstance(inputs, dict) else {IMAGES: inputs}
        if IMAGES not in data:
            raise ValueError(
                f"{type(self).__name__} expects a tensor of images or a dict with an "
                f"'images' key. Received: a dict with keys {sorted(data)}"
            )
        if "bounding_boxes" in data:
            raise NotImplementedError(
                f"{type(self).__name__} does not transform bounding boxes in kfacade. "
                "Received: a dict with a 'bounding_boxes' key."
            )
        images = self._as_compute_dtype(data[IMAGES])
        data[IMAGES] = images
        if LABELS in data:
            data[LABELS] = self._as_compute_dtype(data[LABELS])
        # A single image has no other image to mix with: Keras 3 returns it as it is.
        if training and len(ops.shape(images)) == 4:
            permutation, mix, label_weight = self._draw(images)
            for key in (IMAGES, SEGMENTATION_MASKS):
                if key in data:
                    data[key] = mix(self._as_compute_dtype(data[key]), permutation)
            if LABELS in data:
                data[LABELS] = mix_labels(data[LABELS], permutation, label_weight)
        return data if isinstance(inputs, dict) else data[IMAGES]

    def _as_compute_dtype(self, x):
        x = ops.convert_to_tensor(x)
        if standardize_dtype(ops.dtype(x)) != self.compute_dtype:
            x = ops.cast(x, self.compute_dtype)
        return x

    def _draw(self, images):
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        return input_shape


def mix_labels(labels, permutation, weight):
    """``weight * labels + (1 - weight) * labels[permutation]``, `weight`
    ``(batch,)`` broadcast over the labels' other axes."""
    weight = ops.reshape(weight, (-1,) + (1,) * (len(ops.shape(labels)) - 1))
    weight = ops.cast(weight, ops.dtype(labels))
    return weight * labels + (1.0 - weight) * ops.take(labels, permutation, axis=0)


class MixUp(BaseMixAugmentation):
    """MixUp (Zhang et al., 2018, https://arxiv.org/abs/1710.09412).

    In training, each image becomes ``w * image + (1 - w) * other``, where
    ``other`` is another image of the batch (a random permutation) and ``w``
    is drawn per image from Beta(alpha, alpha); labels are mixed with the
    same ``w``. Identity (apart from a cast to the layer's dtype) unless
    ``training=True``; a direct call defaults to True.

    Args:
        alpha: the Beta distribution's concentration, > 0: small values keep
            each image close to itself, 1 mixes uniformly. Defaults to 0.2,
            the value recommended for ImageNet.
        data_format: "channels_last" (default) or "channels_first".
        seed: an int for reproducible mixing.

    Input: images ``(B, H, W, C)`` (a single ``(H, W, C)`` image is returned
    as it is), or a dict ``{"images": ..., "labels": (B, classes)}``; output
    of the same structure and shapes.

    Example:
        >>> labels = keras.ops.one_hot(np.arange(8) % 10, 10)
        >>> out = MixUp(alpha=0.2, seed=1)({"images": images, "labels": labels})
    """

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if not isinstance(alpha, (int, float)) or isinstance(alpha, bool) or alpha <= 0:
            raise ValueError(f"`alpha` should be a positive number. Received: alpha={alpha}")
        self.alpha = alpha

    def _draw(self, images):
        batch = ops.shape(images)[0]
        permutation = random.shuffle(ops.arange(batch, dtype="int32"), seed=self.generator)
        weight = random.beta((batch,), self.alpha, self.alpha, dtype=self.compute_dtype,
                             seed=self.generator)

        def mix(x, permutation):
            w = ops.reshape(weight, (-1, 1, 1, 1))
            return w * x + (1.0 - w) * ops.take(x, permutation, axis=0)

        return permutation, mix, weight

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class CutMix(BaseMixAugmentation):
    """CutMix (Yun et al., 2019, https://arxiv.org/abs/1905.04899).

    In training, a rectangle of each image is replaced by the same rectangle
    of another image of the batch (a random permutation). Per call a
    concentration ``a`` is drawn uniformly in `factor`; per image a weight
    ``w ~ Beta(a, a)`` sets the patch's sides to ``sqrt(1 - w)`` times the
    image's, and its position is uniform inside the image. Labels are mixed
    with the fraction of pixels each image keeps. Identity (apart from a
    cast) unless ``training=True``; a direct call defaults to True.

    Args:
        factor: a number in [0, 1] (the range ``(0, factor)``) or a pair
            ``(low, high)``: the range of ``a``. Defaults to 1.0.
        seed: an int for reproducible patches.
        data_format: "channels_last" (default) or "channels_first".

    Input: images ``(B, H, W, C)`` (a single image is returned as it is), or
    a dict ``{"images": ..., "labels": (B, classes)}``.

    Note: Keras 3 mixes the labels by the patch's real-valued area
    ``(x1 - x0) * (y1 - y0) / (W * H)``; kfacade uses the pixels actually
    pasted, so each label weight equals the share of the image it describes.

    Raises:
        ValueError: `factor` is not a number or pair in [0, 1].

    Example:
        >>> out = CutMix(seed=1)({"images": images, "labels": one_hot_labels})
    """

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = unit_range(factor, "factor")

    def _draw(self, images):
        shape = ops.shape(images)
        batch = shape[0]
        height_axis, width_axis = self._spatial_axes()
        height, width = shape[height_axis], shape[width_axis]
        dtype = self.compute_dtype
        concentration = random.uniform((), self.factor[0], self.factor[1], dtype=dtype,
                                       seed=self.generator) + 1e-6
        weight = random.beta((batch,), concentration, concentration, dtype=dtype,
                             seed=self.generator)
        ratio = ops.sqrt(1.0 - weight)
        inside_x = box_along(batch, width, ratio, dtype, self.generator)
        inside_y = box_along(batch, height, ratio, dtype, self.generator)
        if self.data_format == "channels_last":
            patch = inside_y[:, :, None, None] & inside_x[:, None, :, None]  # (B, H, W, 1)
        else:
            patch = inside_y[:, None, :, None] & inside_x[:, None, None, :]  # (B, 1, H, W)
        permutation = random.shuffle(ops.arange(batch, dtype="int32"), seed=self.generator)
        label_weight = 1.0 - ops.mean(ops.cast(patch, dtype), axis=(1, 2, 3))

        def mix(x, permutation):
            return ops.where(patch, ops.take(x, permutation, axis=0), x)

        return permutation, mix, label_weight

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor)}


def box_along(batch, length, ratio, dtype, generator):
    """``(batch, length)`` booleans: the pixels inside a random span of
    ``ratio * length`` (``ratio`` per image) placed uniformly in ``[0, length]``."""
    span = ratio * float(length)
    start = random.uniform((batch,), 0.0, 1.0, dtype=dtype, seed=generator) * (length - span)
    positions = ops.arange(length, dtype=dtype)[None, :]
    return (positions >= start[:, None]) & (positions < (start + span)[:, None])


def unit_range(factor, name):
    """``(low, high)`` in [0, 1] from a number (``(0, factor)``) or a pair, as
    Keras 3's image preprocessing layers read `factor`-like arguments.

    Raises:
        ValueError: neither a number nor a pair, or outside [0, 1]; echoes it.
    """
    message = (f"The `{name}` argument should be a number (or a list of two numbers) in the "
               f"range [0, 1]. Received: factor={factor}")
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or factor[0] > 1 or factor[1] < 0:
            raise ValueError(message)
        return tuple(sorted(factor))
    if isinstance(factor, (int, float)) and not isinstance(factor, bool):
        if factor < 0 or factor > 1:
            raise ValueError(message)
        return (0, abs(factor))
    raise ValueError(message)
