"""Keras 2's NumPy image transforms: `apply_affine_transform` (resampled by
`scipy.ndimage.affine_transform`), `apply_channel_shift`,
`apply_brightness_shift`.

Keras 3 keeps these only in its legacy preprocessing; the preprocessing
layers (`kfacade.layers.preprocessing`) transform tensors with `ops`.

SciPy is imported on the first geometric transform, not with this module,
so `ImageDataGenerator` without rotations, shifts, shears or zooms works
without it.

Deliberate corrections to Keras 2, whose results otherwise match:

* Rotations, shears and zooms turn about the centre of the image also for
  non-square images (Keras 2 used the height for both axes' centres).
* `fill_mode="wrap"` tiles the image with period equal to its size, as
  Keras documents (`abcdabcd|abcd|abcdabcd`): SciPy's `"grid-wrap"` rather
  than its legacy `"wrap"`, whose period is one pixel short.
"""
import numpy as np

__all__ = [
    "apply_affine_transform",
    "apply_brightness_shift",
    "apply_channel_shift",
    "check_fill_mode",
    "flip_axis",
]

FILL_MODES = ("nearest", "constant", "reflect", "wrap")
# Keras's fill modes as SciPy names; "grid-wrap" is the periodic wrap.
_SCIPY_MODES = {
    "nearest": "nearest",
    "constant": "constant",
    "reflect": "reflect",
    "wrap": "grid-wrap",
}


def _scipy_ndimage():
    """Returns `scipy.ndimage`, imported on first use (SciPy is optional)."""
    try:
        from scipy import ndimage
    except ImportError:
        raise ImportError(
            "Rotations, shifts, shears and zooms of images need SciPy "
            "(scipy.ndimage.affine_transform), which is not installed; "
            "install it with `pip install scipy`."
        ) from None
    return ndimage


def check_fill_mode(fill_mode):
    """Raises ValueError unless `fill_mode` is one Keras knows."""
    if fill_mode not in FILL_MODES:
        raise ValueError(
            f"Received: fill_mode={fill_mode!r}; expected one of 'nearest', "
            "'constant', 'reflect', 'wrap'."
        )


