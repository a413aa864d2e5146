"""Signal ``keras.ops``: the NumPy window functions, ``extract_sequences``,
``stft`` and ``istft``, composed once over other ops.

- Windows (``bartlett``, ``blackman``, ``hamming``, ``hanning``, ``kaiser``)
  are NumPy's of a concrete length, computed on the host and returned as a
  floatx tensor: a window's length fixes its shape, so it cannot be symbolic.
- ``extract_sequences`` frames the last axis by one ``take`` of a static
  ``(frames, sequence_length)`` table of positions (gradients flow as through
  any gather).
- ``stft``: optional "reflect" padding of ``fft_length // 2`` on each side
  (``center``), frames of ``fft_length`` samples every ``sequence_stride``,
  times the window (``sequence_length`` long, zero-padded to ``fft_length``
  in the middle), then ``rfft``. String windows are the periodic "hann" and
  "hamming" (``scipy.signal.get_window``'s default), as in Keras.
- ``istft``: ``irfft`` of every frame, times the window, overlap-added and
  divided by the overlap-added squared window wherever that is non-zero,
  which inverts ``stft`` exactly (the edge frames included) when the windows
  overlap enough (SciPy's NOLA condition). This is SciPy's ``istft``, which
  Keras's JAX and NumPy backends use; Keras's TensorFlow backend divides by
  the steady-state sum of squared windows instead, which differs only in the
  first and last ``fft_length - sequence_stride`` samples (cut off by
  ``center``). With ``window=None`` the frames are unwindowed and the
  result is scaled by ``fft_length / sequence_stride`` as Keras does. The
  overlap-add is one segment sum over static output positions; the divisor
  of a named window is computed in NumPy.
"""

import numpy as np

from kfacade.backend.active import adapter as _B
from kfacade.backend.config import floatx
from kfacade.backend.dtypes import standardize_dtype
from kfacade.engine.keras_tensor import KerasTensor
from kfacade.ops._composite import host_values, tensor as _tensor
from kfacade.ops.dispatch import symbolic_or
from kfacade.ops.fft import complex_parts, irfft, rfft

__all__ = [
    "bartlett", "blackman", "hamming", "hanning", "kaiser", "extract_sequences", "stft", "istft",
]

_STFT_WINDOWS = ("hann", "hamming")


# ----------------------------------------------------------------- windows


def _window_length(op, x):
    """The concrete window length `x` (an int or a scalar tensor) as an int."""
    if type(x) is KerasTensor:
        raise TypeError(f"{op.capitalize()} operation does not support symbolic tensors. "
                        f"Received input x = {x} of type {type(x)}")
    values = host_values(_tensor(x)) if not isinstance(x, (int, np.integer)) else x
    if values is None:
        raise TypeError(f"{op}: the window length must be a concrete value. Received: x={x}")
    values = np.asarray(values)
    if values.ndim != 0 or values != np.round(values):
        raise ValueError(f"{op}: expected an integer window length. Received: x={x}")
    return int(values)


def _window_tensor(values):
    return _B.convert_to_tensor(np.asarray(values, dtype=floatx()))


def bartlett(x):
    """The Bartlett (triangular) window of `x` points (``numpy.bartlett``), in floatx."""
    return _window_tensor(np.bartlett(_window_length("bartlett", x)))


def blackman(x):
    """The Blackman window of `x` points (``numpy.blackman``), in floatx."""
    return _window_tensor(np.blackman(_window_length("blackman", x)))


def hamming(x):
    """The Hamming window of `x` points (``numpy.hamming``), in floatx."""
    return _window_tensor(np.hamming(_window_length("hamming", x)))


def hanning(x):
    """The Hann window of `x` points (``numpy.hanning``), in floatx."""
    return _window_tensor(np.hanning(_window_length("hanning", x)))


def kaiser(x, beta):
    """The Kaiser window of `x` points and shape `beta` (``numpy.kaiser``), in floatx."""
    return _window_tensor(np.kaiser(_window_length("kaiser", x), float(beta)))


