"""Batch-indexed data sets: Keras 2 `Sequence`, Keras 3 `PyDataset`, and the
ordered, bounded, parallel batch loader that `fit` uses to read them.

This module imports no framework, not even NumPy, and nothing from
`kfacade.backend`, so data pipelines work before the rest of the package
is loaded.
"""
import collections
import concurrent.futures
import multiprocessing
import os
import pickle
import warnings

__all__ = ["Sequence", "PyDataset", "iterate_batches"]


class Sequence:
    """Base object for fitting to a sequence of data, such as a dataset.

    Every `Sequence` must implement `__getitem__` (batch number `index` ->
    one complete batch) and `__len__` (the number of batches per epoch). It
    may override `on_epoch_end` to change the data between epochs (for
    example to shuffle it). Unlike a Python generator, a `Sequence` can be
    read by several workers at once and each batch is read exactly once per
    epoch.

    Example:

    ```python
    import numpy as np
    from kfacade.utils import Sequence

    class Batches(Sequence):
        def __init__(self, x, y, batch_size):
            self.x, self.y, self.batch_size = x, y, batch_size

        def __len__(self):
            return -(-len(self.x) // self.batch_size)  # ceil

        def __getitem__(self, index):
            part = slice(index * self.batch_size, (index + 1) * self.batch_size)
            return self.x[part], self.y[part]

    data = Batches(np.zeros((10, 3)), np.zeros(10), batch_size=4)
    assert len(data) == 3 and data[2][0].shape == (2, 3)
    ```
    """

    use_sequence_api = True

    def __getitem__(self, index):
        """Returns batch number `index` (0 <= index < len(self))."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement `__getitem__(self, index)`"
            " returning one batch; it is missing."
        )

    def __len__(self):
        """Returns the number of batches in one epoch."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement `__len__(self)` returning "
            "the number of batches per epoch; it is missing."
        )

    def on_epoch_end(self):
        """Called at the end of every epoch; does nothing by default."""

    def __iter__(self):
        """Yields the batches of one epoch, in index order."""
        for index in range(len(self)):
            yield self[index]


