"""Random ops: JAX keys built from kfacade's (2,) uint32 seed tensors."""
import jax
import jax.numpy as jnp

from .variables import convert_to_tensor, jax_dtype

__all__ = ["random_uniform", "random_normal", "set_global_seed"]

_draw_seed = None  # kfacade.random.draw_seed, imported on first use (circular import)


def seed_key(seed):
    """A threefry key from `seed` (SeedGenerator, int or None), traceable under jit."""
    global _draw_seed
    if _draw_seed is None:
        from kfacade.random import draw_seed

        _draw_seed = draw_seed
    data = convert_to_tensor(_draw_seed(seed), dtype="uint32")
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


def set_global_seed(seed):
    """Does nothing: JAX has no global generator. Every random op draws its key
    from ``kfacade.random.draw_seed``, which the global seed already governs."""
