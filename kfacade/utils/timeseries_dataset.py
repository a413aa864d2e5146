"""`timeseries_dataset_from_array`: sliding windows over a series, in NumPy batches.

Keras 3 returns a `tf.data.Dataset` (or a Grain data set); kfacade returns a
`PyDataset` of NumPy batches (`kfacade.utils.dataset_utils.ArrayBatches`) with
the same windows, targets and, without shuffling, the same order. With
`shuffle=True` the window start positions are shuffled by
`np.random.RandomState(seed)` as in Keras 3, whose `tf.data` pipeline then
shuffles again in a buffer of `8 * batch_size` windows, differently at each
epoch; kfacade keeps the seeded order at every epoch.
"""
import numpy as np

from kfacade.utils import dataset_utils

__all__ = ["timeseries_dataset_from_array"]


def _check_arguments(data, start_index, end_index, sampling_rate, sequence_stride):
    if start_index:
        if start_index < 0:
            raise ValueError(f"`start_index` must be 0 or greater. Received: "
                             f"start_index={start_index}")
        if start_index >= len(data):
            raise ValueError(f"`start_index` must be lower than the length of the data. "
                             f"Received: start_index={start_index}, for data of length "
                             f"{len(data)}")
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError(f"`end_index` must be higher than `start_index`. Received: "
                             f"start_index={start_index}, and end_index={end_index} ")
        if end_index >= len(data):
            raise ValueError(f"`end_index` must be lower than the length of the data. "
                             f"Received: end_index={end_index}, for data of length {len(data)}")
        if end_index <= 0:
            raise ValueError(f"`end_index` must be higher than 0. Received: "
                             f"end_index={end_index}")
    for name, value in (("sampling_rate", sampling_rate), ("sequence_stride", sequence_stride)):
        if value <= 0:
            raise ValueError(f"`{name}` must be higher than 0. Received: {name}={value}")
        if value >= len(data):
            raise ValueError(f"`{name}` must be lower than the length of the data. Received: "
                             f"{name}={value}, for data of length {len(data)}")


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1,
                                  sampling_rate=1, batch_size=128, shuffle=False, seed=None,
                                  start_index=None, end_index=None, format="tf"):
    """A data set of sliding windows over `data`, with their targets.

    Window `i` starts at `start_index + i * sequence_stride` and takes
    `sequence_length` steps, `sampling_rate` apart; its target is
    `targets[start_index + i * sequence_stride]`. Windows that would run
    past `end_index` are dropped.

    Args:
        data: an array (or array-like) whose axis 0 is time.
        targets: `targets[i]` is the target of the window starting at `i`;
            None yields windows only.
        sequence_length: steps per window.
        sequence_stride: steps between the starts of two windows.
        sampling_rate: steps between two elements of a window.
        batch_size: windows per batch (the last may be smaller); None yields
            single windows.
        shuffle: shuffle the windows (seeded by `seed`); otherwise in time order.
        seed: the shuffle's seed.
        start_index: data before this step is not used.
        end_index: data from this step on is not used.
        format: "tf" or "grain", accepted for Keras 3's signature: both give
            kfacade's `PyDataset`.

    Returns:
        A `PyDataset` of NumPy batches `windows` of shape `(batch,
        sequence_length) + data.shape[1:]`, or `(windows, targets)`.
        (Keras 3 returns a `tf.data.Dataset`; see this module's notes.)

    Raises:
        ValueError: an index, stride or rate out of range (Keras 3's checks).

    Example:

    >>> data = np.arange(10)
    >>> dataset = timeseries_dataset_from_array(data[:-3], data[3:], sequence_length=3,
    ...                                         batch_size=2)
    >>> windows, targets = dataset[0]
    >>> windows.tolist(), targets.tolist()
    ([[0, 1, 2], [1, 2, 3]], [3, 4])
    """
    data = np.asarray(data)
    _check_arguments(data, start_index, end_index, sampling_rate, sequence_stride)
    dataset_utils.check_format_arg(format)
    start = start_index or 0
    end = len(data) if end_index is None else end_index
    num_windows = end - start - (sequence_length - 1) * sampling_rate
    if targets is not None:
        num_windows = min(num_windows, len(targets))
    start_positions = np.arange(0, max(num_windows, 0), sequence_stride,
                                dtype="int32" if num_windows < 2147483647 else "int64")
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(start_positions)
    series = data[start:end]
    series_targets = None if targets is None else np.asarray(targets)[start:end]
    offsets = np.arange(sequence_length) * sampling_rate

    def load(indices):
        positions = start_positions[indices]
        windows = series[positions[:, None] + offsets]
        if series_targets is None:
            return windows
        return windows, series_targets[positions]

    return dataset_utils.ArrayBatches(len(start_positions), load, batch_size)
