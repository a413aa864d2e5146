"""FFT and signal ops: ``fft``, ``fft2``, ``ifft2``, ``rfft``, ``irfft``,
``extract_sequences``, ``stft``, ``istft`` and the NumPy windows, on the
active backend.

References are ``numpy.fft`` and NumPy's window functions; ``stft`` is
checked against a framing + window + ``numpy.fft.rfft`` reference written
here, ``istft`` against a NumPy overlap-add (SciPy's ``istft`` rule) and by
round trips. Gradients are checked on linear functionals, where a central
difference of step 1 is exact up to float32 rounding.
"""
import numpy as np
import pytest

import kfacade
from kfacade import ops
from kfacade.backend import adapter as B

try:
    from tests.helpers import assert_close
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    from helpers import assert_close

RNG = np.random.default_rng(0)
Y = RNG.normal(size=(2, 3, 8)).astype("float32")
Z = RNG.normal(size=(2, 3, 8)).astype("float32")
SIGNAL = RNG.normal(size=(2, 100)).astype("float32")


def to_numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


def assert_complex(actual, expected, atol=1e-4):
    assert isinstance(actual, tuple) and len(actual) == 2
    assert_close(actual[0], expected.real, atol=atol)
    assert_close(actual[1], expected.imag, atol=atol)


def test_complex_transforms_match_numpy():
    assert_complex(ops.fft((Y, Z)), np.fft.fft(Y + 1j * Z))
    assert_complex(ops.fft2((Y, Z)), np.fft.fft2(Y + 1j * Z))
    assert_complex(ops.ifft2((Y, Z)), np.fft.ifft2(Y + 1j * Z))
    assert ops.fft((Y, Z))[0].dtype == ops.convert_to_tensor(Y).dtype


@pytest.mark.parametrize("fft_length", [None, 11])
def test_rfft_and_irfft_match_numpy(fft_length):
    assert_complex(ops.rfft(Y, fft_length), np.fft.rfft(Y, n=fft_length))
    assert_close(ops.irfft((Y, Z), fft_length), np.fft.irfft(Y + 1j * Z, n=fft_length), atol=1e-5)
    assert_complex(ops.rfft(Y, 6), np.fft.rfft(Y, n=6))  # cropped


def test_rfft_of_integers_computes_in_floatx():
    real, _ = ops.rfft(np.arange(6, dtype="int32"))
    assert ops.dtype(real) == kfacade.config.floatx()
    assert_close(real, np.fft.rfft(np.arange(6)).real, atol=1e-5)


@pytest.mark.parametrize("bad, message", [
    (Y, "tuple of two tensors"),
    ((Y, Z[..., :3]), "same shape"),
    ((Y.astype("int32"), Z.astype("int32")), "not of type float"),
])
def test_complex_input_is_checked(bad, message):
    with pytest.raises(ValueError, match=message):
        ops.fft(bad)


def test_transforms_carry_gradients():
    """d/dv sum(w * op(v)), summed over rfft, fft and irfft, through the
    backend's autodiff equals the exact difference of that (linear) function."""
    w = RNG.normal(size=(2, 3, 5)).astype("float32")
    z = ops.convert_to_tensor(Z[..., :5])

    def fn(v):
        real, imag = ops.rfft(v)
        through_fft = ops.fft((ops.convert_to_tensor(Z), v))[1][..., :5]
        through_irfft = ops.irfft((v[..., :5], z), 8)[..., :5]
        return ops.sum(ops.multiply(real + 2 * imag + through_fft + through_irfft, w))

    variable = kfacade.Variable(Y)
    (_, _), (grad,) = B.value_and_grad(lambda: (fn(variable), None), [variable])
    for index in [(0, 0, 0), (1, 2, 3), (0, 1, 6)]:
        step = np.zeros_like(Y)
        step[index] = 1.0
        expected = (float(to_numpy(fn(ops.convert_to_tensor(Y + step))))
                    - float(to_numpy(fn(ops.convert_to_tensor(Y - step))))) / 2
        assert to_numpy(grad)[index] == pytest.approx(expected, abs=1e-3), index


@pytest.mark.parametrize("name", ["bartlett", "blackman", "hamming", "hanning"])
def test_windows_match_numpy(name):
    for size in (0, 1, 7):
        window = getattr(ops, name)(size)
        assert ops.dtype(window) == kfacade.config.floatx()
        assert_close(window, getattr(np, name)(size), atol=1e-6)