class PyDataset(Sequence):
    """Keras 3 base class for Python data sets read batch by batch.

    Subclasses implement `__getitem__(index)` (one batch) and either
    `__len__` or the `num_batches` property (`None` means an infinite data
    set, read until `__getitem__` raises `IndexError`); they may override
    `on_epoch_begin` and `on_epoch_end`. Subclasses should call
    `super().__init__(**kwargs)` so the loading options below reach `fit`.

    Args:
        workers: Number of workers that read batches in parallel.
            `1` (default) reads them in the calling thread.
        use_multiprocessing: Whether the workers are processes (the data set
            must then be picklable) rather than threads.
        max_queue_size: Most batches prepared ahead of the consumer.

    Example:

    ```python
    import numpy as np
    from kfacade.utils import PyDataset

    class Squares(PyDataset):
        def __init__(self, n, **kwargs):
            super().__init__(**kwargs)
            self.n = n

        def __len__(self):
            return self.n

        def __getitem__(self, index):
            return np.full((2, 1), index ** 2, "float32")

    data = Squares(5, workers=2)
    assert data.num_batches == 5 and data[3][0, 0] == 9
    ```
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        _check_loader_options(workers, use_multiprocessing, max_queue_size)
        self._workers = workers
        self._use_multiprocessing = bool(use_multiprocessing)
        self._max_queue_size = max_queue_size

    # Properties with defaults, so that a subclass that forgot to call
    # `super().__init__()` still works (as in Keras 3, which only warns).
    @property
    def workers(self):
        return self.__dict__.get("_workers", 1)

    @workers.setter
    def workers(self, value):
        self._workers = value

    @property
    def use_multiprocessing(self):
        return self.__dict__.get("_use_multiprocessing", False)

    @use_multiprocessing.setter
    def use_multiprocessing(self, value):
        self._use_multiprocessing = bool(value)

    @property
    def max_queue_size(self):
        return self.__dict__.get("_max_queue_size", 10)

    @max_queue_size.setter
    def max_queue_size(self, value):
        self._max_queue_size = value

    @property
    def num_batches(self):
        """Number of batches per epoch, or `None` for an infinite data set.

        Defaults to `len(self)`; override it instead of `__len__` when the
        count is unknown (return `None`).
        """
        if type(self).__len__ is PyDataset.__len__:
            raise NotImplementedError(
                f"{type(self).__name__} defines neither `__len__` nor "
                "`num_batches`; implement one of them, e.g.\n\n"
                "    @property\n    def num_batches(self):\n"
                "        return ...  # or None for an infinite data set"
            )
        return len(self)

    def __len__(self):
        # Keras 3 lets a PyDataset define `num_batches` only; keep len()
        # working for those without recursing through the default above.
        if type(self).num_batches is PyDataset.num_batches:
            return Sequence.__len__(self)
        count = self.num_batches
        if count is None:
            raise TypeError(
                f"{type(self).__name__} is infinite (num_batches=None) and "
                "has no len(); read it with an explicit number of steps."
            )
        return count

    def on_epoch_begin(self):
        """Called at the start of every epoch; does nothing by default."""

    def __iter__(self):
        count = _num_batches(self)
        index = 0
        while count is None or index < count:
            try:
                batch = self[index]
            except IndexError:
                if count is None:
                    return
                raise
            yield batch
            index += 1


def _check_loader_options(workers, use_multiprocessing, max_queue_size):
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 0:
        raise ValueError(
            f"Received: workers={workers!r}; expected an integer >= 0 "
            "(0 or 1 reads batches in the calling thread)."
        )
    if (
        not isinstance(max_queue_size, int)
        or isinstance(max_queue_size, bool)
        or max_queue_size < 1
    ):
        raise ValueError(
            f"Received: max_queue_size={max_queue_size!r}; expected an "
            "integer >= 1."
        )


def _num_batches(dataset):
    """Batches per epoch of `dataset`, or `None` when it is infinite."""
    if isinstance(dataset, PyDataset):
        return dataset.num_batches
    return len(dataset)


# ---------------------------------------------------------------------------
# Process workers. The data set is sent once per worker (through the pool
# initializer), not once per batch; each task only carries an index.
_WORKER_DATASET = None


def _init_process_worker(payload, base_seed):
    global _WORKER_DATASET
    kind, value = payload
    _WORKER_DATASET = pickle.loads(value) if kind == "pickled" else value
    # Forked workers inherit the parent's NumPy random state: without a
    # reseed every worker, and every epoch, would draw the same "random"
    # augmentations. Only touch NumPy if the data set already imported it.
    import sys

    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed((base_seed + os.getpid()) % (2**32))


def _get_in_worker(index):
    return _WORKER_DATASET[index]


class _DiscardingWriter:
    """A file that drops what it is given: pickling into it checks that an
    object can be pickled without holding a copy of it in memory."""

    def write(self, data):
        return len(data)


def _make_executor(dataset, workers, use_multiprocessing):
    """Returns (executor, submit) where submit(index) -> Future."""
    if use_multiprocessing:
        try:
            pickle.Pickler(_DiscardingWriter(), protocol=pickle.HIGHEST_PROTOCOL).dump(
                dataset
            )
        except Exception as error:  # noqa: BLE001 - any pickling failure
            warnings.warn(
                f"use_multiprocessing=True but the data set "
                f"{type(dataset).__name__} cannot be pickled ({error!r}); "
                "reading it with a thread pool instead.",
                RuntimeWarning,
                stacklevel=3,
            )
        else:
            import random

            context = multiprocessing.get_context()
            # A forked worker inherits the data set itself (no copy); other
            # start methods receive it pickled, once per worker.
            if context.get_start_method() == "fork":
                payload = ("object", dataset)
            else:
                payload = ("pickled", pickle.dumps(dataset, pickle.HIGHEST_PROTOCOL))
            # The seed comes from the parent so each epoch's pool differs.
            executor = concurrent.futures.ProcessPoolExecutor(
                max_workers=workers,
                mp_context=context,
                initializer=_init_process_worker,
                initargs=(payload, random.getrandbits(31)),
            )
            return executor, lambda index: executor.submit(_get_in_worker, index)
    executor = concurrent.futures.ThreadPoolExecutor(
        max_workers=workers, thread_name_prefix="kfacade-batches"
    )
    return executor, lambda index: executor.submit(dataset.__getitem__, index)


def iterate_batches(
    dataset,
    workers=1,
    use_multiprocessing=False,
    max_queue_size=10,
    shuffle=False,
    seed=None,
):
    """Yields the batches of one epoch of `dataset`, in order.

    The `OrderedEnqueuer` of Keras 2 as a generator: batches are read by a
    pool of `workers` threads (or processes with `use_multiprocessing`) at
    most `max_queue_size` ahead of the consumer, and are yielded in the
    order of their indices (or of the shuffled indices) whatever order the
    workers finish in. Only that many batches are ever held at once, never
    the whole data set. Closing the generator early (`break` out of a `for`
    loop, `close()`, garbage collection) cancels the pending reads and shuts
    the pool down.

    `on_epoch_begin`/`on_epoch_end` are not called here: the training loop
    calls them around each epoch.

    Args:
        dataset: A `Sequence` or `PyDataset` (anything with `__getitem__`
            and `__len__`; a `PyDataset` with `num_batches=None` is read
            until `__getitem__` raises `IndexError`).
        workers: Number of parallel readers; `0` or `1` reads the batches in
            the calling thread.
        use_multiprocessing: Read with processes instead of threads. A data
            set that cannot be pickled falls back to threads with a
            `RuntimeWarning`.
        max_queue_size: Most batches read ahead of the consumer.
        shuffle: Whether to visit the batch indices in random order.
        seed: Optional seed for the shuffled order.

    Yields:
        The batches `dataset[i]` for each index `i` of the epoch.

    Example:

    ```python
    from kfacade.utils import Sequence
    from kfacade.utils.sequence import iterate_batches

    class Numbers(Sequence):
        def __len__(self):
            return 5

        def __getitem__(self, index):
            return index

    assert list(iterate_batches(Numbers(), workers=2)) == [0, 1, 2, 3, 4]
    ```
    """
    _check_loader_options(workers, use_multiprocessing, max_queue_size)
    count = _num_batches(dataset)
    if count is None:
        if shuffle:
            raise ValueError(
                f"Received: shuffle=True for {type(dataset).__name__}, whose "
                "num_batches is None; an infinite data set cannot be "
                "shuffled by index. Shuffle inside the data set instead."
            )
        indices = None
    else:
        # A range is lazy: a huge data set costs no memory for its indices.
        indices = range(count)
        if shuffle:
            import random

            indices = list(indices)
            random.Random(seed).shuffle(indices)

    if workers <= 1 and not use_multiprocessing:
        yield from _iterate_in_thread(dataset, indices)
        return
    yield from _iterate_in_pool(
        dataset, indices, max(workers, 1), use_multiprocessing, max_queue_size
    )


def _index_stream(indices):
    if indices is not None:
        yield from indices
        return
    index = 0
    while True:
        yield index
        index += 1


def _iterate_in_thread(dataset, indices):
    for index in _index_stream(indices):
        try:
            batch = dataset[index]
        except IndexError:
            if indices is None:
                return
            raise
        yield batch


def _iterate_in_pool(dataset, indices, workers, use_multiprocessing, max_queue_size):
    executor, submit = _make_executor(dataset, workers, use_multiprocessing)
    pending = collections.deque()
    stream = _index_stream(indices)
    try:
        # Keep the pool busy and the queue bounded: at most max_queue_size
        # reads in flight, refilled one for one as the consumer takes batches.
        for index in stream:
            pending.append(submit(index))
            if len(pending) >= max_queue_size:
                break
        while pending:
            future = pending.popleft()
            try:
                batch = future.result()
            except IndexError:
                if indices is None:
                    return
                raise
            next_index = next(stream, None)
            if next_index is not None:
                pending.append(submit(next_index))
            yield batch
    finally:
        for future in pending:
            future.cancel()
        # Reads already running finish (one batch each); queued ones were
        # cancelled above, so this returns promptly on an early stop.
        executor.shutdown(wait=True, cancel_futures=True)
