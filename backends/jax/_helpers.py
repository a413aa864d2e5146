"""Private helpers shared by the JAX adapter's ``numpy.py``, ``nn.py`` and ``core.py``.

Python scalars are passed to jax.numpy untouched: JAX's weak typing then
gives them the other operand's dtype (``add(float16_tensor, 1.5)`` stays
float16), which is the contract's rule for scalars.
"""
import jax
import numpy as np

from kfacade.backend.config import floatx

from .variables import ArrayImpl, convert_to_tensor, jax_dtype


# What jax.numpy takes as is; Python scalars stay weakly typed.
_NATIVE = (jax.Array, np.ndarray, np.generic, bool, int, float, complex)


def _t(x):
    """`x` as something jax.numpy accepts: Variables read, lists converted."""
    if type(x) is ArrayImpl or isinstance(x, _NATIVE):
        return x
    return convert_to_tensor(x)


def _dt(dtype):
    return jax_dtype(dtype if dtype is not None else floatx())
