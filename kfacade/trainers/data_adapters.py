"""Turning what users pass to ``fit`` into batches, one epoch at a time.

Sources: NumPy arrays (and lists/dicts of them), Python generators and
iterators, ``kfacade.utils.Sequence`` / ``PyDataset`` (with workers), and any
iterable of batches — which covers ``tf.data.Dataset`` and
``torch.utils.data.DataLoader`` without importing either framework. Batches
are ``(x, y, sample_weight)`` tuples of NumPy arrays or native tensors; the
compiled step converts them. Nothing here materialises a generator's data.
"""
import math
import warnings

import numpy as np

from kfacade.backend.active import adapter as _B
from kfacade.backend.config import max_steps_per_epoch
from kfacade.engine import tree


def _is_array(x):
    return isinstance(x, np.ndarray) or _B.is_tensor(x) or (
        hasattr(x, "shape") and hasattr(x, "dtype") and hasattr(x, "__array__")
    )


def is_array_data(x):
    """True for an array, a native tensor, or a list/tuple/dict of them."""
    if x is None:
        return False
    leaves = tree.flatten(x)
    return bool(leaves) and all(leaf is None or _is_array(leaf) for leaf in leaves)


def _to_numpy_leaf(x):
    if x is None or isinstance(x, np.ndarray) or _B.is_tensor(x):
        return x
    return np.asarray(x)


def unpack_batch(batch):
    """``(x, y, sample_weight)`` from a batch given as x, (x,), (x, y) or (x, y, w)."""
    if isinstance(batch, list):
        batch = tuple(batch)  # as Keras: a yielded [x, y] is (x, y)
    if isinstance(batch, tuple):
        if len(batch) == 1:
            return batch[0], None, None
        if len(batch) == 2:
            return batch[0], batch[1], None
        if len(batch) == 3:
            return batch
        raise ValueError(
            f"Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, "
            f"sample_weight)`, found a tuple of {len(batch)} elements."
        )
    return batch, None, None


def _num_samples(x):
    sizes = {int(np.shape(leaf)[0]) if not _B.is_tensor(leaf) else int(_B.shape(leaf)[0])
             for leaf in tree.flatten(x) if leaf is not None}
    return sizes


def check_cardinality(x, y, sample_weight):
    """Raises a ValueError when x, y and sample_weight differ in sample count."""
    parts = {"x": x, "y": y, "sample_weight": sample_weight}
    sizes = {name: _num_samples(value) for name, value in parts.items() if value is not None}
    all_sizes = set().union(*sizes.values()) if sizes else set()
    if len(all_sizes) > 1:
        detail = "\n".join(
            f"'{name}' sizes: {', '.join(str(s) for s in sorted(s_set))}" for name, s_set in sizes.items()
        )
        raise ValueError(
            f"Data cardinality is ambiguous. Make sure all arrays contain the same "
            f"number of samples.\n{detail}"
        )
    return all_sizes.pop() if all_sizes else 0


def _take(x, index):
    if type(x) is np.ndarray:  # the common single array, without a tree walk
        return x[index]
    return tree.map_structure(lambda leaf: None if leaf is None else leaf[index], x)


