"""Image preprocessing of Keras 2 on NumPy: `ImageDataGenerator` with
real-time augmentation, `NumpyArrayIterator`, and the image/array helpers
`array_to_img`, `img_to_array`, `load_img`.

Geometric transforms use `scipy.ndimage.affine_transform` when SciPy is
installed and a NumPy nearest/bilinear resampler otherwise. PIL (Pillow) is
only needed to read files (`load_img`) or to build PIL images
(`array_to_img`).

Deliberate corrections to Keras 2, whose results otherwise match:

* `width_shift_range` shifts along the width (columns) and
  `height_shift_range` along the height (rows). Keras 2's final release put
  the height shift in `tx`, which its affine code then applied along x.
* Rotations, shears and zooms turn about the centre of the image also for
  non-square images (Keras 2 used the height for both axes' centres), and
  `fill_mode="wrap"` tiles the image with period equal to its size, as
  Keras documents (`abcdabcd|abcd|abcdabcd`), rather than SciPy's legacy
  `"wrap"`, whose period is one pixel short.
"""
import io
import os
import threading
import warnings

import numpy as np

from kfacade.utils.sequence import Sequence

__all__ = [
    "ImageDataGenerator",
    "Iterator",
    "NumpyArrayIterator",
    "apply_affine_transform",
    "apply_brightness_shift",
    "apply_channel_shift",
    "array_to_img",
    "img_to_array",
    "load_img",
]

_FILL_MODES = ("nearest", "constant", "reflect", "wrap")
# Keras's fill modes as SciPy names; "grid-wrap" is the periodic wrap.
_SCIPY_MODES = {
    "nearest": "nearest",
    "constant": "constant",
    "reflect": "reflect",
    "wrap": "grid-wrap",
}
_DATA_FORMATS = ("channels_last", "channels_first")


def _scipy_ndimage():
    """Returns `scipy.ndimage`, or None when SciPy is not installed."""
    try:
        from scipy import ndimage
    except ImportError:
        return None
    return ndimage


# Tests set this to False to exercise the NumPy resampler with SciPy present.
_USE_SCIPY = True


# ---------------------------------------------------------------------------
# Resampling.
def _boundary_index(index, size, fill_mode):
    """Maps integer indices outside [0, size) into it per `fill_mode`.

    Returns (mapped_index, inside_mask); the mask is False only for
    "constant", where such samples take `cval`.
    """
    if fill_mode == "nearest":
        return np.clip(index, 0, size - 1), None
    if fill_mode == "wrap":
        return np.mod(index, size), None
    if fill_mode == "reflect":
        # Half-sample symmetric: dcba|abcd|dcba, period 2 * size.
        index = np.mod(index, 2 * size)
        return np.where(index >= size, 2 * size - 1 - index, index), None
    inside = (index >= 0) & (index < size)
    return np.clip(index, 0, size - 1), inside


def _reflect_coordinate(coordinate, size):
    folded = np.mod(coordinate + 0.5, 2 * size)
    folded = np.where(folded >= size, 2 * size - folded, folded)
    return np.clip(folded - 0.5, 0, size - 1)


