"""Keras 2's image batch iterators: `Iterator` (a `Sequence` of batches that
also runs forever under `next()`) and `NumpyArrayIterator` (what
`ImageDataGenerator.flow` returns).
"""
import os
import threading
import warnings

import numpy as np

from kfacade.utils.image_utils import array_to_img
from kfacade.utils.sequence import Sequence

__all__ = ["Iterator", "NumpyArrayIterator"]


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
