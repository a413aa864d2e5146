"""The contract's ``linalg`` family over ``jax.numpy.linalg`` and ``jax.scipy.linalg``.

``jnp.linalg`` already follows NumPy (results are named tuples, returned
here as plain tuples); ``jax.scipy.linalg.solve_triangular`` reads a `b` of
shape ``a.shape[:-1]`` as a batch of vectors, where NumPy's rule reads only a
1-D `b` as a vector. Integer input computes in floatx.
"""
import jax
import jax.numpy as jnp
import jax.scipy.linalg

from kfacade.backend.contract import FAMILIES

from ._helpers import _dt, _t
from .variables import convert_to_tensor

__all__ = list(FAMILIES["linalg"])


def cholesky(x, upper=False):
    # Not positive definite: the factor is NaN.
    return jnp.linalg.cholesky(_float(x), upper=upper)


def det(x):
    return jnp.linalg.det(_float(x))


def slogdet(x):
    sign, log_abs_det = jnp.linalg.slogdet(_float(x))
    return sign, log_abs_det


def eigh(x):
    eigenvalues, eigenvectors = jnp.linalg.eigh(_float(x))  # ascending, as NumPy
    return eigenvalues, eigenvectors


def inv(x):
    return jnp.linalg.inv(_float(x))


def lu_factor(x):
    # lax's kernel batches over leading axes; its pivots are LAPACK's, 0-based.
    lu, pivots, _ = jax.lax.linalg.lu(_float(x))
    return lu, pivots.astype(jnp.int32)


def qr(x, mode="reduced"):
    q, r = jnp.linalg.qr(_float(x), mode=mode)
    return q, r


def solve(a, b):
    a, b = _float_pair(a, b)
    return jnp.linalg.solve(a, b)


def solve_triangular(a, b, lower=False):
    a, b = _float_pair(a, b)
    vector = b.ndim == 1
    if vector:
        b = b[:, None]
    batch = jnp.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = jnp.broadcast_to(a, batch + a.shape[-2:])
    b = jnp.broadcast_to(b, batch + b.shape[-2:])
    x = jax.scipy.linalg.solve_triangular(a, b, lower=lower)
    return x[..., 0] if vector else x


def svd(x, full_matrices=True, compute_uv=True):
    result = jnp.linalg.svd(_float(x), full_matrices=full_matrices, compute_uv=compute_uv)
    return tuple(result) if compute_uv else result


# ------------------------------------------------------------------ helpers


def _array(x):
    x = _t(x)
    return x if isinstance(x, jax.Array) else convert_to_tensor(x)


def _float(x):
    """`x` as an array, cast to floatx unless floating (jnp.linalg would
    pick its own default float)."""
    x = _array(x)
    return x if jnp.issubdtype(x.dtype, jnp.inexact) else x.astype(_dt(None))


def _float_pair(a, b):
    a, b = _array(a), _array(b)
    dtype = jnp.result_type(a, b)
    if not jnp.issubdtype(dtype, jnp.inexact):
        dtype = _dt(None)
    return a.astype(dtype), b.astype(dtype)
