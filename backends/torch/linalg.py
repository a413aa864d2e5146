"""The contract's ``linalg`` family over ``torch.linalg``.

The ``*_ex`` kernels are used where torch has them: they report a failed
factorisation in an ``info`` tensor instead of raising, so a CUDA call does
not wait for the device to check it (the contract leaves such input
unchecked). Integer input computes in floatx.
"""
import torch

from kfacade.backend.contract import FAMILIES

from ._helpers import _float, _promoted, _t

__all__ = list(FAMILIES["linalg"])


def cholesky(x, upper=False):
    factor, info = torch.linalg.cholesky_ex(_float(_t(x)), upper=upper)
    # Not positive definite: torch leaves a partly computed factor; NaN, as
    # TF and JAX give, says so.
    return factor.masked_fill(info[..., None, None] > 0, float("nan"))


def det(x):
    return torch.linalg.det(_float(_t(x)))


def slogdet(x):
    sign, log_abs_det = torch.linalg.slogdet(_float(_t(x)))
    return sign, log_abs_det


def eigh(x):
    eigenvalues, eigenvectors = torch.linalg.eigh(_float(_t(x)))  # ascending, as NumPy
    return eigenvalues, eigenvectors


def inv(x):
    return torch.linalg.inv_ex(_float(_t(x)))[0]


def lu_factor(x):
    # `_ex`: a singular matrix is no error (nor a device sync); torch's
    # pivots are 1-based.
    lu, pivots, _ = torch.linalg.lu_factor_ex(_float(_t(x)))
    return lu, (pivots - 1).to(torch.int32)


def qr(x, mode="reduced"):
    q, r = torch.linalg.qr(_float(_t(x)), mode=mode)
    return q, r


def solve(a, b):
    return _solve_with(lambda a, b: torch.linalg.solve_ex(a, b)[0], a, b)


def solve_triangular(a, b, lower=False):
    return _solve_with(lambda a, b: torch.linalg.solve_triangular(a, b, upper=not lower), a, b)


def svd(x, full_matrices=True, compute_uv=True):
    x = _float(_t(x))
    if not compute_uv:
        return torch.linalg.svdvals(x)
    u, s, vh = torch.linalg.svd(x, full_matrices=full_matrices)
    return u, s, vh


# ------------------------------------------------------------------ helpers


def _solve_with(kernel, a, b):
    """``kernel(a, b)`` for a matrix `b`, or for a 1-D `b` as a vector.

    NumPy's rule: only a 1-D `b` is a vector. torch also reads a `b` of shape
    ``a.shape[:-1]`` as a batch of vectors, and ``solve_triangular`` takes no
    vector at all, so `b` reaches the kernel as a matrix of `a`'s rank.
    """
    a, b = (_float(t) for t in _promoted(_t(a), _t(b)))
    vector = b.ndim == 1
    if vector:
        b = b[:, None]
    if a.ndim < b.ndim:
        a = a.reshape((1,) * (b.ndim - a.ndim) + a.shape)
    elif b.ndim < a.ndim:
        b = b.reshape((1,) * (a.ndim - b.ndim) + b.shape)
    x = kernel(a, b)
    return x[..., 0] if vector else x
