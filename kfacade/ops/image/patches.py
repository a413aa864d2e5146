"""``extract_patches`` and ``extract_patches_3d``: every patch flattened
into the channel axis, as one convolution with an identity kernel (each
output channel picks one (position, channel) of the window), as Keras 3
does. Strides, dilation and padding are the convolution's own.
"""
import numpy as np

from kfacade.backend.active import adapter as _B
from kfacade.backend.config import standardize_data_format
from kfacade.backend.conv_geometry import conv_output_length, standardize_tuple
from kfacade.engine.keras_tensor import KerasTensor
from kfacade.ops.dispatch import symbolic_or
from kfacade.ops.nn import conv

__all__ = ["extract_patches", "extract_patches_3d"]


def _patch_size(size, rank):
    if isinstance(size, int):
        return (size,) * rank
    if not isinstance(size, (tuple, list)):
        raise TypeError(
            "Invalid `size` argument. Expected an int or a tuple. "
            f"Received: size={size} of type {type(size).__name__}"
        )
    if len(size) != rank:
        raise TypeError(
            f"Invalid `size` argument. Expected an int or a tuple of length {rank}. "
            f"Received: size={size}"
        )
    return tuple(int(s) for s in size)


def _layout(shape, spatial, data_format, name):
    """(batched, channels, spatial sizes) of `shape`, an input of `spatial` spatial axes."""
    if len(shape) not in (spatial + 1, spatial + 2):
        single, many = ("image", "images") if spatial == 2 else ("volume", "volumes")
        raise ValueError(
            f"Invalid {name} rank: expected rank {spatial + 1} (single {single}) or rank "
            f"{spatial + 2} (batch of {many}). Received input with shape: "
            f"{name}.shape={tuple(shape)}"
        )
    batched = len(shape) == spatial + 2
    inner = shape[1:] if batched else shape
    if data_format == "channels_last":
        return batched, inner[-1], tuple(inner[:-1])
    return batched, inner[0], tuple(inner[1:])


def _extract(inputs, size, strides, dilation_rate, padding, data_format, spatial, name):
    data_format = standardize_data_format(data_format)
    size = _patch_size(size, spatial)
    strides = size if strides is None else standardize_tuple(strides, spatial, "strides")
    inputs = _B.convert_to_tensor(inputs)
    batched, channels, _ = _layout(_B.shape(inputs), spatial, data_format, name)
    patch_length = int(np.prod(size)) * channels
    kernel = _B.reshape(_B.eye(patch_length, dtype=_B.dtype(inputs)), size + (channels, patch_length))
    if not batched:
        inputs = _B.expand_dims(inputs, 0)
    patches = conv(inputs, kernel, strides, padding=padding, data_format=data_format,
                   dilation_rate=dilation_rate)
    return patches if batched else _B.squeeze(patches, 0)


def _output_spec(spatial, name):
    def output_spec(inputs, size, strides=None, dilation_rate=1, padding="valid",
                    data_format=None):
        data_format = standardize_data_format(data_format)
        size = _patch_size(size, spatial)
        strides = size if strides is None else standardize_tuple(strides, spatial, "strides")
        dilation = standardize_tuple(dilation_rate, spatial, "dilation_rate")
        shape = tuple(inputs.shape)
        batched, channels, sizes = _layout(shape, spatial, data_format, name)
        out = tuple(conv_output_length(n, k, s, padding.lower(), d)
                    for n, k, s, d in zip(sizes, size, strides, dilation))
        depth = None if channels is None else int(np.prod(size)) * channels
        inner = out + (depth,) if data_format == "channels_last" else (depth,) + out
        return KerasTensor((shape[:1] if batched else ()) + inner, dtype=inputs.dtype)
    return output_spec


@symbolic_or
def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid",
                    data_format=None):
    """Patches of `images` flattened into channels (``keras.ops.image.extract_patches``).

    Args:
        images: rank 3 (one image) or rank 4 (a batch).
        size: the patch's ``(height, width)``, or an int for a square; a
            3-tuple extracts volume patches (``extract_patches_3d``).
        strides: the step between patches (default: `size`, no overlap).
        dilation_rate: the spacing between a patch's pixels.
        padding: "valid" or "same".
        data_format: "channels_last" or "channels_first" (default: the
            configured image data format).

    Returns:
        ``(batch, out_height, out_width, height * width * channels)`` (or
        channels_first), each patch in row-major ``(row, column, channel)``
        order.

    Example:
        >>> ops.image.extract_patches(np.ones((1, 4, 4, 3)), 2).shape  # (1, 2, 2, 12)
    """
    _check_size_length(size)
    if isinstance(size, (tuple, list)) and len(size) == 3:
        return _extract(images, size, strides, dilation_rate, padding, data_format, 3, "volumes")
    return _extract(images, size, strides, dilation_rate, padding, data_format, 2, "images")


def _check_size_length(size):
    if isinstance(size, (tuple, list)) and len(size) not in (2, 3):
        raise ValueError(
            "Invalid `size` argument. Expected a tuple of length 2 or 3. "
            f"Received: size={size} with length {len(size)}"
        )


def _extract_patches_output_spec(images, size, strides=None, dilation_rate=1, padding="valid",
                                 data_format=None):
    _check_size_length(size)
    spatial, name = (3, "volumes") if isinstance(size, (tuple, list)) and len(size) == 3 \
        else (2, "images")
    return _output_spec(spatial, name)(images, size, strides, dilation_rate, padding,
                                       data_format)


extract_patches.output_spec = _extract_patches_output_spec


@symbolic_or
def extract_patches_3d(volumes, size, strides=None, dilation_rate=1, padding="valid",
                       data_format=None):
    """Patches of `volumes` flattened into channels (``keras.ops.image.extract_patches_3d``).

    Args:
        volumes: rank 4 (one volume) or rank 5 (a batch).
        size: the patch's ``(depth, height, width)``, or an int for a cube.
        strides: the step between patches (default: `size`, no overlap).
        dilation_rate: the spacing between a patch's voxels.
        padding: "valid" or "same".
        data_format: "channels_last" or "channels_first" (default: the
            configured image data format).

    Returns:
        ``(batch, d, h, w, depth * height * width * channels)`` (or channels_first).

    Example:
        >>> ops.image.extract_patches_3d(np.ones((1, 4, 4, 4, 2)), 2).shape  # (1, 2, 2, 2, 16)
    """
    return _extract(volumes, size, strides, dilation_rate, padding, data_format, 3, "volumes")


extract_patches_3d.output_spec = _output_spec(3, "volumes")
