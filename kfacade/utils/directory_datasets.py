"""`image_dataset_from_directory` and `text_dataset_from_directory` on NumPy.

Keras 3 returns a `tf.data.Dataset` (or, with `format="grain"`, a Grain data set).
kfacade imports no framework here and returns a `PyDataset` of NumPy batches
(`kfacade.utils.dataset_utils.ArrayBatches`) that `fit`, `evaluate` and `predict`
read directly, with Keras 3's `class_names` and (images) `file_paths` attributes.
Files are read batch by batch, when a batch is asked for. The arguments, the files
found, their labels and their order are Keras 3's: the same folder walk, the same
`np.random.RandomState(seed)` shuffle of the file list and the same validation
split. What differs:

- Keras 3's `tf.data` pipeline shuffles once more, in a buffer of `8 * batch_size`
  files, differently at each epoch; kfacade keeps the seeded file order, the same at
  every epoch.
- Images are decoded by Pillow, then resized in NumPy as `tf.image.resize` does
  (`kfacade.utils.image_resize`): for PNG files in their own colour mode the batches
  equal Keras 3's within float32 rounding. Two decoders can differ by a grey level:
  JPEG decoding, and turning a colour file into `color_mode="grayscale"` (Pillow's
  ITU-R 601 integer formula against TensorFlow's).
- Texts are Python `str` (decoded as UTF-8) in object arrays, where `tf.data`
  yields bytes; `max_length` counts characters, as Keras 3's Grain format does.
"""
import numpy as np

from kfacade.backend.config import standardize_data_format
from kfacade.utils import dataset_utils
from kfacade.utils.image_resize import INTERPOLATIONS, resize_image, resize_with_crop
from kfacade.utils.image_resize import resize_with_pad
from kfacade.utils.image_utils import load_img

__all__ = ["image_dataset_from_directory", "text_dataset_from_directory"]

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}


def _read_image(path, color_mode):
    """The image file at `path` as a uint8 (or 16/32-bit grey) array (height, width, channels)."""
    array = np.asarray(load_img(path, color_mode=color_mode))
    return array[..., None] if array.ndim == 2 else array


def _dataset(paths, labels, label_mode, num_classes, batch_size, load_one):
    """An `ArrayBatches` over `paths` (and their labels) that loads each batch on demand."""
    encoded = (None if label_mode is None
               else dataset_utils.encode_labels(labels, label_mode, num_classes))

    def load(indices):
        samples = np.stack([load_one(paths[i]) for i in indices])
        return samples if encoded is None else (samples, encoded[indices])

    return dataset_utils.ArrayBatches(len(paths), load, batch_size)


def image_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, color_mode="rgb", batch_size=32,
                                 image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear",
                                 follow_links=False, crop_to_aspect_ratio=False,
                                 pad_to_aspect_ratio=False, data_format=None, format="tf",
                                 verbose=True):
    """A data set of image batches from a folder of class folders (needs Pillow).

    With `directory/class_a/*.jpg` and `directory/class_b/*.jpg`, it yields
    `(images, labels)` with label 0 for `class_a` and 1 for `class_b`.
    Formats: .jpeg, .jpg, .png, .bmp, .gif (the first frame).

    Args:
        directory: the folder. With `labels="inferred"` it holds one folder
            per class; otherwise its structure is ignored.
        labels: "inferred" (from the folder names), None (images only), or a
            list of integer labels, one per image file in sorted path order.
        label_mode: "int" (int32 `(batch,)`), "categorical" (float32 one-hot
            `(batch, num_classes)`), "binary" (float32 `(batch, 1)`, exactly
            two classes) or None (images only).
        class_names: with "inferred", the class folders to use and their order
            (default: all, sorted).
        color_mode: "grayscale", "rgb" or "rgba" (1, 3 or 4 channels).
        batch_size: images per batch; None yields single images.
        image_size: `(height, width)` (or one int) every image is resized to.
        shuffle: shuffle the files (seeded by `seed`); otherwise sorted order.
        seed: the shuffle's seed (required with `validation_split` and `shuffle`).
        validation_split: the fraction of files kept for validation (the last ones).
        subset: "training", "validation" or "both" (a list of both data sets);
            only with `validation_split`.
        interpolation: "bilinear", "nearest", "bicubic", "area", "lanczos3",
            "lanczos5", "gaussian" or "mitchellcubic".
        follow_links: enter folders that are symbolic links.
        crop_to_aspect_ratio: crop the centre to `image_size`'s aspect ratio
            before resizing.
        pad_to_aspect_ratio: resize keeping the aspect ratio and pad with zeros.
        data_format: "channels_last" or "channels_first"; defaults to
            `kfacade.config.image_data_format()`.
        format: "tf" or "grain", accepted for Keras 3's signature: both give
            kfacade's `PyDataset` of NumPy batches.
        verbose: print how many files and classes were found.

    Returns:
        A `PyDataset` of float32 image batches `(batch, height, width,
        channels)`, with their labels unless `label_mode` is None; for
        `subset="both"` a list `[training, validation]`. Its `class_names`
        and `file_paths` attributes list the classes and the files in order.
        (Keras 3 returns a `tf.data.Dataset`; see this module's notes.)

    Raises:
        ValueError: inconsistent arguments (as in Keras 3) or no image found.
        ImportError: Pillow is not installed.

    Example:

    ```python
    train, val = image_dataset_from_directory(
        "photos", image_size=(64, 64), validation_split=0.2, subset="both", seed=1)
    model.fit(train, validation_data=val, epochs=3)
    ```
    """
    dataset_utils.check_directory_args(labels, label_mode, class_names, "image")
    if labels is None or label_mode is None:
        labels = label_mode = None
    if color_mode not in _CHANNELS:
        raise ValueError('`color_mode` must be one of {"rgb", "rgba", "grayscale"}. '
                         f"Received: color_mode={color_mode}")
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    elif not isinstance(image_size, (list, tuple)) or len(image_size) != 2:
        raise ValueError("Invalid `image_size` value. Expected a tuple of 2 integers. "
                         f"Received: image_size={image_size}")
    interpolation = interpolation.lower()
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"Argument `interpolation` should be one of {INTERPOLATIONS}. "
                         f"Received: interpolation={interpolation}")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("Only one of `pad_to_aspect_ratio`, `crop_to_aspect_ratio` can be set "
                         "to `True`.")
    dataset_utils.check_format_arg(format)
    dataset_utils.check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    paths, labels, class_names = dataset_utils.index_directory(
        directory, labels, formats=ALLOWLIST_FORMATS, class_names=class_names,
        shuffle=shuffle, seed=seed, follow_links=follow_links, verbose=verbose)
    dataset_utils.check_binary_class_names(label_mode, class_names)
    data_format = standardize_data_format(data_format)
    size = tuple(int(side) for side in image_size)
    resize = (resize_with_crop if crop_to_aspect_ratio
              else resize_with_pad if pad_to_aspect_ratio else resize_image)

    def load_one(path):
        image = resize(_read_image(path, color_mode), size, interpolation)
        return image.transpose(2, 0, 1) if data_format == "channels_first" else image

    def make(split_paths, split_labels):
        dataset = _dataset(split_paths, split_labels, label_mode,
                           len(class_names) if class_names else 0, batch_size, load_one)
        dataset.class_names = class_names
        dataset.file_paths = list(split_paths)
        return dataset

    return dataset_utils.split_directory_datasets(directory, paths, labels, validation_split,
                                                  subset, make, "images")