def test_kaiser_and_symbolic_windows():
    assert_close(ops.kaiser(7, 3.0), np.kaiser(7, 3.0), atol=1e-6)
    assert_close(ops.hamming(ops.convert_to_tensor(np.int32(5))), np.hamming(5), atol=1e-6)
    with pytest.raises(TypeError, match="does not support symbolic tensors"):
        ops.hamming(kfacade.KerasTensor(()))


def numpy_frames(x, length, stride):
    count = (x.shape[-1] - length) // stride + 1
    return np.stack([x[..., i * stride:i * stride + length] for i in range(count)], axis=-2)


def test_extract_sequences_matches_numpy():
    assert_close(ops.extract_sequences(SIGNAL, 7, 3), numpy_frames(SIGNAL, 7, 3))
    assert ops.extract_sequences(kfacade.KerasTensor((None, 100)), 7, 3).shape == (None, 32, 7)


def numpy_window(window, sequence_length, fft_length):
    """The analysis window zero-padded to `fft_length`, centred."""
    if window is None:
        return np.ones(fft_length)
    if isinstance(window, str):  # periodic: the symmetric window of n + 1 points less its last
        values = {"hann": np.hanning, "hamming": np.hamming}[window](sequence_length + 1)[:-1]
    else:
        values = np.asarray(window, dtype=np.float64)
    left = (fft_length - sequence_length) // 2
    return np.pad(values, (left, fft_length - sequence_length - left))


def numpy_stft(x, sequence_length, stride, fft_length, window, center):
    x = x.astype(np.float64)
    if center:
        x = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(fft_length // 2, fft_length // 2)], mode="reflect")
    frames = numpy_frames(x, fft_length, stride) * numpy_window(window, sequence_length, fft_length)
    return np.fft.rfft(frames, n=fft_length)


def numpy_istft(spectrum, sequence_length, stride, fft_length, window, center):
    """Overlap-add of the windowed inverse frames, divided by the overlap-added
    squared window where it is non-zero (SciPy's istft); center trims both ends."""
    frames = np.fft.irfft(spectrum, n=fft_length)
    win = numpy_window(window, sequence_length, fft_length)
    count = frames.shape[-2]
    total = fft_length + stride * (count - 1)
    signal = np.zeros(frames.shape[:-2] + (total,))
    norm = np.zeros(total)
    for t in range(count):
        signal[..., t * stride:t * stride + fft_length] += frames[..., t, :] * win
        norm[t * stride:t * stride + fft_length] += win ** 2
    signal = signal / np.where(norm > 1e-10, norm, 1.0)
    if window is None:
        signal = signal * fft_length / stride
    return signal[..., fft_length // 2:total - fft_length // 2] if center else signal


@pytest.mark.parametrize("window, center", [
    ("hann", True), (None, False), (np.arange(16, dtype="float32"), True),
])
def test_stft_and_istft_match_numpy(window, center):
    spectrum = numpy_stft(SIGNAL, 16, 8, 32, window, center)
    result = ops.stft(SIGNAL, 16, 8, 32, window=window, center=center)
    assert_complex(result, spectrum, atol=1e-3)
    expected = numpy_istft(spectrum, 16, 8, 32, window, center)
    assert_close(ops.istft(result, 16, 8, 32, window=window, center=center), expected, atol=1e-4)


def test_istft_inverts_stft():
    spectrum = ops.stft(SIGNAL, 32, 8, 32)
    assert_close(ops.istft(spectrum, 32, 8, 32, length=100), SIGNAL, atol=1e-4)
    assert tuple(ops.shape(ops.istft(spectrum, 32, 8, 32, length=60))) == (2, 60)


def test_stft_checks_its_arguments():
    with pytest.raises(TypeError, match="Expected `float32` or `float64`"):
        ops.stft(np.ones((2, 50), "int32"), 8, 4, 8)
    with pytest.raises(ValueError, match="`fft_length` must equal or larger"):
        ops.stft(SIGNAL, 16, 8, 8)
    with pytest.raises(ValueError, match="must be one of"):
        ops.stft(SIGNAL, 16, 8, 16, window="kaiser")
    with pytest.raises(ValueError, match=r"shape of `window` must be equal to \[sequence_length\]"):
        ops.stft(SIGNAL, 16, 8, 16, window=np.ones(5, "float32"))


def test_symbolic_shapes():
    signal, spectrum = kfacade.KerasTensor((None, 100)), kfacade.KerasTensor((None, 9, 17))
    assert ops.stft(signal, 16, 8, 32)[0].shape == (None, 13, 17)
    assert ops.rfft(signal)[1].shape == (None, 51)
    assert ops.irfft((spectrum, spectrum)).shape == (None, 9, 32)
    assert ops.istft((spectrum, spectrum), 16, 8, 32).shape == (None, 64)
