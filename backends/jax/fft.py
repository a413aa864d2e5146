"""The contract's ``fft`` family over ``jax.numpy.fft``.

Pairs are joined with ``jax.lax.complex`` and split with ``jnp.real``/``imag``
(differentiable). float16/bfloat16 compute in float32 and are cast back
(XLA's FFT takes complex64/complex128 only); without x64 a float64 input
was already narrowed to float32 by ``convert_to_tensor``.
"""
import jax
import jax.numpy as jnp

from kfacade.backend.contract import FAMILIES

from ._helpers import _dt, _t

__all__ = list(FAMILIES["fft"])


def fft(real, imag):
    return _complex_op(lambda z: jnp.fft.fft(z, axis=-1), real, imag)


def fft2(real, imag):
    return _complex_op(lambda z: jnp.fft.fft2(z, axes=(-2, -1)), real, imag)


def ifft2(real, imag):
    return _complex_op(lambda z: jnp.fft.ifft2(z, axes=(-2, -1)), real, imag)


def rfft(x, fft_length=None):
    x = _float(x)
    dtype = x.dtype
    out = jnp.fft.rfft(x.astype(_compute_dtype(dtype)), n=fft_length, axis=-1)
    return jnp.real(out).astype(dtype), jnp.imag(out).astype(dtype)


def irfft(real, imag, fft_length=None):
    real, imag = _float(real), _float(imag)
    dtype = real.dtype
    compute = _compute_dtype(dtype)
    out = jnp.fft.irfft(jax.lax.complex(real.astype(compute), imag.astype(compute)),
                        n=fft_length, axis=-1)
    return out.astype(dtype)


def _float(x):
    x = _t(x)
    return x if jnp.issubdtype(x.dtype, jnp.floating) else x.astype(_dt(None))


def _compute_dtype(dtype):
    return jnp.float64 if dtype == jnp.float64 else jnp.float32


def _complex_op(transform, real, imag):
    """``transform`` of ``real + i*imag``, split back into parts of `real`'s dtype."""
    real, imag = _float(real), _float(imag)
    dtype = real.dtype
    compute = _compute_dtype(dtype)
    out = transform(jax.lax.complex(real.astype(compute), imag.astype(compute)))
    return jnp.real(out).astype(dtype), jnp.imag(out).astype(dtype)