def class_weights_to_sample_weights(y, class_weight):
    """Per-sample weights from a {class: weight} dict (labels or one-hot y)."""
    y = np.asarray(_B.convert_to_numpy(y) if _B.is_tensor(y) else y)
    labels = np.argmax(y, axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(len(y), -1)[:, 0]
    labels = labels.astype("int64")
    weights = np.ones(len(labels), dtype="float32")
    for cls, weight in class_weight.items():
        weights[labels == int(cls)] = weight
    return weights


class ArrayBatches:
    """Batches of in-memory arrays, shuffled per epoch when asked."""

    def __init__(self, x, y=None, sample_weight=None, batch_size=32, shuffle=False,
                 steps_per_epoch=None, class_weight=None, rng=None):
        self.num_samples = check_cardinality(x, y, sample_weight)
        self.x = tree.map_structure(_to_numpy_leaf, x)
        self.y = tree.map_structure(_to_numpy_leaf, y) if y is not None else None
        if class_weight is not None:
            if self.y is None or tree.is_nested(self.y):
                raise ValueError("`class_weight` needs a single array of targets `y`.")
            cw = class_weights_to_sample_weights(self.y, class_weight)
            sample_weight = cw if sample_weight is None else np.asarray(sample_weight) * cw
        self.sample_weight = _to_numpy_leaf(sample_weight) if sample_weight is not None else None
        self.batch_size = int(batch_size or 32)
        self.shuffle = shuffle
        self.rng = rng if rng is not None else np.random  # processes of a job share one seed
        batches = math.ceil(self.num_samples / self.batch_size)
        self.num_batches = min(batches, steps_per_epoch) if steps_per_epoch else batches

    def __iter__(self):
        n, bs = self.num_samples, self.batch_size
        order = None
        if self.shuffle == "batch":
            order = np.arange(n)
            starts = self.rng.permutation(math.ceil(n / bs)) * bs
        else:
            starts = range(0, n, bs)
            if self.shuffle:
                order = self.rng.permutation(n)
        x, y, sample_weight = self.x, self.y, self.sample_weight
        for start in starts[:self.num_batches]:
            index = slice(start, start + bs) if order is None else order[start:start + bs]
            yield (_take(x, index), None if y is None else _take(y, index),
                   None if sample_weight is None else sample_weight[index])


class IterableBatches:
    """Batches from a generator, iterator, Sequence/PyDataset or re-iterable source.

    A re-iterable source (a Sequence, a ``tf.data.Dataset``, a ``DataLoader``, a
    list) starts over each epoch; a one-shot iterator (a generator) is drawn
    from continuously, `steps_per_epoch` batches per epoch.
    """

    def __init__(self, data, steps_per_epoch=None, class_weight=None, workers=1,
                 use_multiprocessing=False, max_queue_size=10, shuffle=False):
        from kfacade.utils.sequence import PyDataset, Sequence

        self.data = data
        self.class_weight = class_weight
        self.is_sequence = isinstance(data, (Sequence, PyDataset))
        self.workers = workers
        self.use_multiprocessing = use_multiprocessing
        self.max_queue_size = max_queue_size
        self.shuffle = shuffle
        self.one_shot = not self.is_sequence and iter(data) is data if hasattr(data, "__iter__") else True
        if not hasattr(data, "__iter__") and not hasattr(data, "__next__"):
            raise ValueError(
                f"Unrecognized data type: x={data!r} (of type {type(data).__name__}). Expected "
                f"NumPy arrays, a generator, a kfacade.utils.Sequence/PyDataset, or an "
                f"iterable of batches (tf.data.Dataset, torch DataLoader)."
            )
        if steps_per_epoch is None:
            if self.is_sequence:
                steps_per_epoch = len(data)
            elif not self.one_shot and hasattr(data, "__len__"):
                try:
                    steps_per_epoch = len(data)
                except TypeError:
                    steps_per_epoch = None
        self.num_batches = steps_per_epoch
        self._iterator = iter(data) if self.one_shot else None

    def _source(self):
        if self.is_sequence:
            from kfacade.utils.batch_loader import iterate_batches

            workers = getattr(self.data, "workers", None) or self.workers
            multiprocessing = getattr(self.data, "use_multiprocessing", False) or self.use_multiprocessing
            return iterate_batches(self.data, workers=workers, use_multiprocessing=multiprocessing,
                                   max_queue_size=self.max_queue_size, shuffle=self.shuffle)
        if self.one_shot:
            return self._iterator
        return iter(self.data)

    def __iter__(self):
        source = self._source()
        count = 0
        try:
            while self.num_batches is None or count < self.num_batches:
                try:
                    batch = next(source)
                except StopIteration:
                    if self.one_shot and self.num_batches is not None and count == 0:
                        raise ValueError(
                            "The generator is exhausted: it yielded no batch for this epoch. "
                            "Make it loop (e.g. `while True:`) or lower `steps_per_epoch`."
                        ) from None
                    if self.one_shot and self.num_batches is not None:
                        warnings.warn(
                            f"Your input ran out of data after {count} of "
                            f"{self.num_batches} steps; the epoch ends early.", stacklevel=2)
                    return
                x, y, sw = unpack_batch(batch)
                x = tree.map_structure(_to_numpy_leaf, x)
                y = tree.map_structure(_to_numpy_leaf, y) if y is not None else None
                if self.class_weight is not None and y is not None:
                    cw = class_weights_to_sample_weights(y, self.class_weight)
                    sw = cw if sw is None else np.asarray(sw) * cw
                yield x, y, sw
                count += 1
        finally:
            if self.is_sequence:
                close = getattr(source, "close", None)
                if close is not None:
                    close()
                if hasattr(self.data, "on_epoch_end"):
                    self.data.on_epoch_end()


def make_batches(x, y=None, sample_weight=None, batch_size=None, shuffle=False, steps_per_epoch=None,
                 class_weight=None, workers=1, use_multiprocessing=False, max_queue_size=10,
                 rng=None):
    """The batch source for `x` (see the module docstring).

    Raises:
        ValueError: `y` or `sample_weight` given with a generator/dataset `x`,
            or mismatched array lengths.
    """
    cap = max_steps_per_epoch()
    if cap and (not steps_per_epoch or cap < steps_per_epoch):
        warnings.warn(f"Limiting steps_per_epoch to {cap}", stacklevel=3)
        steps_per_epoch = cap
    if is_array_data(x):
        return ArrayBatches(x, y, sample_weight, batch_size=batch_size, shuffle=shuffle,
                            steps_per_epoch=steps_per_epoch, class_weight=class_weight, rng=rng)
    if y is not None:
        raise ValueError(
            f"`y` argument is not supported when using a generator, a dataset or a "
            f"Sequence as input (x is {type(x).__name__}): it yields (x, y) itself."
        )
    if sample_weight is not None:
        raise ValueError(
            "`sample_weight` argument is not supported when using a generator or dataset "
            "as input; yield (x, y, sample_weight) instead."
        )
    return IterableBatches(x, steps_per_epoch=steps_per_epoch, class_weight=class_weight,
                           workers=workers, use_multiprocessing=use_multiprocessing,
                           max_queue_size=max_queue_size, shuffle=shuffle)


def split_validation(x, y, sample_weight, validation_split):
    """Keras's split: the last `validation_split` fraction becomes validation data.

    Raises:
        ValueError: the data is not arrays (a generator or dataset).
    """
    if not is_array_data(x):
        raise ValueError(
            f"`validation_split` is only supported for Tensors or NumPy arrays, found "
            f"x of type {type(x).__name__}. Pass `validation_data` instead."
        )
    if not 0.0 < validation_split < 1.0:
        raise ValueError(f"`validation_split` must be in (0, 1). Received: {validation_split}")
    n = check_cardinality(x, y, sample_weight)
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(
            f"Training data contains {n} samples, which is not sufficient to split it "
            f"into a validation and training set as specified by validation_split={validation_split}."
        )
    head, tail = slice(0, split_at), slice(split_at, n)
    take = lambda data, part: None if data is None else _take(data, part)  # noqa: E731
    return ((take(x, head), take(y, head), take(sample_weight, head)),
            (take(x, tail), take(y, tail), take(sample_weight, tail)))
