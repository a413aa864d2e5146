"""Batch-indexed data sets: Keras 2 `Sequence` and Keras 3 `PyDataset`.

`kfacade.utils.batch_loader` reads them with a pool of workers for `fit`.
This module imports no framework, not even NumPy, and nothing from
`kfacade.backend`, so data pipelines work before the rest of the package
is loaded.
"""

__all__ = ["Sequence", "PyDataset"]


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
        check_loader_options(workers, use_multiprocessing, max_queue_size)
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
        count = self.num_batches
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


def check_loader_options(workers, use_multiprocessing, max_queue_size):
    """Raises ValueError for a worker count or queue size `PyDataset` cannot use."""
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