def _resample_numpy(channel, matrix, offset, order, fill_mode, cval):
    """NumPy equivalent of `scipy.ndimage.affine_transform` for 2-D input.

    Output pixel (r, c) samples the input at `matrix @ (r, c) + offset`
    with nearest (`order=0`) or bilinear (`order=1`) interpolation.
    """
    rows, cols = channel.shape
    grid_r, grid_c = np.meshgrid(
        np.arange(rows, dtype="float64"), np.arange(cols, dtype="float64"),
        indexing="ij",
    )
    src_r = matrix[0, 0] * grid_r + matrix[0, 1] * grid_c + offset[0]
    src_c = matrix[1, 0] * grid_r + matrix[1, 1] * grid_c + offset[1]
    values = channel.astype("float64")

    if fill_mode == "constant":
        # As SciPy's "constant": a point outside the image takes cval, with
        # no blending across the border. The tolerance absorbs rounding of
        # exact multiples of 90 degrees.
        tolerance = 1e-9
        outside = (
            (src_r < -tolerance)
            | (src_r > rows - 1 + tolerance)
            | (src_c < -tolerance)
            | (src_c > cols - 1 + tolerance)
        )
        src_r = np.clip(src_r, 0, rows - 1)
        src_c = np.clip(src_c, 0, cols - 1)
        sample_mode = "nearest"
    else:
        outside = None
        sample_mode = fill_mode

    if order == 0:
        if sample_mode == "reflect":
            # Reflect the coordinate itself about the half-pixel edges
            # before rounding, as SciPy does (rounding first differs on ties).
            src_r = _reflect_coordinate(src_r, rows)
            src_c = _reflect_coordinate(src_c, cols)
        index_r, _ = _boundary_index(np.floor(src_r + 0.5).astype(np.int64), rows, sample_mode)
        index_c, _ = _boundary_index(np.floor(src_c + 0.5).astype(np.int64), cols, sample_mode)
        result = values[index_r, index_c]
    else:
        base_r = np.floor(src_r)
        base_c = np.floor(src_c)
        weight_r = src_r - base_r
        weight_c = src_c - base_c
        base_r = base_r.astype(np.int64)
        base_c = base_c.astype(np.int64)
        r0, _ = _boundary_index(base_r, rows, sample_mode)
        r1, _ = _boundary_index(base_r + 1, rows, sample_mode)
        c0, _ = _boundary_index(base_c, cols, sample_mode)
        c1, _ = _boundary_index(base_c + 1, cols, sample_mode)
        result = (
            values[r0, c0] * (1 - weight_r) * (1 - weight_c)
            + values[r0, c1] * (1 - weight_r) * weight_c
            + values[r1, c0] * weight_r * (1 - weight_c)
            + values[r1, c1] * weight_r * weight_c
        )
    if outside is not None:
        result = np.where(outside, cval, result)
    return result.astype(channel.dtype, copy=False)


