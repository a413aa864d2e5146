"""IMDB movie reviews labelled by sentiment, as word-index sequences, as Keras loads them."""
import json

import numpy as np

from kfacade.datasets._processing import limit_vocabulary, object_array, shift_and_filter
from kfacade.datasets._readers import load_npz
from kfacade.utils.file_utils import get_file

__all__ = ["load_data", "get_word_index"]

ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
ORIGIN = ORIGIN_FOLDER + "imdb.npz"
FILE_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX_ORIGIN = ORIGIN_FOLDER + "imdb_word_index.json"
WORD_INDEX_HASH = "bfafd718b763782e994055a2d397834f"  # md5, as Keras checks it


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113,
              start_char=1, oov_char=2, index_from=3):
    """Loads the IMDB data set: 25,000 training and 25,000 test reviews.

    Each review is a list of word indices; a word's index is its frequency
    rank in the training set (1 = most frequent), shifted by `index_from`,
    and 0 is never a word (it is the padding value). The file (17 MB) is
    downloaded once to `$KERAS_HOME/datasets` and checked against its
    SHA-256; its object arrays are read without `allow_pickle=True`.

    Args:
        path: File name in the cache folder, or an absolute path to a copy.
        num_words: Keep the `num_words` most frequent words; the others
            become `oov_char`. None keeps all.
        skip_top: The `skip_top` most frequent words also become `oov_char`.
        maxlen: Keep only reviews shorter than `maxlen` (after `start_char`).
        seed: Seed of the shuffle of each split.
        start_char: Index marking the start of each review (None: none).
        oov_char: Index of the words cut by `num_words`/`skip_top` (None:
            drop them).
        index_from: Offset added to every word index.

    Returns:
        Tuple `(x_train, y_train), (x_test, y_test)`: `x_*` 1-D object
        arrays of lists of ints, `y_*` int arrays of 0 (negative) and 1
        (positive).

    Raises:
        ValueError: if `maxlen` leaves a split empty.

    Example:

    ```python
    (x_train, y_train), _ = imdb.load_data(num_words=10000)
    assert max(max(review) for review in x_train) < 10000
    ```
    """
    path = get_file(fname=path, origin=ORIGIN, file_hash=FILE_HASH)
    arrays = load_npz(path)
    x_train, labels_train = arrays["x_train"], arrays["y_train"]
    x_test, labels_test = arrays["x_test"], arrays["y_test"]

    rng = np.random.RandomState(seed)
    indices = np.arange(len(x_train))
    rng.shuffle(indices)
    x_train, labels_train = x_train[indices], labels_train[indices]
    indices = np.arange(len(x_test))
    rng.shuffle(indices)
    x_test, labels_test = x_test[indices], labels_test[indices]

    x_train, labels_train = shift_and_filter(x_train, labels_train, maxlen, start_char,
                                             index_from)
    x_test, labels_test = shift_and_filter(x_test, labels_test, maxlen, start_char, index_from)
    if maxlen and (not x_train or not x_test):
        raise ValueError(
            f"After keeping the reviews shorter than maxlen={maxlen}, no review is left "
            "in one of the splits. Increase maxlen."
        )
    sequences = limit_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    split = len(x_train)
    return ((object_array(sequences[:split]), labels_train),
            (object_array(sequences[split:]), labels_test))


def get_word_index(path="imdb_word_index.json"):
    """Returns IMDB's `{word: index}` (index 1 is the most frequent word;
    add `index_from` to match `load_data`'s sequences).

    Args:
        path: File name in the cache folder, or an absolute path to a copy.

    Example:

    ```python
    index = imdb.get_word_index()
    words = {i + 3: word for word, i in index.items()}
    (x_train, _), _ = imdb.load_data()
    print(" ".join(words.get(i, "?") for i in x_train[0][1:]))
    ```
    """
    path = get_file(fname=path, origin=WORD_INDEX_ORIGIN, file_hash=WORD_INDEX_HASH)
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)
