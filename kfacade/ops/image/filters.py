"""``gaussian_blur``, ``sobel_edges`` and ``ssim``: fixed-kernel filters as
depthwise convolutions (``kfacade.ops.nn.depthwise_conv``), one kernel per
channel, so every channel is filtered on its own.

Borders: ``gaussian_blur`` and ``sobel_edges`` pad with zeros ("same"
padding), as Keras 3's JAX and torch backends do (its TensorFlow backend's
``tf.image.sobel_edges`` reflects the border instead); ``ssim`` uses only the
windows inside the image ("valid").
"""
from kfacade.backend.active import adapter as _B
from kfacade.backend.config import standardize_data_format
from kfacade.backend.dtypes import standardize_dtype
from kfacade.engine.keras_tensor import KerasTensor
from kfacade.ops._composite import floating
from kfacade.ops.dispatch import symbolic_or
from kfacade.ops.image._common import rank_error
from kfacade.ops.nn import depthwise_conv

__all__ = ["gaussian_blur", "sobel_edges", "ssim"]

_SOBEL_Y = ((-1.0, -2.0, -1.0), (0.0, 0.0, 0.0), (1.0, 2.0, 1.0))
_SOBEL_X = ((-1.0, 0.0, 1.0), (-2.0, 0.0, 2.0), (-1.0, 0.0, 1.0))


def gaussian_kernel_1d(size, sigma, dtype):
    """The normalized Gaussian of `size` taps centred on ``(size - 1) / 2``;
    `sigma` may be a number or a scalar tensor (traced too)."""
    offsets = _B.subtract(_B.arange(0, size, 1, dtype=dtype), (size - 1) / 2.0)
    sigma = _B.cast(_B.convert_to_tensor(sigma), dtype)
    kernel = _B.exp(_B.multiply(-0.5, _B.square(_B.divide(offsets, sigma))))
    return _B.divide(kernel, _B.sum(kernel))


def _per_channel(kernel_2d, channels):
    """A ``(kh, kw)`` kernel as the ``(kh, kw, channels, 1)`` depthwise kernel."""
    return _B.tile(_B.expand_dims(_B.expand_dims(kernel_2d, -1), -1), (1, 1, channels, 1))


def _batched(images, name="images"):
    shape = _B.shape(images)
    if len(shape) not in (3, 4):
        raise rank_error(name, shape)
    return (_B.expand_dims(images, 0), True) if len(shape) == 3 else (images, False)


def _channels(images, data_format):
    return _B.shape(images)[-1 if data_format == "channels_last" else 1]


@symbolic_or
def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """Blurs each channel of `images` with a Gaussian (``keras.ops.image.gaussian_blur``).

    Args:
        images: rank 3 (one image) or rank 4 (a batch).
        kernel_size: ``(kernel width, kernel height)`` in taps, Keras's
            order (``kernel_size[0]`` runs along the width).
        sigma: ``(sigma along the width, sigma along the height)``.
        data_format: "channels_last" or "channels_first" (default: the
            configured image data format).

    Returns:
        Float images of the input's shape (zero padding at the border).

    Example:
        >>> ops.image.gaussian_blur(np.ones((1, 5, 5, 1)), (3, 3), (1.0, 1.0)).shape
    """
    data_format = standardize_data_format(data_format)
    images = floating(images)
    images, unbatched = _batched(images)
    dtype = _B.dtype(images)
    along_width = gaussian_kernel_1d(int(kernel_size[0]), sigma[0], dtype)
    along_height = gaussian_kernel_1d(int(kernel_size[1]), sigma[1], dtype)
    kernel_2d = _B.multiply(_B.expand_dims(along_height, 1), _B.expand_dims(along_width, 0))
    kernel = _per_channel(kernel_2d, _channels(images, data_format))
    blurred = depthwise_conv(images, kernel, 1, padding="same", data_format=data_format)
    return _B.squeeze(blurred, 0) if unbatched else blurred


def _check_rank_4(images):
    shape = tuple(images.shape) if isinstance(images, KerasTensor) else tuple(_B.shape(images))
    if len(shape) != 4:
        raise ValueError(
            f"Invalid images rank: expected rank 4 (batch of images). Received: images.shape={shape}"
        )
    return shape