def _check_fill_mode(fill_mode):
    if fill_mode not in _FILL_MODES:
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
    _check_fill_mode(fill_mode)
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
    ndimage = _scipy_ndimage() if _USE_SCIPY else None
    if ndimage is not None:
        channels = [
            ndimage.affine_transform(
                image,
                matrix,
                offset,
                order=order,
                mode=_SCIPY_MODES[fill_mode],
                cval=cval,
            )
            for image in images
        ]
    else:
        channels = [
            _resample_numpy(image, matrix, offset, order, fill_mode, cval)
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


def _flip_axis(x, axis):
    return np.flip(x, axis=axis).copy()


# ---------------------------------------------------------------------------
# Generator.
class ImageDataGenerator:
    """Generates batches of image data with real-time data augmentation.

    Args:
        featurewise_center: Set the input mean to 0 over the data set,
            channel by channel (needs `fit`).
        samplewise_center: Set each sample's mean to 0.
        featurewise_std_normalization: Divide inputs by the data set's std,
            channel by channel (needs `fit`).
        samplewise_std_normalization: Divide each input by its std.
        zca_whitening: Apply ZCA whitening (needs `fit`).
        zca_epsilon: Epsilon for ZCA whitening. Defaults to 1e-6.
        rotation_range: Degree range for random rotations.
        width_shift_range: Horizontal shift: a float < 1 (fraction of the
            width, drawn from `(-w, w)`), a float >= 1 (pixels), an int `n`
            (integer pixels from `(-n, n)`, i.e. `n=2` gives -1, 0 or 1) or
            a list (one value from it, with random sign).
        height_shift_range: Vertical shift, same forms as `width_shift_range`.
        brightness_range: Tuple of two floats, range of brightness factors.
        shear_range: Shear intensity (shear angle in degrees).
        zoom_range: A float `z` (range `[1 - z, 1 + z]`) or `[lower, upper]`.
        channel_shift_range: Range for random channel shifts.
        fill_mode: One of `"constant"`, `"nearest"`, `"reflect"`, `"wrap"`.
        cval: Value for points outside the boundaries when
            `fill_mode="constant"`.
        horizontal_flip: Randomly flip inputs horizontally (probability 1/2).
        vertical_flip: Randomly flip inputs vertically (probability 1/2).
        rescale: Factor multiplied into the data (after all other
            transforms), e.g. `1 / 255`. `None` or 0 means no rescaling.
        preprocessing_function: Function applied to each image (a rank-3
            array) after augmentation and before the other normalizations;
            it must return an array of the same shape.
        data_format: `"channels_last"` (default, `(samples, height, width,
            channels)`) or `"channels_first"`.
        validation_split: Fraction of images reserved for validation (the
            first `int(n * validation_split)` samples), strictly between 0
            and 1; pick them with `flow(..., subset="validation")`.
        interpolation_order: 0 (nearest) or 1 (bilinear, default).
        dtype: Data type of the generated arrays. Defaults to `"float32"`.

    Example:

    ```python
    import numpy as np
    from kfacade.preprocessing.image import ImageDataGenerator

    x = np.random.rand(10, 8, 8, 1).astype("float32")
    y = np.arange(10)
    datagen = ImageDataGenerator(rotation_range=20, horizontal_flip=True)
    batches = datagen.flow(x, y, batch_size=4)
    assert len(batches) == 3
    x_batch, y_batch = batches[0]
    assert x_batch.shape == (4, 8, 8, 1)
    ```
    """

    def __init__(
        self,
        featurewise_center=False,
        samplewise_center=False,
        featurewise_std_normalization=False,
        samplewise_std_normalization=False,
        zca_whitening=False,
        zca_epsilon=1e-6,
        rotation_range=0,
        width_shift_range=0.0,
        height_shift_range=0.0,
        brightness_range=None,
        shear_range=0.0,
        zoom_range=0.0,
        channel_shift_range=0.0,
        fill_mode="nearest",
        cval=0.0,
        horizontal_flip=False,
        vertical_flip=False,
        rescale=None,
        preprocessing_function=None,
        data_format=None,
        validation_split=0.0,
        interpolation_order=1,
        dtype=None,
    ):
        if data_format is None:
            data_format = "channels_last"
        if data_format not in _DATA_FORMATS:
            raise ValueError(
                f"Received: data_format={data_format!r}; expected one of "
                "'channels_last', 'channels_first'."
            )
        _check_fill_mode(fill_mode)
        if interpolation_order not in (0, 1):
            raise ValueError(
                f"Received: interpolation_order={interpolation_order!r}; "
                "expected 0 or 1."
            )
        self.dtype = "float32" if dtype is None else np.dtype(dtype).name
        self.featurewise_center = featurewise_center
        self.samplewise_center = samplewise_center
        self.featurewise_std_normalization = featurewise_std_normalization
        self.samplewise_std_normalization = samplewise_std_normalization
        self.zca_whitening = zca_whitening
        self.zca_epsilon = zca_epsilon
        self.rotation_range = rotation_range
        self.width_shift_range = width_shift_range
        self.height_shift_range = height_shift_range
        self.shear_range = shear_range
        self.channel_shift_range = channel_shift_range
        self.fill_mode = fill_mode
        self.cval = cval
        self.horizontal_flip = horizontal_flip
        self.vertical_flip = vertical_flip
        self.rescale = rescale
        self.preprocessing_function = preprocessing_function
        self.interpolation_order = interpolation_order
        self.data_format = data_format
        if data_format == "channels_first":
            self.channel_axis, self.row_axis, self.col_axis = 1, 2, 3
        else:
            self.channel_axis, self.row_axis, self.col_axis = 3, 1, 2

        if validation_split and not 0 < validation_split < 1:
            raise ValueError(
                f"Received: validation_split={validation_split!r}; expected a "
                "float strictly between 0 and 1."
            )
        self._validation_split = validation_split

        self.mean = None
        self.std = None
        self.zca_whitening_matrix = None

        if isinstance(zoom_range, (int, float)) and not isinstance(zoom_range, bool):
            self.zoom_range = [1 - zoom_range, 1 + zoom_range]
        elif (
            isinstance(zoom_range, (list, tuple, np.ndarray))
            and len(zoom_range) == 2
            and all(isinstance(v, (int, float, np.number)) for v in zoom_range)
        ):
            self.zoom_range = [zoom_range[0], zoom_range[1]]
        else:
            raise ValueError(
                "`zoom_range` should be a float or a tuple or list of two "
                f"floats; received: {zoom_range!r}."
            )
        for name in ("width_shift_range", "height_shift_range"):
            value = getattr(self, name)
            if not isinstance(value, (int, float, list, tuple, np.ndarray)):
                raise ValueError(
                    f"Received: {name}={value!r}; expected a float, an int or "
                    "a list of numbers."
                )

        if zca_whitening:
            if not featurewise_center:
                self.featurewise_center = True
                warnings.warn(
                    "This ImageDataGenerator specifies `zca_whitening`, which "
                    "overrides setting of `featurewise_center`.",
                    stacklevel=2,
                )
            if featurewise_std_normalization:
                self.featurewise_std_normalization = False
                warnings.warn(
                    "This ImageDataGenerator specifies `zca_whitening`, which "
                    "overrides setting of `featurewise_std_normalization`.",
                    stacklevel=2,
                )
        if featurewise_std_normalization and not self.featurewise_center:
            self.featurewise_center = True
            warnings.warn(
                "This ImageDataGenerator specifies "
                "`featurewise_std_normalization`, which overrides setting of "
                "`featurewise_center`.",
                stacklevel=2,
            )
        if samplewise_std_normalization and not samplewise_center:
            self.samplewise_center = True
            warnings.warn(
                "This ImageDataGenerator specifies "
                "`samplewise_std_normalization`, which overrides setting of "
                "`samplewise_center`.",
                stacklevel=2,
            )
        if brightness_range is not None:
            if (
                not isinstance(brightness_range, (tuple, list, np.ndarray))
                or len(brightness_range) != 2
            ):
                raise ValueError(
                    "`brightness_range` should be a tuple or list of two "
                    f"floats; received: {brightness_range!r}."
                )
        self.brightness_range = brightness_range

    # Keras 2 name of the ZCA matrix.
    @property
    def principal_components(self):
        return self.zca_whitening_matrix

    @principal_components.setter
    def principal_components(self, value):
        self.zca_whitening_matrix = value

    def flow(
        self,
        x,
        y=None,
        batch_size=32,
        shuffle=True,
        sample_weight=None,
        seed=None,
        save_to_dir=None,
        save_prefix="",
        save_format="png",
        ignore_class_split=False,
        subset=None,
    ):
        """Takes data and label arrays, generates batches of augmented data.

        Args:
            x: Input data, a rank-4 array; or a tuple `(images, misc)` where
                `misc` is an array or list of arrays passed through untouched
                (batched with the images).
            y: Labels, or None.
            batch_size: Size of the batches. Defaults to 32.
            shuffle: Whether to shuffle the data (again every epoch).
            sample_weight: Sample weights, or None.
            seed: Optional seed for shuffling and transformations.
            save_to_dir: Optional directory to save the augmented images to
                (needs PIL).
            save_prefix: Prefix of saved file names.
            save_format: `"png"` or `"jpeg"`.
            ignore_class_split: Skip the check that training and validation
                subsets hold the same classes.
            subset: `"training"` or `"validation"` when `validation_split` is
                set.

        Returns:
            A `NumpyArrayIterator`, a `Sequence` of `(x, y)`, `(x, y,
            sample_weight)` or `x` batches (`x` is `[images, *misc]` when
            misc arrays were given).
        """
        return NumpyArrayIterator(
            x,
            y,
            self,
            batch_size=batch_size,
            shuffle=shuffle,
            sample_weight=sample_weight,
            seed=seed,
            data_format=self.data_format,
            save_to_dir=save_to_dir,
            save_prefix=save_prefix,
            save_format=save_format,
            ignore_class_split=ignore_class_split,
            subset=subset,
            dtype=self.dtype,
        )

    def standardize(self, x):
        """Applies the normalization configuration to a batch or an image.

        Unlike Keras 2, the input is not modified in place: a copy of type
        `dtype` is normalized and returned.

        Args:
            x: An image (rank 3) or a batch of images (rank 4).

        Returns:
            The normalized inputs.
        """
        if self.preprocessing_function:
            x = self.preprocessing_function(x)
        x = np.array(x, dtype=self.dtype, copy=True)
        if self.rescale:
            x *= self.rescale
        if self.samplewise_center:
            x -= np.mean(x, keepdims=True)
        if self.samplewise_std_normalization:
            x /= np.std(x, keepdims=True) + 1e-6

        if self.featurewise_center:
            if self.mean is not None:
                x -= self.mean
            else:
                warnings.warn(
                    "This ImageDataGenerator specifies `featurewise_center`, "
                    "but it hasn't been fit on any training data. Fit it "
                    "first by calling `.fit(numpy_data)`.",
                    stacklevel=2,
                )
        if self.featurewise_std_normalization:
            if self.std is not None:
                x /= self.std + 1e-6
            else:
                warnings.warn(
                    "This ImageDataGenerator specifies "
                    "`featurewise_std_normalization`, but it hasn't been fit "
                    "on any training data. Fit it first by calling "
                    "`.fit(numpy_data)`.",
                    stacklevel=2,
                )
        if self.zca_whitening:
            if self.zca_whitening_matrix is not None:
                flat = x.reshape(-1, int(np.prod(x.shape[-3:])))
                x = (flat @ self.zca_whitening_matrix).reshape(x.shape).astype(self.dtype)
            else:
                warnings.warn(
                    "This ImageDataGenerator specifies `zca_whitening`, but "
                    "it hasn't been fit on any training data. Fit it first by "
                    "calling `.fit(numpy_data)`.",
                    stacklevel=2,
                )
        return x

    def get_random_transform(self, img_shape, seed=None):
        """Generates random parameters for a transformation.

        Args:
            img_shape: Shape of the image to transform (rank 3).
            seed: Optional random seed. With a seed the draws come from a
                private `RandomState(seed)` (the same values as Keras 2,
                which reseeded NumPy's global generator); without one, from
                NumPy's global generator.

        Returns:
            A dict with keys `theta`, `tx` (horizontal shift, pixels), `ty`
            (vertical shift, pixels), `shear`, `zx`, `zy`,
            `flip_horizontal`, `flip_vertical`, `channel_shift_intensity`,
            `brightness`, as accepted by `apply_transform`.
        """
        rng = np.random if seed is None else np.random.RandomState(seed)
        return self._random_transform_parameters(img_shape, rng)

    def _draw_shift(self, shift_range, size, rng):
        if not _is_nonzero(shift_range):
            return 0
        if isinstance(shift_range, (float, np.floating)):
            shift = rng.uniform(-shift_range, shift_range)
        else:
            # An int n draws from range(n) with a random sign; a list draws
            # one of its values with a random sign (Keras semantics).
            shift = rng.choice(shift_range) * rng.choice([-1, 1])
        if np.max(shift_range) < 1:
            shift *= size
        return shift

    def _random_transform_parameters(self, img_shape, rng):
        img_row_axis = self.row_axis - 1
        img_col_axis = self.col_axis - 1
        theta = (
            rng.uniform(-self.rotation_range, self.rotation_range)
            if self.rotation_range
            else 0
        )
        # Draw order as Keras 2 (height first), so seeded draws line up.
        shift_rows = self._draw_shift(self.height_shift_range, img_shape[img_row_axis], rng)
        shift_cols = self._draw_shift(self.width_shift_range, img_shape[img_col_axis], rng)
        shear = rng.uniform(-self.shear_range, self.shear_range) if self.shear_range else 0
        if self.zoom_range[0] == 1 and self.zoom_range[1] == 1:
            zx, zy = 1, 1
        else:
            zx, zy = rng.uniform(self.zoom_range[0], self.zoom_range[1], 2)
        flip_horizontal = bool(rng.random_sample() < 0.5) and bool(self.horizontal_flip)
        flip_vertical = bool(rng.random_sample() < 0.5) and bool(self.vertical_flip)
        channel_shift_intensity = None
        if self.channel_shift_range != 0:
            channel_shift_intensity = rng.uniform(
                -self.channel_shift_range, self.channel_shift_range
            )
        brightness = None
        if self.brightness_range is not None:
            brightness = rng.uniform(self.brightness_range[0], self.brightness_range[1])
        return {
            "theta": theta,
            "tx": shift_cols,
            "ty": shift_rows,
            "shear": shear,
            "zx": zx,
            "zy": zy,
            "flip_horizontal": flip_horizontal,
            "flip_vertical": flip_vertical,
            "channel_shift_intensity": channel_shift_intensity,
            "brightness": brightness,
        }

    def apply_transform(self, x, transform_parameters):
        """Applies a transformation to an image according to given parameters.

        Args:
            x: 3-D array, a single image.
            transform_parameters: Dict with any of the keys:
                `theta` (rotation, degrees), `tx` (shift along x, i.e.
                columns, pixels; positive moves the content left), `ty`
                (shift along y, i.e. rows, pixels; positive moves it up),
                `shear` (degrees), `zx`, `zy` (zoom), `flip_horizontal`,
                `flip_vertical` (bools), `channel_shift_intensity`,
                `brightness`.

        Returns:
            The transformed image (same shape as `x`).
        """
        x = np.asarray(x)
        if x.ndim != 3:
            raise ValueError(
                "apply_transform expects a single image of rank 3; received "
                f"an array of shape {x.shape}."
            )
        img_row_axis = self.row_axis - 1
        img_col_axis = self.col_axis - 1
        img_channel_axis = self.channel_axis - 1
        get = transform_parameters.get
        x = apply_affine_transform(
            x,
            get("theta", 0),
            get("tx", 0),
            get("ty", 0),
            get("shear", 0),
            get("zx", 1),
            get("zy", 1),
            row_axis=img_row_axis,
            col_axis=img_col_axis,
            channel_axis=img_channel_axis,
            fill_mode=self.fill_mode,
            cval=self.cval,
            order=self.interpolation_order,
        )
        if get("channel_shift_intensity") is not None:
            x = apply_channel_shift(x, get("channel_shift_intensity"), img_channel_axis)
        if get("flip_horizontal", False):
            x = _flip_axis(x, img_col_axis)
        if get("flip_vertical", False):
            x = _flip_axis(x, img_row_axis)
        if get("brightness") is not None:
            x = apply_brightness_shift(x, get("brightness"), False)
        return x

    def random_transform(self, x, seed=None):
        """Applies a random transformation to an image.

        Args:
            x: 3-D array, a single image.
            seed: Optional random seed.

        Returns:
            A randomly transformed copy of `x` (same shape).
        """
        x = np.asarray(x)
        if x.ndim != 3:
            raise ValueError(
                "random_transform expects a single image of rank 3; received "
                f"an array of shape {x.shape}."
            )
        return self.apply_transform(x, self.get_random_transform(x.shape, seed))

    def fit(self, x, augment=False, rounds=1, seed=None):
        """Computes the data statistics that featurewise options need.

        Only needed with `featurewise_center`, `featurewise_std_normalization`
        or `zca_whitening`. `rescale` is applied to the sample data first.

        Args:
            x: Sample data, rank 4 (1, 3 or 4 channels expected).
            augment: Whether to fit on randomly augmented samples.
            rounds: Number of augmentation passes over the data when
                `augment` is True.
            seed: Optional random seed.

        Raises:
            ValueError: if `x` is not of rank 4.
        """
        x = np.array(x, dtype=self.dtype, copy=True)
        if x.ndim != 4:
            raise ValueError(
                "Input to `.fit()` should have rank 4 (samples, height, width, "
                f"channels for {self.data_format!r}); received an array of "
                f"shape {x.shape}."
            )
        if x.shape[self.channel_axis] not in (1, 3, 4):
            warnings.warn(
                "Expected input to be images following the data format "
                f'convention "{self.data_format}" (channels on axis '
                f"{self.channel_axis}), i.e. 1, 3 or 4 channels on axis "
                f"{self.channel_axis}. However, it was passed an array with "
                f"shape {x.shape} ({x.shape[self.channel_axis]} channels).",
                stacklevel=2,
            )
        rng = np.random if seed is None else np.random.RandomState(seed)
        if self.rescale:
            x *= self.rescale
        if augment:
            augmented = np.zeros((rounds * x.shape[0],) + x.shape[1:], dtype=self.dtype)
            for round_index in range(rounds):
                for i in range(x.shape[0]):
                    params = self._random_transform_parameters(x[i].shape, rng)
                    augmented[i + round_index * x.shape[0]] = self.apply_transform(
                        x[i], params
                    )
            x = augmented

        broadcast_shape = [1, 1, 1]
        broadcast_shape[self.channel_axis - 1] = x.shape[self.channel_axis]
        axes = (0, self.row_axis, self.col_axis)
        if self.featurewise_center:
            self.mean = np.mean(x, axis=axes).reshape(broadcast_shape)
            x -= self.mean
        if self.featurewise_std_normalization:
            self.std = np.std(x, axis=axes).reshape(broadcast_shape)
            x /= self.std + 1e-6
        if self.zca_whitening:
            count = len(x)
            flat = x.reshape(count, -1).astype("float64")
            u, s, _ = np.linalg.svd(flat.T, full_matrices=False)
            s_inv = np.sqrt(count) / (s + self.zca_epsilon)
            self.zca_whitening_matrix = ((u * s_inv) @ u.T).astype(self.dtype)


def _is_nonzero(value):
    if isinstance(value, (list, tuple, np.ndarray)):
        return len(value) > 0
    return bool(value)


# ---------------------------------------------------------------------------
# Iterators.
class Iterator(Sequence):
    """Base class of image data iterators (a `Sequence` of batches).

    `len()` is the number of batches; `it[i]` is batch `i` of the current
    epoch's order; `on_epoch_end()` reshuffles. Iterating with `next()` or
    a `for` loop runs forever, epoch after epoch, as in Keras 2.

    Subclasses implement `_get_batches_of_transformed_samples(index_array,
    rng)`.

    Args:
        n: Number of samples.
        batch_size: Size of a batch.
        shuffle: Whether to shuffle the samples every epoch.
        seed: Optional seed for shuffling and augmentation: batch `i` of
            epoch `e` then always gets the same transforms, whichever worker
            reads it.
    """

    def __init__(self, n, batch_size, shuffle, seed):
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(
                f"Received: batch_size={batch_size!r}; expected an integer >= 1."
            )
        self.n = n
        self.batch_size = int(batch_size)
        self.seed = seed
        self.shuffle = shuffle
        self.batch_index = 0
        self.total_batches_seen = 0
        self.epoch = 0
        self.lock = threading.Lock()
        self.index_array = None

    # The lock cannot be pickled; a process worker gets a fresh one.
    def __getstate__(self):
        state = self.__dict__.copy()
        del state["lock"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.lock = threading.Lock()

    def _set_index_array(self):
        if self.shuffle:
            if self.seed is None:
                self.index_array = np.random.permutation(self.n)
            else:
                rng = np.random.RandomState((self.seed + self.epoch) % 2**32)
                self.index_array = rng.permutation(self.n)
        else:
            self.index_array = np.arange(self.n)

    def _batch_rng(self, index):
        if self.seed is None:
            return np.random
        return np.random.RandomState(
            (self.seed + self.epoch * len(self) + index) % 2**32
        )

    def __getitem__(self, index):
        if not isinstance(index, (int, np.integer)):
            raise TypeError(
                f"Batch index must be an integer; received {index!r}."
            )
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(
                f"Asked to retrieve batch {index}, but the Sequence has "
                f"length {len(self)}."
            )
        with self.lock:
            if self.index_array is None:
                self._set_index_array()
            index_array = self.index_array[
                self.batch_size * index : self.batch_size * (index + 1)
            ]
            self.total_batches_seen += 1
        return self._get_batches_of_transformed_samples(
            index_array, self._batch_rng(index)
        )

    def __len__(self):
        return (self.n + self.batch_size - 1) // self.batch_size

    def on_epoch_end(self):
        self.epoch += 1
        self._set_index_array()

    def reset(self):
        """Restarts `next()` from the first batch of an epoch."""
        self.batch_index = 0

    def __iter__(self):
        return self

    def __next__(self):
        with self.lock:
            if len(self) == 0:
                raise StopIteration
            if self.batch_index == 0 and self.index_array is None:
                self._set_index_array()
            index = self.batch_index
            index_array = self.index_array[
                self.batch_size * index : self.batch_size * (index + 1)
            ]
            rng = self._batch_rng(index)
            self.total_batches_seen += 1
            self.batch_index += 1
            if self.batch_index >= len(self):
                self.batch_index = 0
                self.epoch += 1
                self._set_index_array()
        # The transformation is outside the lock so threads can overlap.
        return self._get_batches_of_transformed_samples(index_array, rng)

    def next(self):
        """Returns the next batch (Keras 2 spelling of `next(iterator)`)."""
        return self.__next__()

    def _get_batches_of_transformed_samples(self, index_array, rng):
        raise NotImplementedError


class NumpyArrayIterator(Iterator):
    """Iterator yielding augmented batches from NumPy arrays.

    Built by `ImageDataGenerator.flow`; see there for the arguments.
    """

    def __init__(
        self,
        x,
        y,
        image_data_generator,
        batch_size=32,
        shuffle=False,
        sample_weight=None,
        seed=None,
        data_format="channels_last",
        save_to_dir=None,
        save_prefix="",
        save_format="png",
        subset=None,
        ignore_class_split=False,
        dtype="float32",
    ):
        self.dtype = dtype
        if isinstance(x, (tuple, list)):
            if len(x) != 2:
                raise ValueError(
                    "`x` given as a tuple or list must be (images, misc); "
                    f"received {len(x)} items."
                )
            misc = x[1]
            x_misc = [np.asarray(misc)] if not isinstance(misc, list) else [
                np.asarray(item) for item in misc
            ]
            x = x[0]
            for item in x_misc:
                if len(x) != len(item):
                    raise ValueError(
                        "All arrays in `x` should have the same length; "
                        f"received x.shape = {np.asarray(x).shape} and a misc "
                        f"array of shape {item.shape}."
                    )
        else:
            x_misc = []

        if y is not None and len(x) != len(y):
            raise ValueError(
                "`x` (images tensor) and `y` (labels) should have the same "
                f"length; received x.shape = {np.asarray(x).shape}, y.shape = "
                f"{np.asarray(y).shape}."
            )
        if sample_weight is not None and len(x) != len(sample_weight):
            raise ValueError(
                "`x` (images tensor) and `sample_weight` should have the same "
                f"length; received x.shape = {np.asarray(x).shape}, "
                f"sample_weight.shape = {np.asarray(sample_weight).shape}."
            )
        if subset is not None:
            if subset not in ("training", "validation"):
                raise ValueError(
                    f"Received: subset={subset!r}; expected 'training' or "
                    "'validation'."
                )
            if not image_data_generator._validation_split:
                raise ValueError(
                    f"subset={subset!r} needs an ImageDataGenerator with "
                    "validation_split > 0; it has validation_split="
                    f"{image_data_generator._validation_split!r}."
                )
            split_idx = int(len(x) * image_data_generator._validation_split)
            if (
                y is not None
                and not ignore_class_split
                and not np.array_equal(
                    np.unique(np.asarray(y)[:split_idx]),
                    np.unique(np.asarray(y)[split_idx:]),
                )
            ):
                raise ValueError(
                    "Training and validation subsets have different classes "
                    "after the split. If your arrays are sorted by label, "
                    "shuffle them first, or pass ignore_class_split=True."
                )
            part = slice(None, split_idx) if subset == "validation" else slice(split_idx, None)
            x = x[part]
            x_misc = [item[part] for item in x_misc]
            if y is not None:
                y = y[part]
            if sample_weight is not None:
                sample_weight = sample_weight[part]

        self.x = np.asarray(x, dtype=self.dtype)
        self.x_misc = x_misc
        if self.x.ndim != 4:
            raise ValueError(
                "Input data in `NumpyArrayIterator` should have rank 4 "
                "(samples, height, width, channels for channels_last); "
                f"received an array of shape {self.x.shape}."
            )
        channels_axis = 3 if data_format == "channels_last" else 1
        if self.x.shape[channels_axis] not in (1, 3, 4):
            warnings.warn(
                f'NumpyArrayIterator is set to use the data format convention '
                f'"{data_format}" (channels on axis {channels_axis}), i.e. '
                f"1, 3 or 4 channels on axis {channels_axis}. However, it was "
                f"passed an array with shape {self.x.shape} "
                f"({self.x.shape[channels_axis]} channels).",
                stacklevel=3,
            )
        self.y = None if y is None else np.asarray(y)
        self.sample_weight = None if sample_weight is None else np.asarray(sample_weight)
        self.image_data_generator = image_data_generator
        self.data_format = data_format
        self.save_to_dir = save_to_dir
        self.save_prefix = save_prefix
        self.save_format = save_format
        super().__init__(self.x.shape[0], batch_size, shuffle, seed)

    def _get_batches_of_transformed_samples(self, index_array, rng):
        generator = self.image_data_generator
        batch_x = np.zeros((len(index_array),) + self.x.shape[1:], dtype=self.dtype)
        for i, j in enumerate(index_array):
            params = generator._random_transform_parameters(self.x[j].shape, rng)
            image = generator.apply_transform(self.x[j], params)
            batch_x[i] = generator.standardize(image)

        if self.save_to_dir:
            for i, j in enumerate(index_array):
                image = array_to_img(batch_x[i], self.data_format, scale=True)
                name = (
                    f"{self.save_prefix}_{j}_{np.random.randint(10**7)}."
                    f"{self.save_format}"
                )
                image.save(os.path.join(self.save_to_dir, name))

        misc = [item[index_array] for item in self.x_misc]
        inputs = batch_x if not misc else [batch_x] + misc
        if self.y is None:
            return inputs
        if self.sample_weight is None:
            return inputs, self.y[index_array]
        return inputs, self.y[index_array], self.sample_weight[index_array]


# ---------------------------------------------------------------------------
# PIL helpers.
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
    if data_format not in _DATA_FORMATS:
        raise ValueError(
            f"Received: data_format={data_format!r}; expected one of "
            "'channels_last', 'channels_first'."
        )
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
    if data_format not in _DATA_FORMATS:
        raise ValueError(
            f"Received: data_format={data_format!r}; expected one of "
            "'channels_last', 'channels_first'."
        )
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