def window_values(window, length, periodic=True):
    """The NumPy float64 values of the named `window` of `length` points:
    "hann" (or "hanning"), "hamming", "blackman", "bartlett", "boxcar" (or
    "rectangular", "ones"), as ``scipy.signal.get_window(window, length,
    fftbins=periodic)`` gives them: a periodic window is the symmetric one of
    ``length + 1`` points without its last. ValueError for another name."""
    functions = {
        "hann": np.hanning, "hanning": np.hanning, "hamming": np.hamming,
        "blackman": np.blackman, "bartlett": np.bartlett,
        "boxcar": np.ones, "rectangular": np.ones, "ones": np.ones,
    }
    if window not in functions:
        raise ValueError(
            f"Unknown window {window!r}: expected one of {sorted(functions)} or an array of values.")
    if length == 1:
        return np.ones(1)
    if periodic:
        return functions[window](length + 1)[:-1].astype(np.float64)
    return functions[window](length).astype(np.float64)


# ------------------------------------------------------------------ framing


def _frame_index(length, sequence_length, sequence_stride):
    count = max((length - sequence_length) // sequence_stride + 1, 0)
    starts = np.arange(count)[:, None] * sequence_stride
    return (starts + np.arange(sequence_length)[None, :]).astype("int32")


def _check_positive(**values):
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value}")


@symbolic_or
def extract_sequences(x, sequence_length, sequence_stride):
    """Frames of `sequence_length` samples of the last axis, one every
    `sequence_stride` samples (the trailing samples that fill no frame are dropped).

    Args:
        x: tensor of shape `(..., length)`.
        sequence_length: the frame length.
        sequence_stride: the hop between frame starts.

    Returns:
        A tensor of shape `(..., (length - sequence_length) // sequence_stride + 1,
        sequence_length)`.

    Example:
        >>> ops.extract_sequences(np.arange(6.0), 3, 2)  # [[0, 1, 2], [2, 3, 4]]
    """
    _check_positive(sequence_length=sequence_length, sequence_stride=sequence_stride)
    x = _tensor(x)
    shape = tuple(_B.shape(x))
    if not shape:
        raise ValueError(f"extract_sequences: expected input of rank >= 1. Received: shape={shape}")
    index = _frame_index(shape[-1], sequence_length, sequence_stride)
    return _B.take(x, _B.convert_to_tensor(index), axis=-1)


def _fft_window(window, sequence_length, fft_length, dtype):
    """The analysis window as a `(fft_length,)` tensor: `window` (a name, values
    or None for all ones) of `sequence_length` points centred in zeros."""
    if window is None:
        return _B.ones((fft_length,), dtype=dtype)
    if isinstance(window, str):
        win = _B.convert_to_tensor(window_values(window, sequence_length, periodic=True).astype(dtype))
    else:
        win = _B.cast(_tensor(window), dtype)
    shape = tuple(_B.shape(win))
    if len(shape) != 1 or shape[-1] != sequence_length:
        raise ValueError(
            f"The shape of `window` must be equal to [sequence_length].Received: window shape={shape}")
    left = (fft_length - sequence_length) // 2
    return _B.pad(win, [(left, fft_length - sequence_length - left)])


def _check_stft_arguments(sequence_length, sequence_stride, fft_length, window):
    _check_positive(sequence_length=sequence_length, sequence_stride=sequence_stride,
                    fft_length=fft_length)
    if fft_length < sequence_length:
        raise ValueError(
            "`fft_length` must equal or larger than `sequence_length`. "
            f"Received: sequence_length={sequence_length}, fft_length={fft_length}")
    if isinstance(window, str) and window not in _STFT_WINDOWS:
        raise ValueError(
            'If a string is passed to `window`, it must be one of `"hann"`, `"hamming"`. '
            f"Received: window={window}")


