"""The examples' data: the real Keras data set when it is in the cache, else an offline stand-in.

`load(name, full=...)` returns what `keras.datasets.<name>.load_data()` returns
(same structure, dtypes and per-sample shapes) and says first which data it
is. The real data set is used when its file is already in
`$KERAS_HOME/datasets` (default `~/.keras/datasets`) or when `full=True`
(which downloads it); otherwise a stand-in made here, with no network:

- mnist: the 1,797 real 8x8 digits bundled with scikit-learn, upscaled
  (bilinear) to 20x20 and centred in 28x28 as MNIST's digits are, 0-255 uint8.
- cifar10: 32x32 colour images of 10 kinds of shapes (disc, square, ring,
  stripes...), each in a random colour, place and size over a noisy background.
- imdb: reviews of random words where a positive or a negative vocabulary
  is a little more frequent.
- reuters: newswires of random words where each of the 46 topics has its
  own keywords.
- text: the Zen of Python (the standard library's `this` module).
"""
import codecs
import contextlib
import io
import os

import numpy as np

import kfacade as keras
from kfacade.utils.image_resize import resize_image

#: The file or folder that `keras.datasets.<name>.load_data()` leaves in the cache.
CACHED_AS = {
    "mnist": "mnist.npz",
    "cifar10": "cifar-10-batches-py-target",
    "imdb": "imdb.npz",
    "reuters": "reuters.npz",
}


def in_cache_file(filename):
    """Whether `$KERAS_HOME/datasets/<filename>` (default `~/.keras`) exists."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return os.path.exists(os.path.join(home, "datasets", filename))


def in_cache(name):
    """Whether `keras.datasets.<name>` has its file in the cache already."""
    return in_cache_file(CACHED_AS[name])


def load(name, full=False, **kwargs):
    """`keras.datasets.<name>.load_data(**kwargs)` when `full` or cached, else the stand-in.

    Returns:
        `((x_train, y_train), (x_test, y_test), description)`.
    """
    if full or in_cache(name):
        print(f"Data: the real {name} data set (keras.datasets.{name}).", flush=True)
        data = getattr(keras.datasets, name).load_data(**kwargs)
        return data + (f"the real {name}",)
    description = STANDINS[name].__doc__.splitlines()[0]
    print(f"Data: OFFLINE STAND-IN for {name}: {description} The real data set is not in "
          f"the cache; --full downloads and trains on it.", flush=True)
    return STANDINS[name](**kwargs) + (f"the {name} stand-in",)


def mnist_standin():
    """the bundled 8x8 digits (scikit-learn) upscaled to 28x28."""
    (x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()

    def upscale(images):
        # All images at once: the samples ride on the channel axis.
        big = resize_image(np.transpose(images, (1, 2, 0)), (20, 20))
        big = np.pad(np.transpose(big, (2, 0, 1)), ((0, 0), (4, 4), (4, 4)))
        return np.clip(np.round(big * (255.0 / 16.0)), 0, 255).astype("uint8")

    return ((upscale(x_train), y_train.astype("uint8")),
            (upscale(x_test), y_test.astype("uint8")))


def _shape_mask(kind, size, row, col, radius):
    rr, cc = np.mgrid[:size, :size]
    dr, dc = rr - row, cc - col
    distance = np.sqrt(dr ** 2 + dc ** 2)
    box = (np.abs(dr) <= radius) & (np.abs(dc) <= radius)
    masks = {
        0: distance <= radius,                                        # disc
        1: box,                                                       # square
        2: (distance <= radius) & (distance >= radius * 0.55),        # ring
        3: box & ((rr // 2) % 2 == 0),                                # horizontal stripes
        4: box & ((cc // 2) % 2 == 0),                                # vertical stripes
        5: box & (((rr // 2) + (cc // 2)) % 2 == 0),                  # checkerboard
        6: (np.abs(dr) <= radius * 0.3) & box | (np.abs(dc) <= radius * 0.3) & box,  # cross
        7: box & (dr >= dc),                                          # triangle
        8: box & (np.abs(dr - dc) <= 1.5),                            # diagonal
        9: box & ~((np.abs(dr) <= radius * 0.5) & (np.abs(dc) <= radius * 0.5)),  # frame
    }
    return masks[kind]


def cifar10_standin(n_train=1200, n_test=300, seed=0):
    """32x32 colour images of 10 kinds of shapes in random colours and places."""
    rng = np.random.RandomState(seed)
    n = n_train + n_test
    labels = rng.permutation(np.arange(n) % 10)
    images = rng.randint(0, 60, size=(n, 32, 32, 3)).astype("float32")  # noisy background
    for i, kind in enumerate(labels):
        radius = rng.randint(6, 11)
        row, col = rng.randint(radius, 32 - radius, size=2)
        colour = rng.randint(90, 256, size=3)
        images[i][_shape_mask(kind, 32, row, col, radius)] = colour
    images = images.astype("uint8")
    labels = labels.astype("uint8").reshape(n, 1)
    return (images[:n_train], labels[:n_train]), (images[n_train:], labels[n_train:])


def _documents(rng, labels, keywords, num_words, lengths, index_from=3):
    """Word-index lists starting with 1 (start_char), 30% of words from the label's keywords."""
    docs = np.empty(len(labels), dtype=object)
    for i, label in enumerate(labels):
        words = rng.randint(index_from + 1, num_words, size=rng.randint(*lengths))
        marked = rng.rand(len(words)) < 0.3
        words[marked] = rng.choice(keywords[label], size=int(marked.sum()))
        docs[i] = [1] + words.tolist()
    return docs


def imdb_standin(num_words=5000, n_train=2000, n_test=500, seed=0):
    """synthetic reviews where a positive or a negative vocabulary is more frequent."""
    rng = np.random.RandomState(seed)
    labels = rng.randint(0, 2, size=n_train + n_test).astype("int64")
    keywords = rng.randint(4, num_words, size=(2, 40))
    docs = _documents(rng, labels, keywords, num_words, (40, 200))
    return (docs[:n_train], labels[:n_train]), (docs[n_train:], labels[n_train:])


def reuters_standin(num_words=1000, test_split=0.2, n=2000, seed=0):
    """synthetic newswires with keywords for each of the 46 topics."""
    rng = np.random.RandomState(seed)
    labels = rng.randint(0, 46, size=n).astype("int64")
    keywords = rng.randint(4, num_words, size=(46, 12))
    docs = _documents(rng, labels, keywords, num_words, (20, 120))
    split = int(n * (1 - test_split))
    return (docs[:split], labels[:split]), (docs[split:], labels[split:])


STANDINS = {"mnist": mnist_standin, "cifar10": cifar10_standin, "imdb": imdb_standin,
            "reuters": reuters_standin}


def zen_of_python():
    """The Zen of Python, from the standard library's `this` module (lower-cased)."""
    with contextlib.redirect_stdout(io.StringIO()):  # importing `this` prints it
        import this
    return codecs.decode(this.s, "rot13").lower()
