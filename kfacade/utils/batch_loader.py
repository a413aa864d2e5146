"""The ordered, bounded, parallel batch loader that `fit` reads a `Sequence`
or `PyDataset` with (Keras 2's `OrderedEnqueuer`, as a generator).

Like `kfacade.utils.sequence`, this module imports no framework and nothing
from `kfacade.backend`.
"""
import collections
import concurrent.futures
import multiprocessing
import os
import pickle
import warnings

from kfacade.utils.sequence import PyDataset, check_loader_options

__all__ = ["iterate_batches"]


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
    from kfacade.utils.batch_loader import iterate_batches

    class Numbers(Sequence):
        def __len__(self):
            return 5

        def __getitem__(self, index):
            return index

    assert list(iterate_batches(Numbers(), workers=2)) == [0, 1, 2, 3, 4]
    ```
    """
    check_loader_options(workers, use_multiprocessing, max_queue_size)
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
