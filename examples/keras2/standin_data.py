"""Offline stand-ins for the data sets of Keras 2's example programs.

Each ``*_load_data`` returns what ``keras.datasets.<name>.load_data()``
returns (same structure, dtypes and per-sample shapes) but with a few hundred
synthetic samples made from a fixed seed, so the programs run offline in
seconds. The samples carry a learnable signal (class prototypes, class
keywords), so a short training run lowers the loss.
"""
import numpy as np


def _split(x, y, n_test):
    return (x[n_test:], y[n_test:]), (x[:n_test], y[:n_test])


def _images(rng, n, shape, num_classes, labels_shape):
    """uint8 images: a per-class random prototype plus noise."""
    prototypes = rng.uniform(0, 255, size=(num_classes,) + shape)
    y = rng.permutation(np.arange(n) % num_classes)  # balanced classes
    noise = rng.normal(0, 40, size=(n,) + shape)
    x = np.clip(prototypes[y] * 0.7 + noise + 30, 0, 255).astype("uint8")
    return x, y.astype("uint8").reshape((n,) + labels_shape)


def mnist_load_data(n=256, n_test=64, seed=0):
    """Like ``mnist.load_data()``: uint8 ``(n, 28, 28)`` images, uint8 labels 0-9."""
    x, y = _images(np.random.RandomState(seed), n + n_test, (28, 28), 10, ())
    return _split(x, y, n_test)


def cifar10_load_data(n=192, n_test=64, seed=0):
    """Like ``cifar10.load_data()``: uint8 ``(n, 32, 32, 3)`` images, labels ``(n, 1)``."""
    x, y = _images(np.random.RandomState(seed), n + n_test, (32, 32, 3), 10, (1,))
    return _split(x, y, n_test)


def _documents(rng, n, num_words, num_classes, min_len, max_len, start_char=1, index_from=3):
    """Lists of word indices, as Keras's text data sets give them: each row
    starts with `start_char`; words of a class's keyword set are more frequent."""
    y = rng.randint(0, num_classes, size=n)
    first = index_from + 1
    keywords = rng.randint(first, num_words, size=(num_classes, 8))
    docs = np.empty(n, dtype=object)
    for i in range(n):
        length = rng.randint(min_len, max_len + 1)
        words = rng.randint(first, num_words, size=length)
        marked = rng.rand(length) < 0.3
        words[marked] = rng.choice(keywords[y[i]], size=int(marked.sum()))
        docs[i] = [start_char] + words.tolist()
    return docs, y


def imdb_load_data(num_words=5000, n=256, n_test=64, seed=0):
    """Like ``imdb.load_data(num_words=...)``: object arrays of int lists, labels 0/1."""
    x, y = _documents(np.random.RandomState(seed), n + n_test, num_words, 2, 20, 120)
    return _split(x, y.astype("int64"), n_test)


def reuters_load_data(num_words=1000, n=320, n_test=64, seed=0):
    """Like ``reuters.load_data(num_words=...)``: int lists, labels among 46 topics."""
    x, y = _documents(np.random.RandomState(seed), n + n_test, num_words, 46, 10, 80)
    return _split(x, y.astype("int64"), n_test)


def text_corpus(n_chars=3000, seed=0):
    """A lower-case text of words drawn from a small vocabulary (for char-RNNs)."""
    rng = np.random.RandomState(seed)
    vocabulary = ["the", "keras", "model", "learns", "to", "write", "text", "one", "character",
                  "at", "a", "time", "and", "then", "samples", "with", "temperature"]
    words, size = [], 0
    while size < n_chars:
        word = vocabulary[rng.randint(len(vocabulary))]
        words.append(word)
        size += len(word) + 1
    return " ".join(words)[:n_chars]
