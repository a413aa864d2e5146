"""Reuters newswires labelled over 46 topics, as word-index sequences, as Keras loads them."""
import json

import numpy as np

from kfacade.datasets._processing import (check_test_split, limit_vocabulary, object_array,
                                          shift_and_filter)
from kfacade.datasets._readers import load_npz
from kfacade.utils.file_utils import get_file

__all__ = ["load_data", "get_word_index", "get_label_names"]

ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
ORIGIN = ORIGIN_FOLDER + "reuters.npz"
FILE_HASH = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
WORD_INDEX_ORIGIN = ORIGIN_FOLDER + "reuters_word_index.json"
WORD_INDEX_HASH = "4d44cc38712099c9e383dc6e5f11a921"  # md5, as Keras checks it

_LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing",
    "money-supply", "coffee", "sugar", "trade", "reserves", "ship", "cotton", "carcass",
    "crude", "nat-gas", "cpi", "money-fx", "interest", "gnp", "meal-feed", "alum",
    "oilseed", "gold", "tin", "strategic-metal", "livestock", "retail", "ipi",
    "iron-steel", "rubber", "heat", "jobs", "lei", "bop", "zinc", "orange", "pet-chem",
    "dlr", "gas", "silver", "wpi", "hog", "lead",
)


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2,
              seed=113, start_char=1, oov_char=2, index_from=3):
    """Loads the Reuters data set: 11,228 newswires labelled over 46 topics.

    Each newswire is a list of word indices (frequency ranks, shifted by
    `index_from`; 0 is the padding value). The file (2 MB) is downloaded
    once to `$KERAS_HOME/datasets` and checked against its SHA-256; its
    object arrays are read without `allow_pickle=True`.

    Args:
        path: File name in the cache folder, or an absolute path to a copy.
        num_words: Keep the `num_words` most frequent words; the others
            become `oov_char`. None keeps all.
        skip_top: The `skip_top` most frequent words also become `oov_char`.
        maxlen: Keep only newswires shorter than `maxlen`.
        test_split: Fraction of the newswires kept for the test set.
        seed: Seed of the shuffle before the split.
        start_char: Index marking the start of each newswire (None: none).
        oov_char: Index of the words cut by `num_words`/`skip_top` (None:
            drop them).
        index_from: Offset added to every word index.

    Returns:
        Tuple `(x_train, y_train), (x_test, y_test)`: `x_*` 1-D object
        arrays of lists of ints, `y_*` int arrays of topics 0-45 (named by
        `get_label_names()`).

    Example:

    ```python
    (x_train, y_train), (x_test, y_test) = reuters.load_data(num_words=10000)
    print(reuters.get_label_names()[y_train[0]])
    ```
    """
    check_test_split(test_split)
    path = get_file(fname=path, origin=ORIGIN, file_hash=FILE_HASH)
    arrays = load_npz(path)
    xs, labels = arrays["x"], arrays["y"]
    indices = np.arange(len(xs))
    np.random.RandomState(seed).shuffle(indices)
    xs, labels = shift_and_filter(xs[indices], labels[indices], maxlen, start_char, index_from)
    xs = limit_vocabulary(xs, num_words, skip_top, oov_char)
    split = int(len(xs) * (1 - test_split))
    return ((object_array(xs[:split]), np.array(labels[:split])),
            (object_array(xs[split:]), np.array(labels[split:])))


def get_word_index(path="reuters_word_index.json"):
    """Returns Reuters' `{word: index}` (index 1 is the most frequent word;
    add `index_from` to match `load_data`'s sequences).

    Args:
        path: File name in the cache folder, or an absolute path to a copy.
    """
    path = get_file(fname=path, origin=WORD_INDEX_ORIGIN, file_hash=WORD_INDEX_HASH)
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def get_label_names():
    """Returns the 46 topic names, indexed as `load_data`'s labels."""
    return _LABEL_NAMES
