"""The contract's ``fft`` family over ``tf.signal``.

TF transforms complex64/complex128 tensors; the contract's pairs are built
with ``tf.complex`` and split with ``tf.math.real``/``imag``, all of which
carry gradients. float16/bfloat16 compute in float32 and are cast back (TF
has no half-precision FFT kernel). ``tf.signal.rfft``/``irfft`` take the
length as a one-element list; their default `fft_length` is NumPy's.
"""
import tensorflow as tf

from kfacade.backend.contract import FAMILIES

from ._helpers import _float

__all__ = list(FAMILIES["fft"])

_WIDE = {tf.float64: tf.float64}


def fft(real, imag):
    return _complex_op(tf.signal.fft, real, imag)


def fft2(real, imag):
    return _complex_op(tf.signal.fft2d, real, imag)


def ifft2(real, imag):
    return _complex_op(tf.signal.ifft2d, real, imag)


def rfft(x, fft_length=None):
    x = _float(x)
    dtype = x.dtype
    x = tf.cast(x, _WIDE.get(dtype, tf.float32))
    if fft_length is None:
        fft_length = x.shape[-1]
    out = tf.signal.rfft(x, fft_length=[fft_length])
    return tf.cast(tf.math.real(out), dtype), tf.cast(tf.math.imag(out), dtype)


def irfft(real, imag, fft_length=None):
    real, imag = _float(real), _float(imag)
    dtype = real.dtype
    compute = _WIDE.get(dtype, tf.float32)
    if fft_length is None:
        fft_length = 2 * (real.shape[-1] - 1)
    out = tf.signal.irfft(tf.complex(tf.cast(real, compute), tf.cast(imag, compute)),
                          fft_length=[fft_length])
    return tf.cast(out, dtype)


def _complex_op(transform, real, imag):
    """``transform`` of ``real + i*imag``, split back into parts of `real`'s dtype."""
    real, imag = _float(real), _float(imag)
    dtype = real.dtype
    compute = _WIDE.get(dtype, tf.float32)
    out = transform(tf.complex(tf.cast(real, compute), tf.cast(imag, compute)))
    return tf.cast(tf.math.real(out), dtype), tf.cast(tf.math.imag(out), dtype)
