"""The base of the random image augmentation layers.

An augmentation layer changes its input only when called with
``training=True`` (as ``fit`` does; a direct call defaults to True, as in
Keras 3) and is the identity, apart from a cast to the layer's dtype, in
inference (``predict``, ``evaluate``). The random draws come from the
layer's ``SeedGenerator``, whose state is part of the layer's
non-trainable variables, so compiled steps stay pure.
"""
from kfacade import ops
from kfacade import random
from kfacade.backend.config import standardize_data_format
from kfacade.backend.dtypes import standardize_dtype
from kfacade.layers.layer import Layer
from kfacade.ops.image import affine_transform
from kfacade.ops.image.sampling import INTERPOLATIONS
from kfacade.random import SeedGenerator

#: The fill modes of Keras 3's augmentation layers (the op also takes "mirror").
FILL_MODES = ("reflect", "wrap", "constant", "nearest")


class BaseImageAugmentation(Layer):
    """Shared call logic: batched ``(B, H, W, C)`` or single ``(H, W, C)`` images.

    Subclasses implement ``_augment(images)`` on a 4-D float batch.
    """

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.generator = SeedGenerator(seed, name=f"{self.name}_seed")
        self.data_format = standardize_data_format(data_format)
        self.built = True

    def _spatial_axes(self):
        """(height axis, width axis) of a 4-D batch."""
        return (1, 2) if self.data_format == "channels_last" else (2, 3)

    def call(self, inputs, training=True):
        if standardize_dtype(ops.dtype(inputs)) != self.compute_dtype:
            inputs = ops.cast(inputs, self.compute_dtype)
        if not training:
            return inputs
        unbatched = len(ops.shape(inputs)) == 3
        images = ops.expand_dims(inputs, 0) if unbatched else inputs
        outputs = self._augment(images)
        return ops.squeeze(outputs, 0) if unbatched else outputs

    def _augment(self, images):
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed, "data_format": self.data_format}


class BaseAffineAugmentation(BaseImageAugmentation):
    """Augmentations that warp images by a random affine transform per image."""

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if fill_mode not in FILL_MODES:
            raise NotImplementedError(
                f"Unknown `fill_mode` {fill_mode}. Expected of one {FILL_MODES}."
            )
        if interpolation not in INTERPOLATIONS:
            raise NotImplementedError(
                f"Unknown `interpolation` {interpolation}. Expected of one {INTERPOLATIONS}."
            )
        self.fill_mode = fill_mode
        self.interpolation = interpolation
        self.fill_value = fill_value

    def _augment(self, images):
        shape = ops.shape(images)
        height_axis, width_axis = self._spatial_axes()
        transform = self._transform_matrix(shape[0], shape[height_axis], shape[width_axis])
        return affine_transform(images, transform, interpolation=self.interpolation,
                                fill_mode=self.fill_mode, fill_value=self.fill_value,
                                data_format=self.data_format)

    def _transform_matrix(self, batch, height, width):
        """The ``(batch, 8)`` transforms, output point -> input point."""
        raise NotImplementedError

    def get_config(self):
        return {
            **super().get_config(),
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "interpolation": self.interpolation,
        }


def check_factor(factor, name, error_prefix, lower_open=False, lower_bound=-1.0):
    """``(lower, upper)`` of a factor given as a number or a pair, each in
    ``[lower_bound, 1]`` (a number ``f`` means ``(-|f|, |f|)``).

    With `lower_open` `lower_bound` itself is refused (a zoom of -100% is empty).

    Raises:
        ValueError: `factor` is neither, or out of range; echoes it.
    """
    def check(value):
        if value > 1.0 or value < lower_bound or (lower_open and value == lower_bound):
            raise ValueError(error_prefix + f"Received: input_number={value}")

    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            raise ValueError(error_prefix + f"Received: {name}={factor}")
        check(factor[0])
        check(factor[1])
        return tuple(sorted(factor))
    if isinstance(factor, (int, float)) and not isinstance(factor, bool):
        check(factor)
        return (-abs(factor), abs(factor))
    raise ValueError(error_prefix + f"Received: {name}={factor}")


def random_apply_mask(generator, batch, factor):
    """A ``(batch,)`` bool mask of the images to change, as Keras 3 draws it:
    each image draws a probability in ``[factor[0], factor[1]]`` and is
    changed when a second uniform draw in [0, 1) falls below it."""
    probability = random.uniform((batch,), factor[0], factor[1], seed=generator)
    return ops.less(random.uniform((batch,), seed=generator), probability)


def listed_factor(factor):
    """A factor for ``get_config``: pairs as lists (JSON's form), numbers unchanged."""
    return list(factor) if isinstance(factor, tuple) else factor
