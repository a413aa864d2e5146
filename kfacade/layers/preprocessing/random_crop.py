"""RandomCrop: a random ``height x width`` window in training, a centred one in inference."""
from kfacade import ops
from kfacade import random
from kfacade.backend.config import standardize_data_format
from kfacade.layers.layer import Layer
from kfacade.layers.preprocessing.center_crop import smart_resize
from kfacade.ops.image._common import checked_image_axes
from kfacade.ops.image.resizing import crop
from kfacade.layers.preprocessing.resizing import spatial_output_shape
from kfacade.random import SeedGenerator


class RandomCrop(Layer):
    """Randomly crops images to ``(height, width)`` during training.

    With ``training=True`` (the default of a direct call; ``fit`` passes
    it) and an image larger than the target along both axes, one random
    window position is drawn per call and cut from every image of the
    batch (as Keras 3). Otherwise (inference, or an image not larger than
    the target) the largest centred window of the target's aspect ratio is
    cut and resized (bilinear) to the target, so the output always has the
    target size, as Keras's documentation describes.

    Args:
        height, width: the output size.
        seed: an int for reproducible crops.
        data_format: "channels_last" (default) or "channels_first".

    Note: Keras 3.15's implementation returns the input unchanged in
    inference, unlike its documentation and its ``compute_output_shape``;
    kfacade follows the documentation, so a model's symbolic and actual
    shapes agree.

    Example:
        >>> RandomCrop(24, 24, seed=1)(np.ones((2, 32, 32, 3))).shape  # (2, 24, 24, 3)
    """

    def __init__(self, height, width, seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.height = height
        self.width = width
        self.seed = seed
        self.generator = SeedGenerator(seed, name=f"{self.name}_seed")
        self.data_format = standardize_data_format(data_format)
        self.built = True

    def call(self, inputs, training=True):
        inputs = ops.cast(inputs, self.compute_dtype)
        height_axis, width_axis = checked_image_axes(inputs, self.data_format)
        shape = ops.shape(inputs)
        input_height, input_width = shape[height_axis], shape[width_axis]
        if input_height is None or input_width is None:
            raise ValueError(
                "RandomCrop requires the input to have a fully defined height and width. "
                f"Received: images.shape={tuple(shape)}"
            )
        if training and input_height > self.height and input_width > self.width:
            top = ops.cast(random.uniform((), 0.0, float(input_height - self.height + 1),
                                          seed=self.generator), "int32")
            left = ops.cast(random.uniform((), 0.0, float(input_width - self.width + 1),
                                           seed=self.generator), "int32")
            return crop(inputs, top, left, self.height, self.width, self.data_format)
        if (input_height, input_width) == (self.height, self.width):
            return inputs
        return smart_resize(inputs, self.height, self.width, self.data_format)

    def compute_output_shape(self, input_shape):
        return spatial_output_shape(input_shape, self.height, self.width, self.data_format)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "height": self.height,
                "width": self.width, "seed": self.seed}
