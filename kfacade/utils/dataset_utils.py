"""Data set helpers on NumPy: `split_dataset`, `pack_x_y_sample_weight`,
`unpack_x_y_sample_weight`, and what the `*_dataset_from_directory` functions share
(indexing a folder of class folders, the training/validation split, label encoding,
and `ArrayBatches`, the `PyDataset` they return).

Keras 3 returns `tf.data.Dataset` objects from these functions. kfacade imports no
framework here, so it returns NumPy data instead (see each function), with the same
samples in the same order for the same arguments and seed; `fit`, `evaluate` and
`predict` read them directly.
"""
import numbers
import os
import random

import numpy as np

from kfacade import tree
from kfacade.utils import io_utils
from kfacade.utils.sequence import PyDataset, Sequence

__all__ = ["ArrayBatches", "pack_x_y_sample_weight", "split_dataset",
           "unpack_x_y_sample_weight"]


# ---------------------------------------------------------------- (x, y, sample_weight)
def unpack_x_y_sample_weight(data):
    """`(x, y, sample_weight)` from a batch given as `x`, `(x,)`, `(x, y)` or `(x, y, w)`.

    A list counts as a tuple; anything else is `x` alone.

    Example:

    >>> unpack_x_y_sample_weight((1, 2))
    (1, 2, None)

    Raises:
        ValueError: a tuple of more than 3 elements.
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data[0], data[1], data[2]
    raise ValueError(
        "Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, "
        f"found: {data}")


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """The shortest tuple holding `x`, `y`, `sample_weight` (the inverse of unpacking).

    `x` alone is returned as is, unless it is a list or tuple, which is
    wrapped as `(x,)` so that it is not read as `(x, y)`.

    Example:

    >>> pack_x_y_sample_weight([1, 2])
    ([1, 2],)
    >>> pack_x_y_sample_weight(1, 2)
    (1, 2)
    """
    if y is None:
        return (x,) if isinstance(x, (list, tuple)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


# ---------------------------------------------------------------- ArrayBatches
class ArrayBatches(PyDataset):
    """A `PyDataset` of NumPy batches over samples that are loaded batch by batch.

    Args:
        num_samples: the number of samples.
        load: `load(indices)` returns the batch of the samples at `indices`
            (a list of ints), as a NumPy array or a structure of them.
        batch_size: samples per batch (the last batch may be smaller); None
            yields the samples one by one (no batch axis), as Keras does.

    The data set holds the order it was given; it does not reshuffle between
    epochs.
    """

    def __init__(self, num_samples, load, batch_size, **kwargs):
        super().__init__(**kwargs)
        self._num_samples = int(num_samples)
        self._load = load
        self.batch_size = batch_size

    def __len__(self):
        if self.batch_size is None:
            return self._num_samples
        return -(-self._num_samples // self.batch_size)

    def __getitem__(self, index):
        if not -len(self) <= index < len(self):
            raise IndexError(f"Batch index {index} out of range for {len(self)} batches.")
        index %= len(self)
        if self.batch_size is None:
            return tree.map_structure(lambda batch: batch[0], self._load([index]))
        start = index * self.batch_size
        return self._load(list(range(start, min(start + self.batch_size, self._num_samples))))


def _sliced(structure):
    """An `ArrayBatches` loader that slices every array of `structure` by sample index."""
    def load(indices):
        return tree.map_structure(lambda array: array[indices], structure)

    return load


# ---------------------------------------------------------------- split_dataset
def _is_size(value):
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _rescale_split_sizes(left_size, right_size, total_length):
    """Integer `(left, right)` sample counts from fractions or counts (Keras 3's rules)."""
    for name, value in (("left_size", left_size), ("right_size", right_size)):
        if value is not None and not _is_size(value):
            raise TypeError(f"Invalid `{name}` type. Expected: int or float or None. "
                            f"Received: {name}={value!r} of type {type(value).__name__}.")
    if left_size is None and right_size is None:
        raise ValueError("At least one of the `left_size` or `right_size` must be specified. "
                         "Received: left_size=None and right_size=None")
    if left_size == 0 and right_size == 0:
        raise ValueError("Both `left_size` and `right_size` are zero. At least one of the "
                         "split sizes must be non-zero.")
    sizes = {}
    for name, value in (("left_size", left_size), ("right_size", right_size)):
        if value is None:
            sizes[name] = None
        elif isinstance(value, numbers.Integral):
            if not 0 < value < total_length:
                raise ValueError(
                    f"`{name}` should be either a positive integer smaller than {total_length}"
                    f", or a float within the range `[0, 1]`. Received: {name}={value}")
            sizes[name] = int(value)
        else:
            if not 0 < value < 1:
                raise ValueError(
                    f"`{name}` should be either a positive integer smaller than {total_length}"
                    f", or a float within the range `[0, 1]`. Received: {name}={value}")
            sizes[name] = round(float(value) * total_length)
    if (isinstance(left_size, float) and isinstance(right_size, float)
            and left_size + right_size > 1):
        raise ValueError("The sum of `left_size` and `right_size` is greater than 1. It must be "
                         "less than or equal to 1.")
    left, right = sizes["left_size"], sizes["right_size"]
    if left is None:
        left = total_length - right
    elif right is None:
        right = total_length - left
    if left + right > total_length:
        raise ValueError(f"The sum of `left_size` and `right_size` should be smaller than the "
                         f"{total_length} samples. Received: left_size + right_size = "
                         f"{left + right}")
    for split, side in ((left, "left"), (right, "right")):
        if split == 0:
            raise ValueError(
                f"With `dataset` of length={total_length}, `left_size`={left_size} and "
                f"`right_size`={right_size}, the resulting {side} side dataset split will be "
                "empty. Adjust any of the aforementioned parameters.")
    return left, right


def _unbatch(dataset):
    """All samples of a `Sequence` / `PyDataset`, concatenated leaf by leaf, and its batch size."""
    batches = list(iter(dataset))
    if not batches:
        raise ValueError("Received an empty dataset. Argument `dataset` must be non-empty.")
    first = tree.flatten(batches[0])
    batch_size = len(first[0])
    leaves = [np.concatenate([np.asarray(tree.flatten(batch)[i]) for batch in batches])
              for i in range(len(first))]
    return tree.pack_sequence_as(batches[0], leaves), batch_size


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None,
                  preferred_backend=None):
    """Splits a data set into a left part and a right part (e.g. training and test).

    Args:
        dataset: a NumPy array, a list, tuple or dict of arrays of the same
            length (nested ones too: every leaf is split along axis 0), or a
            `PyDataset` / `Sequence` of batches.
        left_size: a float in `(0, 1)`: the fraction of samples in the left
            part; an int: its number of samples; None: what `right_size`
            leaves.
        right_size: the same for the right part. The right part is the *last*
            samples, so samples between two sizes that do not add up to
            the whole are left out (as in Keras).
        shuffle: shuffle the samples before splitting.
        seed: the shuffle's seed; Keras 3's order for the same seed
            (Python's `random.Random(seed).shuffle` of the sample indices).
        preferred_backend: accepted for Keras 3's signature and ignored: the
            result is NumPy on every backend.

    Returns:
        `(left, right)`. For arrays and structures of arrays: two structures
        of the same kind holding NumPy arrays. For a `PyDataset` /
        `Sequence`: two `PyDataset`s of NumPy batches with the input's
        batch size. (Keras 3 returns two `tf.data.Dataset`s or
        `torch.utils.data.Dataset`s of single samples instead.)

    Raises:
        TypeError: an unsupported `dataset` (a framework's data set: convert
            it to NumPy arrays first) or size type.
        ValueError: arrays of different lengths, an empty data set, or sizes
            that leave a part empty or exceed the data.

    Example:

    >>> x, y = np.arange(10).reshape(5, 2), np.arange(5)
    >>> (x_train, y_train), (x_test, y_test) = split_dataset((x, y), left_size=0.8)
    >>> x_train.shape, y_test
    ((4, 2), array([4]))
    """
    batch_size = None
    if isinstance(dataset, (Sequence, PyDataset)):
        dataset, batch_size = _unbatch(dataset)
    elif isinstance(dataset, np.ndarray) or (
            tree.is_nested(dataset) and not isinstance(dataset, (str, bytes))):
        pass
    else:
        raise TypeError(
            "The `dataset` argument must be a NumPy array, a list, tuple or dict of NumPy "
            "arrays, or a kfacade PyDataset. Received: "
            f"dataset={dataset!r} of type {type(dataset).__name__}. (kfacade does not read "
            "tf.data or torch data sets here: convert them to NumPy arrays first.)")
    leaves = tree.flatten(dataset)
    if not leaves:
        raise ValueError("Received an empty dataset. Please provide a non-empty list of arrays.")
    arrays = []
    for position, leaf in enumerate(leaves):
        if not isinstance(leaf, np.ndarray):
            raise ValueError(f"Expected a structure of `numpy.ndarray` objects. Received: "
                             f"{type(leaf).__name__} at leaf {position}.")
        if leaf.ndim == 0:
            raise ValueError(f"Expected arrays with a samples axis. Received a scalar array at "
                             f"leaf {position}.")
        arrays.append(leaf)
    total = len(arrays[0])
    for position, array in enumerate(arrays):
        if len(array) != total:
            raise ValueError(
                "Received NumPy arrays with different lengths. Mismatch found at leaf "
                f"{position}: expected {total} samples, received shape {array.shape}. Please "
                "provide arrays of the same length.")
    if total == 0:
        raise ValueError("Received an empty dataset. Argument `dataset` must be non-empty.")

    indices = list(range(total))
    if shuffle:
        if seed is None:
            seed = random.randint(0, int(1e6))
        random.Random(seed).shuffle(indices)
    left_count, right_count = _rescale_split_sizes(left_size, right_size, total)
    parts = []
    for part in (indices[:left_count], indices[-right_count:]):
        split = tree.map_structure(lambda array: array[part], dataset)
        if batch_size is not None:
            split = ArrayBatches(len(part), _sliced(split), batch_size)
        parts.append(split)
    return tuple(parts)


