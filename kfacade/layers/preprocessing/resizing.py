"""Resizing: resizes images to a fixed height and width, in training and inference alike."""
from kfacade import ops
from kfacade.backend.config import standardize_data_format
from kfacade.backend.dtypes import is_float_dtype, standardize_dtype
from kfacade.layers.layer import Layer
from kfacade.ops.image.resizing import cast_like_input, check_resize_options, resize


def spatial_output_shape(input_shape, height, width, data_format):
    """`input_shape` (3-D or 4-D) with its height and width replaced."""
    shape = list(input_shape)
    offset = 1 if len(shape) == 4 else 0
    height_axis = offset if data_format == "channels_last" else offset + 1
    shape[height_axis], shape[height_axis + 1] = height, width
    return tuple(shape)


def float_images(layer, inputs):
    """Float inputs in the layer's compute dtype; integer inputs as they are."""
    if is_float_dtype(standardize_dtype(ops.dtype(inputs))) and \
            standardize_dtype(ops.dtype(inputs)) != layer.compute_dtype:
        return ops.cast(inputs, layer.compute_dtype)
    return inputs


class Resizing(Layer):
    """Resizes images to ``(height, width)``.

    Args:
        height, width: the output size.
        interpolation: "bilinear" (default), "nearest", "bicubic", "area",
            "lanczos3" or "lanczos5" (TensorFlow's ``tf.image.resize``
            definitions, half-pixel centres; see
            ``kfacade.ops.image._resize_weights``).
        crop_to_aspect_ratio: first take the largest centred crop with the
            target's aspect ratio, so the image is not distorted.
        pad_to_aspect_ratio: first pad evenly with `fill_value` to the
            target's aspect ratio, so the image is not distorted.
        fill_mode: "constant" (the only mode, as in Keras 3).
        fill_value: the padding value.
        antialias: stretch the kernel when downsampling (a low-pass filter).
        data_format: "channels_last" (default) or "channels_first".

    Input ``(batch, height, width, channels)`` or ``(height, width,
    channels)``. Integer images come back rounded and saturated to their
    dtype; float images in the layer's dtype.

    Example:
        >>> Resizing(64, 64, interpolation="bicubic")(np.ones((2, 32, 48, 3))).shape  # (2, 64, 64, 3)
    """

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, antialias=False,
                 data_format=None, **kwargs):
        super().__init__(**kwargs)
        check_resize_options(interpolation, fill_mode, crop_to_aspect_ratio, pad_to_aspect_ratio)
        self.height = height
        self.width = width
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.pad_to_aspect_ratio = pad_to_aspect_ratio
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.antialias = bool(antialias)
        self.data_format = standardize_data_format(data_format)
        self.built = True

    def call(self, inputs):
        inputs = float_images(self, inputs)
        resized = resize(inputs, (self.height, self.width), interpolation=self.interpolation,
                         antialias=self.antialias, crop_to_aspect_ratio=self.crop_to_aspect_ratio,
                         pad_to_aspect_ratio=self.pad_to_aspect_ratio, fill_mode=self.fill_mode,
                         fill_value=self.fill_value, data_format=self.data_format)
        return cast_like_input(resized, ops.dtype(inputs))

    def compute_output_shape(self, input_shape):
        return spatial_output_shape(input_shape, self.height, self.width, self.data_format)

    def get_config(self):
        return {
            **super().get_config(),
            "data_format": self.data_format,
            "height": self.height,
            "width": self.width,
            "interpolation": self.interpolation,
            "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
            "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "antialias": self.antialias,
        }
