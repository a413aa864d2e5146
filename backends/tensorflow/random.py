"""Random ops: stateless TensorFlow samplers seeded by the seeds kfacade draws.

kfacade passes every random op a drawn seed (contract: "Seeds"): a ``(2,)``
uint32 tensor from a ``SeedGenerator``'s state variable, which the draw
advances, so random ops stay pure (and vary per step) inside a
``tf.function``; or a Python int ``s``, the same stream as ``[0, s]``.
"""
import tensorflow as tf

from kfacade.backend.config import floatx

from .variables import tf_dtype

__all__ = ["random_uniform", "random_normal", "random_gamma", "random_binomial", "set_global_seed"]


def stateless_seed(seed):
    """The ``(2,)`` int64 seed a stateless TF sampler takes, from a drawn `seed`."""
    if isinstance(seed, int) and not isinstance(seed, bool):
        return tf.constant([0, seed], tf.int64)
    if isinstance(seed, (tf.Tensor, tf.Variable)) and tuple(seed.shape) == (2,):
        return tf.cast(seed, tf.int64)  # int64 keeps every uint32 value
    raise ValueError(
        f"Invalid seed. Received: seed={seed!r}; expected a seed drawn by "
        f"kfacade.random.draw_seed (a (2,) uint32 tensor or an int)."
    )


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


def random_gamma(shape, alpha, dtype="float32", seed=None):
    dtype = tf_dtype(dtype or floatx())
    if not dtype.is_floating:
        raise ValueError(f"random_gamma makes floats. Received: dtype={dtype.name!r}")
    # stateless_gamma has no bfloat16 kernel: sample in float32, then cast.
    sample_dtype = tf.float32 if dtype == tf.bfloat16 else dtype
    alpha = tf.cast(alpha, sample_dtype)
    return tf.cast(tf.random.stateless_gamma(shape, stateless_seed(seed), alpha=alpha, dtype=sample_dtype), dtype)


def random_binomial(shape, counts, probabilities, dtype="float32", seed=None):
    dtype = tf_dtype(dtype or floatx())
    # The sampler wants counts and probabilities of one float dtype; float32 is exact for counts < 2**24.
    sample_dtype = tf.float64 if dtype == tf.float64 else tf.float32
    counts = tf.cast(counts, sample_dtype)
    probabilities = tf.cast(probabilities, sample_dtype)
    values = tf.random.stateless_binomial(
        shape, stateless_seed(seed), counts, probabilities, output_dtype=sample_dtype
    )
    return tf.cast(values, dtype)


def set_global_seed(seed):
    tf.random.set_seed(seed)
