"""Fourier transforms of ``keras.ops``: ``fft``, ``fft2``, ``ifft2``, ``rfft``, ``irfft``.

kfacade, like Keras, has no complex dtype: a complex tensor is a tuple
``(real, imag)`` of float tensors of one shape, taken and returned as such.
Each op checks its arguments with Keras's messages and calls the adapter's
primitive (the contract's ``fft`` family), which follows ``numpy.fft``
(``norm="backward"``) on the last axis (the last two for ``fft2``/``ifft2``)
and keeps the float dtype. Integer input to ``rfft``/``irfft`` computes in
floatx; a complex pair must already be float, as Keras requires. Gradients
flow through every op. On KerasTensors the output shapes come from a run on
stand-in tensors.
"""
from kfacade.backend.active import adapter as _B
from kfacade.backend.dtypes import is_float_dtype, result_type
from kfacade.ops._composite import floating as _floating, tensor as _tensor
from kfacade.ops.dispatch import symbolic_or

__all__ = ["fft", "fft2", "ifft2", "rfft", "irfft"]

_PAIR_MESSAGE = "Input `x` should be a tuple of two tensors - real and imaginary."


def complex_parts(x):
    """``(real, imag)`` of the complex pair `x` as native float tensors of one
    dtype, or ValueError with Keras's message for anything else."""
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(f"{_PAIR_MESSAGE}Received: x={x}")
    real, imag = (_tensor(part) for part in x)
    real_shape, imag_shape = tuple(_B.shape(real)), tuple(_B.shape(imag))
    if real_shape != imag_shape:
        raise ValueError(
            f"{_PAIR_MESSAGE}Both the real and imaginary parts should have the same shape. "
            f"Received: x[0].shape = {real_shape}, x[1].shape = {imag_shape}")
    dtypes = (_B.dtype(real), _B.dtype(imag))
    if not all(is_float_dtype(dtype) for dtype in dtypes):
        raise ValueError(f"At least one tensor in input `x` is not of type float.Received: x={x}.")
    if dtypes[0] != dtypes[1]:
        dtype = result_type(*dtypes)
        real, imag = _B.cast(real, dtype), _B.cast(imag, dtype)
    return real, imag


def _check_rank(op, x, rank):
    if len(_B.shape(x)) < rank:
        raise ValueError(
            f"{op}: expected input of rank >= {rank}. Received: shape={tuple(_B.shape(x))}")


def _check_length(fft_length):
    if fft_length is not None and (isinstance(fft_length, bool) or int(fft_length) != fft_length
                                   or fft_length < 1):
        raise ValueError(f"`fft_length` must be a positive integer. Received: fft_length={fft_length}")


@symbolic_or
def fft(x):
    """The discrete Fourier transform along the last axis (``numpy.fft.fft``).

    Args:
        x: a tuple `(real, imag)` of float tensors of one shape.

    Returns:
        A tuple `(real, imag)` of the transform, of `x`'s shape and dtype.

    Example:
        >>> real, imag = ops.fft((np.array([1.0, 0.0]), np.zeros(2)))  # [1, 1], [0, 0]
    """
    real, imag = complex_parts(x)
    _check_rank("fft", real, 1)
    return _B.fft(real, imag)


@symbolic_or
def fft2(x):
    """The 2-D discrete Fourier transform over the last two axes (``numpy.fft.fft2``).

    Args:
        x: a tuple `(real, imag)` of float tensors of rank >= 2.

    Returns:
        A tuple `(real, imag)` of `x`'s shape and dtype.
    """
    real, imag = complex_parts(x)
    _check_rank("fft2", real, 2)
    return _B.fft2(real, imag)


@symbolic_or
def ifft2(x):
    """The inverse 2-D Fourier transform over the last two axes, scaled by
    `1 / (M * N)` (``numpy.fft.ifft2``): `ifft2(fft2(x))` is `x`.

    Args:
        x: a tuple `(real, imag)` of float tensors of rank >= 2.

    Returns:
        A tuple `(real, imag)` of `x`'s shape and dtype.
    """
    real, imag = complex_parts(x)
    _check_rank("ifft2", real, 2)
    return _B.ifft2(real, imag)


@symbolic_or
def rfft(x, fft_length=None):
    """The Fourier transform of a real signal along its last axis, keeping the
    `fft_length // 2 + 1` non-negative frequencies (``numpy.fft.rfft``).

    Args:
        x: a real tensor; integers compute in floatx.
        fft_length: the transform length: the signal is cropped or zero-padded
            to it. Defaults to the length of the last axis.

    Returns:
        A tuple `(real, imag)` of shape `x.shape[:-1] + (fft_length // 2 + 1,)`.

    Example:
        >>> real, imag = ops.rfft(np.array([1.0, 2.0, 3.0, 4.0]))  # [10, -2, -2], [0, 2, 0]
    """
    _check_length(fft_length)
    x = _floating(x)
    _check_rank("rfft", x, 1)
    return _B.rfft(x, None if fft_length is None else int(fft_length))


@symbolic_or
def irfft(x, fft_length=None):
    """The real signal whose `rfft` is `x` (``numpy.fft.irfft``).

    Args:
        x: a tuple `(real, imag)` of float tensors holding `M` frequency bins
            on the last axis.
        fft_length: the length of the output signal; the bins are cropped or
            zero-padded to `fft_length // 2 + 1`. Defaults to `2 * (M - 1)`.

    Returns:
        A float tensor of shape `x[0].shape[:-1] + (fft_length,)`.
    """
    _check_length(fft_length)
    real, imag = complex_parts(x)
    _check_rank("irfft", real, 1)
    return _B.irfft(real, imag, None if fft_length is None else int(fft_length))