# ---------------------------------------------------------------- directories
def check_validation_split_arg(validation_split, subset, shuffle, seed):
    """Raises ValueError for an inconsistent `validation_split` / `subset` / `seed`."""
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(
            f"`validation_split` must be between 0 and 1, received: {validation_split}")
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError("If `subset` is set, `validation_split` must be set, and inversely.")
    if subset not in ("training", "validation", "both", None):
        raise ValueError('`subset` must be either "training", "validation" or "both", '
                         f"received: {subset}")
    if validation_split and shuffle and seed is None:
        raise ValueError(
            "If using `validation_split` and shuffling the data, you must provide a `seed` "
            "argument, to make sure that there is no overlap between the training and "
            "validation subset.")


def _valid_files(directory, follow_links, formats):
    for root, _, files in sorted(os.walk(directory, followlinks=follow_links),
                                 key=lambda entry: entry[0]):
        for name in sorted(files):
            if name.lower().endswith(formats):
                yield root, name


def index_directory(directory, labels, formats, class_names=None, shuffle=True, seed=None,
                    follow_links=False, verbose=True):
    """The files under `directory` with their labels, in Keras 3's order.

    Args:
        directory: with `labels="inferred"`, a folder of class folders;
            otherwise every matching file below it, in sorted path order.
        labels: "inferred", None, or a list of integer labels, one per file
            in sorted path order.
        formats: the file extensions to keep (lower case, e.g. `(".txt",)`).
        class_names: with "inferred", the class folders to use, in this order.
        shuffle: shuffle files (and labels alike) with
            `np.random.RandomState(seed)`; otherwise sorted order.
        seed: the shuffle's seed.
        follow_links: enter folders that are symbolic links.
        verbose: print how many files and classes were found.

    Returns:
        `(file_paths, labels, class_names)`: paths, an int32 array of labels
        (None without labels) and the class names.
    """
    if labels == "inferred":
        subdirs = [name for name in sorted(os.listdir(directory))
                   if os.path.isdir(os.path.join(directory, name)) and not name.startswith(".")]
        if class_names is not None:
            if not set(class_names).issubset(subdirs):
                raise ValueError(
                    "The `class_names` passed did not match the names of the subdirectories "
                    f"of the target directory. Expected: {subdirs} (or a subset of it), but "
                    f"received: class_names={class_names}")
            subdirs = list(class_names)
    else:
        subdirs = [""]
        if class_names is not None:
            if labels is None:
                raise ValueError("When `labels=None` (no labels), argument `class_names` "
                                 "cannot be specified.")
            raise ValueError("When argument `labels` is specified, argument `class_names` "
                             "cannot be specified (the `class_names` will be the sorted list "
                             "of labels).")
    class_names = subdirs
    filenames, found_labels = [], []
    for class_index, subdir in enumerate(subdirs):
        folder = os.path.join(directory, subdir)
        dirname = os.path.basename(folder)
        for root, name in _valid_files(folder, follow_links, formats):
            filenames.append(os.path.join(dirname, os.path.relpath(os.path.join(root, name),
                                                                   folder)))
            found_labels.append(class_index)
    if labels == "inferred":
        labels = np.array(found_labels, dtype="int32")
    elif labels is None:
        class_names = None
    else:
        if len(labels) != len(filenames):
            raise ValueError(
                "Expected the lengths of `labels` to match the number of files in the target "
                f"directory. len(labels) is {len(labels)} while we found {len(filenames)} "
                f"files in directory {directory}.")
        class_names = [str(label) for label in sorted(set(labels))]
        labels = np.asarray(labels)
    if verbose:
        if labels is None:
            io_utils.print_msg(f"Found {len(filenames)} files.")
        else:
            io_utils.print_msg(f"Found {len(filenames)} files belonging to "
                               f"{len(class_names)} classes.")
    file_paths = [os.path.join(directory, name) for name in filenames]
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(file_paths)
        if labels is not None:
            np.random.RandomState(seed).shuffle(labels)
    return file_paths, labels, class_names