@symbolic_or
def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """The short-time Fourier transform along the last axis.

    Args:
        x: float32 or float64 tensor of shape `(..., length)`.
        sequence_length: the window length of each frame.
        sequence_stride: the hop between frames.
        fft_length: the FFT length, >= `sequence_length` (frames are
            `fft_length` samples long; the window is zero-padded to it).
        window: "hann" or "hamming" (periodic), a `(sequence_length,)`
            tensor, or None (no window).
        center: pad `x` by `fft_length // 2` on each side ("reflect"), so
            frame `t` is centred on sample `t * sequence_stride`.

    Returns:
        A tuple `(real, imag)` of shape `(..., frames, fft_length // 2 + 1)`, with
        `frames = (padded_length - fft_length) // sequence_stride + 1`.

    Example:
        >>> real, imag = ops.stft(signal, 64, 16, 128)
    """
    x = _tensor(x)
    dtype = standardize_dtype(_B.dtype(x))
    if dtype not in ("float32", "float64"):
        raise TypeError(
            f"Invalid input type. Expected `float32` or `float64`. Received: input type={dtype}")
    _check_stft_arguments(sequence_length, sequence_stride, fft_length, window)
    if center:
        pad_width = [(0, 0)] * (len(_B.shape(x)) - 1) + [(fft_length // 2, fft_length // 2)]
        x = _B.pad(x, pad_width, mode="reflect")
    frames = extract_sequences(x, fft_length, sequence_stride)
    frames = _B.multiply(frames, _fft_window(window, sequence_length, fft_length, dtype))
    return rfft(frames, fft_length)


def _overlap_add(frames, frame_step):
    """The sum of `frames` `(..., T, F)` placed every `frame_step` samples:
    `(..., F + frame_step * (T - 1))`, as one segment sum of the flattened
    frames with the static output position ``t * frame_step + f`` of each sample."""
    shape = tuple(_B.shape(frames))
    lead, (count, length) = shape[:-2], shape[-2:]
    total = length + frame_step * (count - 1)
    positions = (np.arange(count)[:, None] * frame_step + np.arange(length)[None, :]).reshape(-1)
    columns = _B.transpose(_B.reshape(frames, (-1, count * length)), (1, 0))
    summed = _B.segment_reduce(columns, _B.convert_to_tensor(positions.astype("int32")), total, "sum")
    lead = tuple(-1 if d is None else d for d in lead)
    return _B.reshape(_B.transpose(summed, (1, 0)), lead + (total,))


@symbolic_or
def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann",
          center=True):
    """The inverse short-time Fourier transform: the signal whose `stft` is `x`.

    Args:
        x: a tuple `(real, imag)` of shape `(..., frames, fft_length // 2 + 1)`.
        sequence_length, sequence_stride, fft_length, window, center: as given
            to `stft`.
        length: the number of samples to return (cropped at the end), or None
            for all of them (`center` trims `fft_length // 2` from each end).

    Returns:
        A float tensor of shape `(..., samples)`.
    """
    real, imag = complex_parts(x)
    shape = tuple(_B.shape(real))
    if len(shape) < 2:
        raise ValueError(f"Input `x` must have at least 2 dimensions. Received shape: {shape}")
    _check_stft_arguments(sequence_length, sequence_stride, fft_length, window)
    dtype = standardize_dtype(_B.dtype(real))
    frames = irfft((real, imag), fft_length)
    win = _fft_window(window, sequence_length, fft_length, dtype)
    signal = _overlap_add(_B.multiply(frames, win), sequence_stride)
    if window is None or isinstance(window, str):  # a known window: the divisor in NumPy
        squares = np.square(_B.convert_to_numpy(win).astype(np.float64))
        norm = np.zeros(fft_length + sequence_stride * (shape[-2] - 1))
        for t in range(shape[-2]):
            norm[t * sequence_stride:t * sequence_stride + fft_length] += squares
        scale = fft_length / sequence_stride if window is None else 1.0
        inverse = np.where(norm > 1e-10, scale / np.where(norm > 1e-10, norm, 1.0), scale)
        signal = _B.multiply(signal, _B.convert_to_tensor(inverse.astype(dtype)))
    else:
        squares = _B.broadcast_to(_B.reshape(_B.square(win), (1, fft_length)), (shape[-2], fft_length))
        norm = _overlap_add(squares, sequence_stride)
        nonzero = _B.greater(norm, 1e-10)
        signal = _B.divide(signal, _B.where(nonzero, norm, _B.ones(_B.shape(norm), dtype=dtype)))
    total = fft_length + sequence_stride * (shape[-2] - 1)
    start = fft_length // 2 if center else 0
    if length is not None:
        end = min(start + length, total)
    else:
        end = total - fft_length // 2 if center else total
    return signal[..., start:end]
