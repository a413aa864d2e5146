"""Random ops: JAX keys built from the seeds kfacade draws.

kfacade passes every random op a drawn seed (contract: "Seeds"): a ``(2,)``
uint32 tensor from a ``SeedGenerator``'s state (a traced value inside a
compiled step, so the key changes every step), or a Python int ``s``, which
means the same stream as the tensor ``[0, s]``.
"""
import jax
import jax.numpy as jnp
import numpy as np

from .variables import convert_to_tensor, jax_dtype

__all__ = ["random_uniform", "random_normal", "random_gamma", "random_binomial", "set_global_seed"]


def seed_key(seed):
    """A threefry key from a drawn `seed` (a (2,) uint32 tensor or an int)."""
    if isinstance(seed, int) and not isinstance(seed, bool):
        data = jnp.asarray(np.array([0, seed], dtype="uint32"))
    elif isinstance(seed, jax.Array) and seed.shape == (2,):
        data = convert_to_tensor(seed, dtype="uint32")
    else:
        raise ValueError(
            f"Invalid seed. Received: seed={seed!r}; expected a seed drawn by "
            f"kfacade.random.draw_seed (a (2,) uint32 tensor or an int)."
        )
    # Naming the implementation keeps (2,) uint32 seeds valid whatever
    # jax_default_prng_impl says.
    return jax.random.wrap_key_data(data, impl="threefry2x32")


def _float_dtype(dtype, function):
    result = jax_dtype(dtype)
    if not jnp.issubdtype(result, jnp.floating):
        raise ValueError(f"{function} makes floats. Received: dtype={dtype!r}.")
    return result


def random_uniform(shape, minval=0.0, maxval=1.0, dtype="float32", seed=None):
    dtype = _float_dtype(dtype, "random_uniform")
    return jax.random.uniform(seed_key(seed), tuple(shape), dtype, minval, maxval)


def random_normal(shape, mean=0.0, stddev=1.0, dtype="float32", seed=None):
    dtype = _float_dtype(dtype, "random_normal")
    sample = jax.random.normal(seed_key(seed), tuple(shape), dtype)
    return sample * jnp.asarray(stddev, dtype) + jnp.asarray(mean, dtype)


def random_gamma(shape, alpha, dtype="float32", seed=None):
    dtype = _float_dtype(dtype, "random_gamma")
    return jax.random.gamma(seed_key(seed), jnp.asarray(alpha, dtype), tuple(shape), dtype)


def random_binomial(shape, counts, probabilities, dtype="float32", seed=None):
    dtype = jax_dtype(dtype)
    # Sampled in a float dtype, then cast: jax.random.binomial makes floats.
    sample_dtype = dtype if jnp.issubdtype(dtype, jnp.floating) else jnp.float32
    counts = jnp.asarray(counts, sample_dtype)
    probabilities = jnp.asarray(probabilities, sample_dtype)
    values = jax.random.binomial(seed_key(seed), counts, probabilities, tuple(shape), sample_dtype)
    return values.astype(dtype)


def set_global_seed(seed):
    """Does nothing: JAX has no global generator. kfacade draws unseeded ops'
    seeds itself (``kfacade.random.draw_seed``), from the global seed."""
