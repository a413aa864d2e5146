"""Keras 2's `ImageDataGenerator`: real-time augmentation and normalization
of NumPy image batches (Keras 3 removed it; use the preprocessing layers).

Deliberate correction to Keras 2, whose results otherwise match:
`width_shift_range` shifts along the width (columns) and
`height_shift_range` along the height (rows). Keras 2's final release put
the height shift in `tx`, which its affine code then applied along x.
"""
import warnings

import numpy as np

from kfacade.legacy.preprocessing.affine_transforms import (
    apply_affine_transform,
    apply_brightness_shift,
    apply_channel_shift,
    check_fill_mode,
    flip_axis,
)
from kfacade.legacy.preprocessing.image_iterators import NumpyArrayIterator
from kfacade.utils.image_utils import check_data_format

__all__ = ["ImageDataGenerator"]


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
        check_data_format(data_format)
        check_fill_mode(fill_mode)
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
            x = flip_axis(x, img_col_axis)
        if get("flip_vertical", False):
            x = flip_axis(x, img_row_axis)
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
