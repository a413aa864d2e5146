"""The contract's ``fft`` family over ``torch.fft``.

Pairs are joined with ``torch.complex`` and split with ``.real``/``.imag``
(autograd flows through all of them). float16/bfloat16 compute in float32
and are cast back: torch's half-precision FFT needs CUDA and power-of-two
sizes. ``norm="backward"`` is torch's default, as NumPy's.
"""
import torch

from kfacade.backend.contract import FAMILIES

from ._helpers import _float, _t

__all__ = list(FAMILIES["fft"])


def fft(real, imag):
    return _complex_op(lambda z: torch.fft.fft(z, dim=-1), real, imag)


def fft2(real, imag):
    return _complex_op(lambda z: torch.fft.fft2(z, dim=(-2, -1)), real, imag)


def ifft2(real, imag):
    return _complex_op(lambda z: torch.fft.ifft2(z, dim=(-2, -1)), real, imag)


def rfft(x, fft_length=None):
    x = _float(_t(x))
    dtype = x.dtype
    out = torch.fft.rfft(x.to(_compute_dtype(dtype)), n=fft_length, dim=-1)
    return out.real.to(dtype), out.imag.to(dtype)


def irfft(real, imag, fft_length=None):
    real, imag = _float(_t(real)), _float(_t(imag))
    dtype = real.dtype
    compute = _compute_dtype(dtype)
    out = torch.fft.irfft(torch.complex(real.to(compute), imag.to(compute)), n=fft_length, dim=-1)
    return out.to(dtype)


def _compute_dtype(dtype):
    return torch.float64 if dtype == torch.float64 else torch.float32


def _complex_op(transform, real, imag):
    """``transform`` of ``real + i*imag``, split back into parts of `real`'s dtype."""
    real, imag = _float(_t(real)), _float(_t(imag))
    dtype = real.dtype
    compute = _compute_dtype(dtype)
    out = transform(torch.complex(real.to(compute), imag.to(compute)))
    return out.real.to(dtype), out.imag.to(dtype)
