"""The optional ``eval_shape`` hook: a symbolic call's output shapes from
``jax.eval_shape``, with no XLA compilation (an eager op compiles once per
new shape, which made building models on JAX slow)."""
import jax

from .variables import dtype, jax_dtype

__all__ = ["eval_shape"]


def eval_shape(fn, specs):
    """See ``kfacade.backend.contract.OPTIONAL_HOOKS``."""
    structs = [jax.ShapeDtypeStruct(shape, jax_dtype(name)) for shape, name in specs]
    outputs = jax.eval_shape(lambda tensors: fn(list(tensors)), structs)
    return [None if out is None else (tuple(out.shape), dtype(out)) for out in outputs]
