"""Images between files, PIL and NumPy: `load_img`, `save_img`, `img_to_array`,
`array_to_img` (Keras 3's `keras.utils` image helpers).

Pillow is imported on first use: only `load_img` and `array_to_img` need it.
"""
import io
import os
import warnings

import numpy as np

__all__ = ["array_to_img", "check_data_format", "img_to_array", "load_img", "save_img"]

DATA_FORMATS = ("channels_last", "channels_first")


def check_data_format(data_format):
    """Raises ValueError unless `data_format` is a Keras image data format."""
    if data_format not in DATA_FORMATS:
        raise ValueError(
            f"Received: data_format={data_format!r}; expected one of "
            "'channels_last', 'channels_first'."
        )


def _pil_image():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(
            "This function needs the Python Imaging Library (PIL); install "
            "it with `pip install pillow`."
        ) from None
    return Image


def img_to_array(img, data_format=None, dtype=None):
    """Converts a PIL image (or any array-like image) to a NumPy array.

    Args:
        img: PIL image or array-like of shape `(height, width)` or
            `(height, width, channels)`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        dtype: Data type of the result. Defaults to `"float32"`.

    Returns:
        A rank-3 NumPy array (a grayscale image gets a channels axis of 1).

    Example:

    >>> img_to_array(np.zeros((4, 5))).shape
    (4, 5, 1)
    """
    data_format = data_format or "channels_last"
    check_data_format(data_format)
    x = np.asarray(img, dtype=dtype or "float32")
    if x.ndim == 3:
        if data_format == "channels_first":
            x = x.transpose(2, 0, 1)
    elif x.ndim == 2:
        x = x[np.newaxis] if data_format == "channels_first" else x[..., np.newaxis]
    else:
        raise ValueError(
            f"Unsupported image shape {x.shape}; expected (height, width) or "
            "(height, width, channels)."
        )
    return x


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """Converts a rank-3 NumPy array to a PIL image (needs Pillow).

    Args:
        x: Array of shape `(height, width, channels)` (or channels first),
            with 1, 3 or 4 channels.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        scale: Whether to rescale the values to [0, 255].
        dtype: Data type used for the conversion. Defaults to `"float32"`.

    Returns:
        A PIL image (mode "L", "I", "RGB" or "RGBA").

    Raises:
        ImportError: if Pillow is not installed.
        ValueError: for a wrong rank, data format or channel count.
    """
    data_format = data_format or "channels_last"
    x = np.asarray(x, dtype=dtype or "float32")
    if x.ndim != 3:
        raise ValueError(
            "Expected an image array of rank 3 (single image); received an "
            f"array of shape {x.shape}."
        )
    check_data_format(data_format)
    if x.shape[0 if data_format == "channels_first" else 2] not in (1, 3, 4):
        raise ValueError(
            f"Unsupported channel number in an image of shape {x.shape}; "
            "expected 1, 3 or 4 channels."
        )
    image_module = _pil_image()
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        peak = np.max(x)
        if peak != 0:
            x = x / peak
        x = x * 255
    channels = x.shape[2]
    if channels == 4:
        return image_module.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return image_module.fromarray(x.astype("uint8"), "RGB")
    if np.max(x) > 255:
        return image_module.fromarray(x[:, :, 0].astype("int32"), "I")
    return image_module.fromarray(x[:, :, 0].astype("uint8"), "L")


_PIL_RESAMPLING = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")


def load_img(
    path,
    grayscale=False,
    color_mode="rgb",
    target_size=None,
    interpolation="nearest",
    keep_aspect_ratio=False,
):
    """Loads an image file into a PIL image (needs Pillow).

    Args:
        path: Path to the image file (str or path-like), or a binary file
            object.
        grayscale: Deprecated; use `color_mode="grayscale"`.
        color_mode: `"grayscale"`, `"rgb"` or `"rgba"`.
        target_size: `None` (original size) or `(height, width)`.
        interpolation: Resampling when resizing: `"nearest"`, `"bilinear"`,
            `"bicubic"`, `"hamming"`, `"box"` or `"lanczos"`.
        keep_aspect_ratio: Crop the centre to the target aspect ratio
            before resizing.

    Returns:
        A PIL image.

    Raises:
        ImportError: if Pillow is not installed.

    Example:

    ```python
    img = load_img("cat.png", target_size=(64, 64))
    x = img_to_array(img)  # (64, 64, 3) float32
    ```
    """
    if grayscale:
        warnings.warn(
            "grayscale is deprecated; use color_mode='grayscale'.", stacklevel=2
        )
        color_mode = "grayscale"
    if color_mode not in ("grayscale", "rgb", "rgba"):
        raise ValueError(
            f"Received: color_mode={color_mode!r}; expected one of "
            "'grayscale', 'rgb', 'rgba'."
        )
    if interpolation not in _PIL_RESAMPLING:
        raise ValueError(
            f"Received: interpolation={interpolation!r}; expected one of "
            f"{', '.join(repr(name) for name in _PIL_RESAMPLING)}."
        )
    image_module = _pil_image()
    if isinstance(path, io.BytesIO) or hasattr(path, "read"):
        img = image_module.open(path)
    elif isinstance(path, (str, bytes, os.PathLike)):
        with open(path, "rb") as handle:
            img = image_module.open(io.BytesIO(handle.read()))
    else:
        raise TypeError(
            f"path should be a path-like or a binary file object; received "
            f"{type(path).__name__}."
        )
    mode = {"grayscale": ("L", "I;16", "I"), "rgba": ("RGBA",), "rgb": ("RGB",)}[color_mode]
    if img.mode not in mode:
        img = img.convert(mode[0])
    if target_size is not None:
        width_height = (target_size[1], target_size[0])
        if img.size != width_height:
            resample = getattr(
                getattr(image_module, "Resampling", image_module),
                interpolation.upper(),
            )
            if keep_aspect_ratio:
                width, height = img.size
                target_width, target_height = width_height
                crop_height = (width * target_height) // target_width
                crop_width = (height * target_width) // target_height
                crop_height = min(height, crop_height)
                crop_width = min(width, crop_width)
                left = (width - crop_width) // 2
                top = (height - crop_height) // 2
                img = img.crop((left, top, left + crop_width, top + crop_height))
            img = img.resize(width_height, resample)
    return img


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Saves an image stored as a NumPy array to a path or file object (needs Pillow).

    Args:
        path: a path or a binary file object.
        x: a rank-3 array (see `array_to_img`).
        data_format: `"channels_last"` or `"channels_first"`; defaults to
            `kfacade.config.image_data_format()`.
        file_format: the format ("png", "jpeg", ...); defaults to the path's
            extension, and is needed for a file object. "jpg" means "jpeg".
        scale: rescale the values to [0, 255] first.
        **kwargs: passed on to `PIL.Image.Image.save`.

    Raises:
        ImportError: if Pillow is not installed.

    Example:

    ```python
    save_img("noise.png", np.random.uniform(size=(32, 32, 3)))
    ```
    """
    if data_format is None:
        from kfacade.backend.config import image_data_format

        data_format = image_data_format()
    if file_format is None and isinstance(path, (str, os.PathLike)):
        file_format = os.path.splitext(os.fspath(path))[1][1:].lower() or None
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn("The JPEG format does not support RGBA images, converting to RGB.",
                      stacklevel=2)
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)
