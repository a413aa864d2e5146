"""CenterCrop: the central ``height x width`` window of each image."""
from kfacade import ops
from kfacade.backend.config import standardize_data_format
from kfacade.layers.layer import Layer
from kfacade.ops.image._common import checked_image_axes, image_axes
from kfacade.ops.image.resizing import aspect_crop_box, crop, resize
from kfacade.layers.preprocessing.resizing import spatial_output_shape


def smart_resize(images, height, width, data_format, interpolation="bilinear"):
    """The largest centred crop of the target's aspect ratio, resized to
    ``(height, width)`` (Keras's ``smart_resize``)."""
    height_axis, width_axis = image_axes(len(ops.shape(images)), data_format)
    shape = ops.shape(images)
    top, left, crop_height, crop_width = aspect_crop_box(shape[height_axis], shape[width_axis],
                                                         height, width)
    images = crop(images, top, left, crop_height, crop_width, data_format)
    return resize(images, (height, width), interpolation=interpolation, data_format=data_format)


class CenterCrop(Layer):
    """Crops the centre of each image to ``(height, width)``.

    An image smaller than the target along either axis is instead cropped
    to the target's aspect ratio and resized (bilinear) to it, so the output
    always has the target size. Applied in training and inference alike.

    Args:
        height, width: the output size.
        data_format: "channels_last" (default) or "channels_first".

    Input ``(batch, height, width, channels)`` or ``(height, width,
    channels)``; the output is in the layer's dtype (float32).

    Example:
        >>> CenterCrop(24, 24)(np.ones((2, 32, 32, 3))).shape  # (2, 24, 24, 3)
    """

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.height = height
        self.width = width
        self.data_format = standardize_data_format(data_format)
        self.built = True

    def call(self, inputs):
        inputs = ops.cast(inputs, self.compute_dtype)
        height_axis, width_axis = checked_image_axes(inputs, self.data_format)
        shape = ops.shape(inputs)
        height_diff = shape[height_axis] - self.height
        width_diff = shape[width_axis] - self.width
        if height_diff >= 0 and width_diff >= 0:
            return crop(inputs, height_diff // 2, width_diff // 2, self.height, self.width,
                        self.data_format)
        return smart_resize(inputs, self.height, self.width, self.data_format)

    def compute_output_shape(self, input_shape):
        if len(input_shape) not in (3, 4):
            raise ValueError(
                "`input_shape` must be a non-nested tuple or list of rank-1 with size 3 "
                f"(unbatched) or 4 (batched). Received: input_shape={tuple(input_shape)}"
            )
        return spatial_output_shape(input_shape, self.height, self.width, self.data_format)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format,
                "height": self.height, "width": self.width}
