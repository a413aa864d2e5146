"""Seeds for random ops that stay pure inside compiled steps.

A ``SeedGenerator`` keeps its state in a non-trainable uint32 ``Variable``;
``draw_seed`` returns the current ``(2,)`` seed and advances the state, so a
JAX or TensorFlow step threads randomness through its state like any other
variable. Layers own their generators (``Dropout`` has one), which makes
the layer's non-trainable state include them.
"""
import numpy as np

from kfacade.backend.active import adapter as _B

_global_seed = [None]


def set_global_seed(seed):
    """Seeds generators created without an explicit seed from here on."""
    _global_seed[0] = None if seed is None else int(seed)
    _counter[0] = 0


_counter = [0]


def _fresh_seed():
    if _global_seed[0] is None:
        return int(np.random.randint(0, 2**31 - 1))
    _counter[0] += 1
    return (_global_seed[0] * 1000003 + _counter[0]) % (2**31 - 1)


class SeedGenerator:
    """A stream of seeds for random ops.

    Args:
        seed: an int for a reproducible stream; None draws one (from the
            global seed when ``kfacade.utils.set_random_seed`` was called).

    Example:
        >>> gen = SeedGenerator(42)
        >>> kfacade.random.uniform((2, 2), seed=gen)
    """

    def __init__(self, seed=None, name=None):
        from kfacade.variables import Variable

        self.initial_seed = _fresh_seed() if seed is None else int(seed)
        self.state = Variable(
            np.array([0, self.initial_seed], dtype="uint32"),
            dtype="uint32",
            trainable=False,
            name=name or "seed_generator_state",
        )

    def next(self):
        """The current seed as a (2,) uint32 tensor; advances the state."""
        # A snapshot, not the live storage: on TensorFlow the value read from a
        # tf.Variable would otherwise already show the increment below.
        seed = _B.convert_to_tensor(self.state.value, dtype="uint32")
        self.state.assign(_B.add(seed, np.array([1, 0], dtype="uint32")))
        return seed


def draw_seed(seed):
    """A (2,) uint32 seed tensor from a SeedGenerator, an int or None."""
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if seed is None:
        seed = _fresh_seed()
    return _B.convert_to_tensor(np.array([0, int(seed)], dtype="uint32"), dtype="uint32")


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Uniform random values in [minval, maxval)."""
    from kfacade.backend.config import floatx

    return _B.random_uniform(tuple(shape), minval, maxval, dtype or floatx(), seed)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal random values."""
    from kfacade.backend.config import floatx

    return _B.random_normal(tuple(shape), mean, stddev, dtype or floatx(), seed)