def text_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                class_names=None, batch_size=32, max_length=None, shuffle=True,
                                seed=None, validation_split=None, subset=None,
                                follow_links=False, format="tf", verbose=True):
    """A data set of text batches from a folder of class folders of `.txt` files.

    With `directory/class_a/*.txt` and `directory/class_b/*.txt`, it yields
    `(texts, labels)` with label 0 for `class_a` and 1 for `class_b`.

    Args:
        directory: the folder. With `labels="inferred"` it holds one folder
            per class; otherwise its structure is ignored.
        labels: "inferred", None (texts only), or a list of integer labels,
            one per `.txt` file in sorted path order.
        label_mode: "int", "categorical", "binary" or None, as in
            `image_dataset_from_directory`.
        class_names: with "inferred", the class folders to use and their order.
        batch_size: texts per batch; None yields single texts.
        max_length: keep at most this many characters of each text.
        shuffle: shuffle the files (seeded by `seed`); otherwise sorted order.
        seed: the shuffle's seed (required with `validation_split` and `shuffle`).
        validation_split: the fraction of files kept for validation (the last ones).
        subset: "training", "validation" or "both" (a list of both data sets).
        follow_links: enter folders that are symbolic links.
        format: "tf" or "grain", accepted for Keras 3's signature.
        verbose: print how many files and classes were found.

    Returns:
        A `PyDataset` whose batches are object arrays of `str` `(batch,)`,
        with their labels unless `label_mode` is None; a list `[training,
        validation]` for `subset="both"`. Its `class_names` attribute lists
        the classes. (Keras 3 returns a `tf.data.Dataset` of byte strings.)

    Raises:
        ValueError: inconsistent arguments (as in Keras 3) or no text file found.

    Example:

    ```python
    train = text_dataset_from_directory("reviews", batch_size=16, seed=3)
    texts, labels = train[0]
    ```
    """
    dataset_utils.check_directory_args(labels, label_mode, class_names, "text")
    dataset_utils.check_format_arg(format)
    if labels is None or label_mode is None:
        labels = label_mode = None
    dataset_utils.check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    paths, labels, class_names = dataset_utils.index_directory(
        directory, labels, formats=(".txt",), class_names=class_names, shuffle=shuffle,
        seed=seed, follow_links=follow_links, verbose=verbose)
    dataset_utils.check_binary_class_names(label_mode, class_names)

    def load_one(path):
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        return text if max_length is None else text[:max_length]

    def make(split_paths, split_labels):
        encoded = (None if label_mode is None
                   else dataset_utils.encode_labels(split_labels, label_mode,
                                                    len(class_names) if class_names else 0))

        def load(indices):
            texts = np.empty(len(indices), dtype=object)
            texts[:] = [load_one(split_paths[i]) for i in indices]
            return texts if encoded is None else (texts, encoded[indices])

        dataset = dataset_utils.ArrayBatches(len(split_paths), load, batch_size)
        dataset.class_names = class_names
        return dataset

    return dataset_utils.split_directory_datasets(directory, paths, labels, validation_split,
                                                  subset, make, "text files")