def training_or_validation_split(samples, labels, validation_split, subset):
    """`(samples, labels)` of the `subset` ("training": the first part, "validation":
    the last `int(validation_split * n)`), or all of them without a split."""
    if not validation_split:
        return samples, labels
    num_val_samples = int(validation_split * len(samples))
    if subset == "training":
        io_utils.print_msg(f"Using {len(samples) - num_val_samples} files for training.")
        samples = samples[:-num_val_samples]
        if labels is not None:
            labels = labels[:-num_val_samples]
    elif subset == "validation":
        io_utils.print_msg(f"Using {num_val_samples} files for validation.")
        samples = samples[-num_val_samples:]
        if labels is not None:
            labels = labels[-num_val_samples:]
    else:
        raise ValueError(f'`subset` must be either "training" or "validation", received: '
                         f"{subset}")
    return samples, labels


def split_directory_datasets(directory, paths, labels, validation_split, subset, make, kind,
                             allowed=""):
    """`make(paths, labels)` for the `subset` of the files, or `[training, validation]`
    for `subset="both"`.

    Raises ValueError "No {kind} found in directory ..." (followed by `allowed`,
    e.g. Keras's " Allowed format(s): ...") when a part is empty.
    """
    if subset == "both":
        parts = [training_or_validation_split(paths, labels, validation_split, name)
                 for name in ("training", "validation")]
        for (found, _), name in zip(parts, ("training", "validation")):
            if not found:
                raise ValueError(f"No {name} {kind} found in directory {directory}.{allowed}")
        return [make(*part) for part in parts]
    paths, labels = training_or_validation_split(paths, labels, validation_split, subset)
    if not paths:
        raise ValueError(f"No {kind} found in directory {directory}.{allowed}")
    return make(paths, labels)