def apply_affine_transform(
    x,
    theta=0,
    tx=0,
    ty=0,
    shear=0,
    zx=1,
    zy=1,
    row_axis=1,
    col_axis=2,
    channel_axis=0,
    fill_mode="nearest",
    cval=0.0,
    order=1,
):
    """Applies an affine transformation specified by the parameters given.

    Coordinates are `x` along the columns (left to right) and `y` along the
    rows (top to bottom). Each output pixel samples the input at the point
    the transform maps it to, so `tx=1` moves the content one pixel left and
    `theta=90` turns it a quarter turn counter-clockwise, as in Keras 2.

    Args:
        x: 3-D NumPy array, a 2-D image with one or more channels.
        theta: Rotation angle in degrees.
        tx: Shift along x (columns), in pixels.
        ty: Shift along y (rows), in pixels.
        shear: Shear angle in degrees.
        zx: Zoom factor along x (below 1 magnifies).
        zy: Zoom factor along y.
        row_axis: Index of the rows axis in `x`.
        col_axis: Index of the columns axis in `x`.
        channel_axis: Index of the channels axis in `x` (0 or 2).
        fill_mode: How points outside the image are filled: `"nearest"`
            (aaaa|abcd|dddd), `"constant"` (kkkk|abcd|kkkk with `k=cval`),
            `"reflect"` (dcba|abcd|dcba) or `"wrap"` (abcd|abcd|abcd).
        cval: Fill value for `fill_mode="constant"`.
        order: Interpolation order, 0 (nearest) or 1 (bilinear).

    Returns:
        The transformed image, same shape as `x`.

    Raises:
        ImportError: if a transform is asked for and SciPy, which resamples
            the image (`scipy.ndimage.affine_transform`), is not installed.

    Example:

    >>> image = np.arange(9.0).reshape(3, 3, 1)
    >>> moved = apply_affine_transform(image, tx=1, row_axis=0, col_axis=1,
    ...                                channel_axis=2, fill_mode="constant")
    >>> moved[..., 0]
    array([[1., 2., 0.],
           [4., 5., 0.],
           [7., 8., 0.]])
    """
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(
            "Input arrays must be multi-channel 2-D images (rank 3); received "
            f"an array of shape {x.shape}."
        )
    if sorted((row_axis, col_axis, channel_axis)) != [0, 1, 2]:
        raise ValueError(
            f"Received: row_axis={row_axis}, col_axis={col_axis}, "
            f"channel_axis={channel_axis}; expected a permutation of 0, 1, 2."
        )
    if channel_axis not in (0, 2):
        raise ValueError(
            f"Received: channel_axis={channel_axis}; channels must be the "
            "first (0) or last (2) axis."
        )
    check_fill_mode(fill_mode)
    if order not in (0, 1):
        raise ValueError(f"Received: order={order!r}; expected 0 or 1.")

    # Matrix in (x, y) = (column, row) coordinates, composed as in Keras:
    # rotation @ shift @ shear @ zoom.
    transform = None

    def compose(matrix):
        return matrix if transform is None else transform @ matrix

    if theta:
        angle = np.deg2rad(theta)
        transform = compose(
            np.array(
                [
                    [np.cos(angle), -np.sin(angle), 0.0],
                    [np.sin(angle), np.cos(angle), 0.0],
                    [0.0, 0.0, 1.0],
                ]
            )
        )
    if tx or ty:
        transform = compose(np.array([[1.0, 0.0, tx], [0.0, 1.0, ty], [0.0, 0.0, 1.0]]))
    if shear:
        angle = np.deg2rad(shear)
        transform = compose(
            np.array(
                [[1.0, -np.sin(angle), 0.0], [0.0, np.cos(angle), 0.0], [0.0, 0.0, 1.0]]
            )
        )
    if zx != 1 or zy != 1:
        transform = compose(np.array([[zx, 0.0, 0.0], [0.0, zy, 0.0], [0.0, 0.0, 1.0]]))
    if transform is None:
        return x

    rows, cols = x.shape[row_axis], x.shape[col_axis]
    center_x, center_y = cols / 2 - 0.5, rows / 2 - 0.5
    to_center = np.array([[1.0, 0.0, center_x], [0.0, 1.0, center_y], [0.0, 0.0, 1.0]])
    from_center = np.array([[1.0, 0.0, -center_x], [0.0, 1.0, -center_y], [0.0, 0.0, 1.0]])
    transform = to_center @ transform @ from_center
    # To (row, column) order, the array's own: swap both axes (P M P).
    transform = transform[[1, 0, 2]][:, [1, 0, 2]]
    matrix, offset = transform[:2, :2], transform[:2, 2]

    images = np.moveaxis(x, channel_axis, 0)
    if row_axis > col_axis:  # (channels, cols, rows): work on rows, cols
        images = np.swapaxes(images, 1, 2)
    ndimage = _scipy_ndimage()
    channels = [
        ndimage.affine_transform(
            image, matrix, offset, order=order, mode=_SCIPY_MODES[fill_mode], cval=cval
        )
        for image in images
    ]
    result = np.stack(channels, axis=0)
    if row_axis > col_axis:
        result = np.swapaxes(result, 1, 2)
    return np.moveaxis(result, 0, channel_axis)


def apply_channel_shift(x, intensity, channel_axis=0):
    """Adds `intensity` to every channel, clipped to the image's range.

    Args:
        x: 3-D NumPy array, a single image.
        intensity: Value added to every pixel.
        channel_axis: Index of the channels axis.

    Returns:
        The shifted image, values clipped to `[x.min(), x.max()]`.
    """
    x = np.asarray(x)
    return np.clip(x + intensity, np.min(x), np.max(x)).astype(x.dtype, copy=False)


def apply_brightness_shift(x, brightness, scale=True):
    """Multiplies the brightness of an image by `brightness`.

    The NumPy equivalent of Keras 2's PIL `ImageEnhance.Brightness` path
    (without PIL's 8-bit rounding): the image is mapped to [0, 255] when
    `scale` is True or when its values lie outside that range, multiplied,
    clipped to [0, 255] and, with `scale=False`, mapped back.

    Args:
        x: 3-D NumPy array, a single image.
        brightness: Float factor; 1 keeps the image, 0 makes it black.
        scale: Whether to leave the result scaled to [0, 255].

    Returns:
        The brightened image as float32.
    """
    x = np.asarray(x, dtype="float32")
    low, high = float(np.min(x)), float(np.max(x))
    out_of_range = low < 0 or high > 255
    if scale or out_of_range:
        span = high - low
        y = (x - low) / span * 255 if span else np.zeros_like(x)
    else:
        y = x
    y = np.clip(y * brightness, 0, 255)
    if not scale and out_of_range:
        y = y / 255 * (high - low) + low
    return y.astype("float32")


def flip_axis(x, axis):
    """`x` reversed along `axis`, as a new array."""
    return np.flip(x, axis=axis).copy()
