"""Shuffling, splitting and word-index encoding shared by the data sets,
written once as Keras does them so that the same seed gives the same arrays."""
import numpy as np

__all__ = ["check_test_split", "shuffle_split", "shift_and_filter", "limit_vocabulary",
           "object_array"]


def check_test_split(test_split):
    if not 0 <= test_split < 1:
        raise ValueError(
            f"Received: test_split={test_split!r}; expected a float in [0, 1)."
        )


def shuffle_split(x, y, test_split, seed):
    """Shuffles `x` and `y` together with `np.random.RandomState(seed)` and
    keeps the last `test_split` fraction for the test set."""
    check_test_split(test_split)
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    x, y = x[indices], y[indices]
    split = int(len(x) * (1 - test_split))
    return (np.array(x[:split]), np.array(y[:split])), (np.array(x[split:]), np.array(y[split:]))


def shift_and_filter(sequences, labels, maxlen, start_char, index_from):
    """Shifts word indices by `index_from`, prefixes `start_char` (unless
    None) and, with `maxlen`, keeps only sequences shorter than `maxlen`
    (Keras drops the others rather than truncating them).

    Returns:
        `(sequences, labels)`: a list of lists of ints and an array.
    """
    if start_char is not None:
        sequences = [[start_char] + [w + index_from for w in seq] for seq in sequences]
    else:
        sequences = [[w + index_from for w in seq] for seq in sequences]
    if maxlen:
        kept = [i for i, seq in enumerate(sequences) if len(seq) < maxlen]
        sequences = [sequences[i] for i in kept]
        labels = labels[kept]
    return sequences, labels


def limit_vocabulary(sequences, num_words, skip_top, oov_char):
    """Replaces words outside `[skip_top, num_words)` by `oov_char`, or drops
    them when `oov_char` is None. Without `num_words`, the bound is the
    largest index present (exclusive, as in Keras)."""
    if not num_words:
        num_words = max((max(seq) for seq in sequences if seq), default=0)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in seq]
                for seq in sequences]
    return [[w for w in seq if skip_top <= w < num_words] for seq in sequences]


def object_array(sequences):
    """A 1-D object array of lists (NumPy would make a 2-D array of equal-length lists)."""
    array = np.empty(len(sequences), dtype="object")
    array[:] = [list(seq) for seq in sequences]
    return array