@symbolic_or
def sobel_edges(images, data_format=None):
    """Sobel gradients of each channel (``keras.ops.image.sobel_edges``).

    Args:
        images: a batch, ``(batch, height, width, channels)`` or channels_first.
        data_format: "channels_last" or "channels_first" (default: the
            configured image data format).

    Returns:
        ``images.shape + (2,)``: ``[..., 0]`` the vertical gradient (dy),
        ``[..., 1]`` the horizontal one (dx); zero padding at the border.

    Example:
        >>> ops.image.sobel_edges(np.ones((1, 4, 4, 3))).shape  # (1, 4, 4, 3, 2)
    """
    data_format = standardize_data_format(data_format)
    images = floating(images)
    batch, *_ = shape = _check_rank_4(images)
    dtype = _B.dtype(images)
    channels = _channels(images, data_format)
    # Multiplier 0 is dy, 1 is dx: depthwise output channel c * 2 + m.
    pair = _B.stack([_B.convert_to_tensor(_SOBEL_Y, dtype=dtype),
                     _B.convert_to_tensor(_SOBEL_X, dtype=dtype)], axis=-1)
    kernel = _B.tile(_B.expand_dims(pair, 2), (1, 1, channels, 1))
    edges = depthwise_conv(images, kernel, 1, padding="same", data_format=data_format)
    if data_format == "channels_last":
        return _B.reshape(edges, tuple(shape) + (2,))
    _, _, height, width = shape
    edges = _B.reshape(edges, (batch, channels, 2, height, width))
    return _B.transpose(edges, (0, 1, 3, 4, 2))


def _sobel_output_spec(images, data_format=None):
    return KerasTensor(_check_rank_4(images) + (2,), dtype=images.dtype)


sobel_edges.output_spec = _sobel_output_spec


@symbolic_or
def ssim(image1, image2, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03,
         data_format=None):
    """The structural similarity of two images or batches (``keras.ops.image.ssim``).

    Local means, variances and the covariance come from a Gaussian window
    (`filter_size` taps, `filter_sigma`) over each channel, windows inside
    the image only; the SSIM map is averaged over positions, then channels.

    Args:
        image1, image2: rank 3 (one image) or rank 4 (a batch), same shape.
        max_val: the dynamic range of the pixel values (1.0, or 255).
        filter_size, filter_sigma: the Gaussian window.
        k1, k2: the stabilizing constants ``c1 = (k1 * max_val) ** 2`` and
            ``c2 = (k2 * max_val) ** 2``.
        data_format: "channels_last" or "channels_first" (default: the
            configured image data format).

    Returns:
        ``(batch,)`` SSIM values, or a scalar for single images, in the
        dtype of `image1` (as Keras 3, integer images give an integer result).

    Example:
        >>> x = np.random.rand(2, 16, 16, 3)
        >>> ops.image.ssim(x, x)  # [1.0, 1.0]
    """
    data_format = standardize_data_format(data_format)
    first, second = _B.convert_to_tensor(image1), _B.convert_to_tensor(image2)
    original_dtype = standardize_dtype(_B.dtype(first))
    first, unbatched = _batched(floating(first), "image1")
    second, _ = _batched(_B.cast(floating(second), _B.dtype(first)), "image2")
    dtype = _B.dtype(first)
    window = gaussian_kernel_1d(int(filter_size), filter_sigma, dtype)
    kernel = _per_channel(_B.multiply(_B.expand_dims(window, 1), _B.expand_dims(window, 0)),
                          _channels(first, data_format))

    def local_mean(x):
        return depthwise_conv(x, kernel, 1, padding="valid", data_format=data_format)

    mean1, mean2 = local_mean(first), local_mean(second)
    mean1_sq, mean2_sq, mean12 = (_B.multiply(mean1, mean1), _B.multiply(mean2, mean2),
                                  _B.multiply(mean1, mean2))
    var1 = _B.subtract(local_mean(_B.multiply(first, first)), mean1_sq)
    var2 = _B.subtract(local_mean(_B.multiply(second, second)), mean2_sq)
    covariance = _B.subtract(local_mean(_B.multiply(first, second)), mean12)
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    numerator = _B.multiply(_B.add(_B.multiply(2.0, mean12), c1),
                            _B.add(_B.multiply(2.0, covariance), c2))
    denominator = _B.multiply(_B.add(_B.add(mean1_sq, mean2_sq), c1),
                              _B.add(_B.add(var1, var2), c2))
    ssim_map = _B.divide(numerator, denominator)
    result = _B.mean(ssim_map, axis=(1, 2, 3))  # positions and channels weigh alike
    if unbatched:
        result = _B.squeeze(result, 0)
    return _B.cast(result, original_dtype) if standardize_dtype(dtype) != original_dtype else result
