"""Random ops: stateless TensorFlow samplers seeded through ``kfacade.random.draw_seed``.

The seed comes from a ``SeedGenerator``'s state variable, which the draw
advances, so random ops stay pure (and vary per step) inside a
``tf.function``.
"""
import tensorflow as tf

from kfacade.backend.config import floatx

from .variables import tf_dtype

__all__ = ["random_uniform", "random_normal", "set_global_seed"]

_draw_seed = None  # kfacade.random.draw_seed, imported on first use (circular import)


def stateless_seed(seed):
    """The ``(2,)`` int64 seed a stateless TF sampler takes, drawn from `seed`."""
    global _draw_seed
    if _draw_seed is None:
        from kfacade.random import draw_seed

        _draw_seed = draw_seed
    return tf.cast(_draw_seed(seed), tf.int64)  # int64 keeps every uint32 value


def random_uniform(shape, minval=0.0, maxval=1.0, dtype="float32", seed=None):
    dtype = tf_dtype(dtype or floatx())
    seed = stateless_seed(seed)
    if dtype.is_integer:
        sample_dtype = dtype if dtype in (tf.int32, tf.int64) else tf.int64
        values = tf.random.stateless_uniform(
            shape, seed, minval=int(minval), maxval=int(maxval), dtype=sample_dtype
        )
        return tf.cast(values, dtype)
    return tf.random.stateless_uniform(shape, seed, minval=minval, maxval=maxval, dtype=dtype)


def random_normal(shape, mean=0.0, stddev=1.0, dtype="float32", seed=None):
    return tf.random.stateless_normal(
        shape, stateless_seed(seed), mean=mean, stddev=stddev, dtype=tf_dtype(dtype or floatx())
    )


def set_global_seed(seed):
    tf.random.set_seed(seed)