def check_binary_class_names(label_mode, class_names):
    """Raises ValueError when `label_mode="binary"` does not have exactly 2 classes."""
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError('When passing `label_mode="binary"`, there must be exactly 2 '
                         f"class_names. Received: class_names={class_names}")


def encode_labels(labels, label_mode, num_classes):
    """Integer labels as `label_mode` wants them: "int" int32 `(n,)`, "binary" float32
    `(n, 1)`, "categorical" float32 one-hot `(n, num_classes)`."""
    labels = np.asarray(labels)
    if label_mode == "binary":
        return labels.astype("float32")[:, None]
    if label_mode == "categorical":
        return np.eye(num_classes, dtype="float32")[labels.astype("int64")]
    return labels.astype("int32")


def check_directory_args(labels, label_mode, class_names, kind):
    """Raises ValueError for `labels` / `label_mode` / `class_names` Keras 3 refuses."""
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError(
                "`labels` argument should be a list/tuple of integer labels, of the same size "
                f"as the number of {kind} files in the target directory. If you wish to infer "
                "the labels from the subdirectory names in the target directory, pass "
                '`labels="inferred"`. If you wish to get a dataset that only contains '
                f"{kind} samples (no labels), pass `labels=None`. Received: labels={labels}")
        if class_names:
            raise ValueError('You can only pass `class_names` if `labels="inferred"`. '
                             f"Received: labels={labels}, and class_names={class_names}")
    if label_mode not in {"int", "categorical", "binary", None}:
        raise ValueError('`label_mode` argument must be one of "int", "categorical", "binary", '
                         f"or None. Received: label_mode={label_mode}")


def check_format_arg(format):
    """Accepts Keras 3's `format` values ("tf", "grain"): kfacade returns NumPy batches for both."""
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')
