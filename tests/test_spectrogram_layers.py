"""STFTSpectrogram, MelSpectrogram and the STFT initializer, on the active backend.

References are NumPy written here: a direct windowed DFT of the frames for
STFTSpectrogram and the initializer, and framing + ``numpy.fft.rfft`` + an
HTK triangular filter bank (mel = 2595 log10(1 + f / 700)) + decibels for
MelSpectrogram. One compiled ``fit`` checks that a model with an STFT layer trains.
"""
import numpy as np
import pytest

import kfacade
from kfacade import initializers, layers, ops

try:
    from tests.helpers import assert_close
    from tests.layer_testing import run_layer_test
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    from helpers import assert_close
    from layer_testing import run_layer_test

RNG = np.random.default_rng(0)


def dft_kernel(side, frame_length, fft_length, window):
    """`(frame_length, 1, fft_length // 2 + 1)`: the windowed DFT basis over
    the frame's samples, divided by the window's L2 norm ("density")."""
    t = np.arange(frame_length)[:, None]
    k = np.arange(fft_length // 2 + 1)[None, :]
    basis = np.exp(-2j * np.pi * t * k / fft_length)
    part = basis.real if side == "real" else basis.imag
    return (part * window[:, None] / np.sqrt(np.sum(window ** 2)))[:, None, :]


def test_stft_initializer_is_a_windowed_dft():
    init = initializers.get("stft")
    assert isinstance(init, initializers.STFT) and initializers.STFTInitializer is initializers.STFT
    assert init.get_config() == {"side": "real", "window": "hann", "periodic": False,
                                 "scaling": "density"}
    for side in ("real", "imag"):
        values = initializers.STFT(side, "hann", "density", False)((16, 1, 9))
        assert_close(values, dft_kernel(side, 16, 16, np.hanning(16)), atol=1e-6)
    spectrum = initializers.STFT("imag", "hamming", "spectrum", True)((8, 1, 5))
    periodic = np.hamming(9)[:-1]
    expected = dft_kernel("imag", 8, 8, periodic) * np.sqrt(np.sum(periodic ** 2)) / periodic.sum()
    assert_close(spectrum, expected, atol=1e-6)
    with pytest.raises(ValueError, match="side should be 'real' or 'imag'"):
        initializers.STFT(side="both")
    with pytest.raises(ValueError, match="Scaling is invalid"):
        initializers.STFT(scaling="power")


def numpy_stft_layer(x, frame_length, frame_step, fft_length):
    """Complex `(batch, frames, channels, freqs)` of channels_last `x`, valid padding."""
    count = (x.shape[1] - frame_length) // frame_step + 1
    frames = np.stack([x[:, i * frame_step:i * frame_step + frame_length] for i in range(count)], 1)
    real = dft_kernel("real", frame_length, fft_length, np.hanning(frame_length))[:, 0]
    imag = dft_kernel("imag", frame_length, fft_length, np.hanning(frame_length))[:, 0]
    return np.einsum("bftc,tk->bfck", frames, real + 1j * imag)


def test_stft_spectrogram_matches_numpy():
    x = RNG.normal(size=(2, 64, 2)).astype("float32")
    spectrum = numpy_stft_layer(x.astype(np.float64), 16, 8, 32)
    expected = {
        "real": spectrum.real.reshape(2, 7, -1),
        "magnitude": np.abs(spectrum).reshape(2, 7, -1),
        "stft": np.concatenate([spectrum.real, spectrum.imag], -1).reshape(2, 7, -1),
    }
    for mode, values in expected.items():
        layer = layers.STFTSpectrogram(mode=mode, frame_length=16, frame_step=8, fft_length=32)
        assert_close(layer(x), values, atol=1e-4)
    first = layers.STFTSpectrogram(mode="log", frame_length=16, frame_step=8, fft_length=32,
                                   data_format="channels_first", expand_dims=True)
    output = first(np.transpose(x, (0, 2, 1)))
    assert_close(output, np.log(np.maximum(np.abs(spectrum), 1e-7)).transpose(0, 2, 1, 3), atol=1e-4)
    assert tuple(first.compute_output_shape((None, 2, 64))) == (None, 2, 7, 17)


def test_stft_spectrogram_layer_contract():
    run_layer_test(layers.STFTSpectrogram,
                   {"mode": "magnitude", "frame_length": 8, "frame_step": 4, "padding": "same"},
                   input_shape=(2, 24, 1), expected_output_shape=(2, 6, 5),
                   expected_num_trainable_weights=2, expected_num_non_trainable_weights=0)
    config = layers.STFTSpectrogram().get_config()
    assert {k: config[k] for k in ("mode", "frame_length", "frame_step", "fft_length", "window",
                                   "periodic", "scaling", "padding", "expand_dims")} == {
        "mode": "log", "frame_length": 256, "frame_step": None, "fft_length": None,
        "window": "hann", "periodic": False, "scaling": "density", "padding": "valid",
        "expand_dims": False}
    assert len(layers.STFTSpectrogram(mode="real").weights) == 0  # built on first call
    with pytest.raises(ValueError, match="Output mode is invalid"):
        layers.STFTSpectrogram(mode="power")
    with pytest.raises(ValueError, match="`frame_step` should be a positive integer"):
        layers.STFTSpectrogram(frame_length=8, frame_step=9)


def test_a_model_with_an_stft_layer_trains():
    x = RNG.normal(size=(16, 32, 1)).astype("float32")
    y = RNG.normal(size=(16, 1)).astype("float32")
    model = kfacade.Sequential([
        kfacade.Input((32, 1)),
        layers.STFTSpectrogram(mode="magnitude", frame_length=8, frame_step=8),
        layers.Flatten(), layers.Dense(1),
    ])
    stft_layer = model.layers[0]
    before = ops.convert_to_numpy(stft_layer.real_kernel).copy()
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert not np.allclose(ops.convert_to_numpy(stft_layer.real_kernel), before)


def numpy_mel_matrix(num_mel_bins, num_bins, sampling_rate, low, high):
    """HTK triangles, written with log10 (the layer uses 1127 ln)."""
    mel = lambda f: 2595.0 * np.log10(1.0 + f / 700.0)  # noqa: E731
    edges = np.linspace(mel(low), mel(high), num_mel_bins + 2)
    matrix = np.zeros((num_bins, num_mel_bins))
    for b in range(1, num_bins):
        m = mel(b * sampling_rate / 2.0 / (num_bins - 1))
        for j in range(num_mel_bins):
            rise = (m - edges[j]) / (edges[j + 1] - edges[j])
            fall = (edges[j + 2] - m) / (edges[j + 2] - edges[j + 1])
            matrix[b, j] = max(0.0, min(rise, fall))
    return matrix


def numpy_mel_spectrogram(x, fft_length, stride, num_mel_bins, sampling_rate, low, high):
    padded = np.pad(x, [(0, 0), (fft_length // 2, fft_length // 2)], mode="reflect")
    count = (padded.shape[-1] - fft_length) // stride + 1
    window = np.hanning(fft_length + 1)[:-1]  # periodic hann
    frames = np.stack([padded[:, i * stride:i * stride + fft_length] for i in range(count)], 1)
    power = np.abs(np.fft.rfft(frames * window)) ** 2
    mel = power @ numpy_mel_matrix(num_mel_bins, fft_length // 2 + 1, sampling_rate, low, high)
    db = 10.0 * np.log10(np.maximum(mel, 1e-10))
    return np.maximum(db, db.max() - 80.0).transpose(0, 2, 1)


def test_mel_spectrogram_matches_numpy():
    x = RNG.normal(size=(2, 400)).astype("float32")
    layer = layers.MelSpectrogram(fft_length=64, sequence_stride=32, num_mel_bins=12,
                                  sampling_rate=8000, min_freq=100.0)
    expected = numpy_mel_spectrogram(x.astype(np.float64), 64, 32, 12, 8000, 100.0, 4000.0)
    output = layer(x)
    assert tuple(ops.shape(output)) == tuple(layer.compute_output_shape((2, 400))) == (2, 12, 13)
    assert_close(output, expected, rtol=1e-4, atol=1e-3)
    assert tuple(ops.shape(layer(x[0]))) == (12, 13)
    assert tuple(layer.compute_output_shape((None, None))) == (None, 12, None)


def test_mel_spectrogram_config():
    config = layers.MelSpectrogram().get_config()
    defaults = {"fft_length": 2048, "sequence_stride": 512, "sequence_length": 2048,
                "window": "hann", "sampling_rate": 16000, "num_mel_bins": 128, "min_freq": 20.0,
                "max_freq": 8000, "power_to_db": True, "top_db": 80.0, "mag_exp": 2.0,
                "min_power": 1e-10, "ref_power": 1.0}
    assert {k: config[k] for k in defaults} == defaults
    rebuilt = layers.MelSpectrogram.from_config(
        layers.MelSpectrogram(fft_length=64, sequence_stride=16, num_mel_bins=8).get_config())
    assert rebuilt.num_mel_bins == 8 and rebuilt.sequence_length == 64
    with pytest.raises(ValueError, match="`fft_length` must be greater than or equal to"):
        layers.MelSpectrogram(fft_length=64, sequence_length=128)
