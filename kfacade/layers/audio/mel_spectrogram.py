"""MelSpectrogram: audio signals to (log-)power spectrograms on the mel scale.

``ops.stft`` (centred, "reflect" padding) gives the spectrum of each frame;
its magnitude to the power `mag_exp` is mapped onto `num_mel_bins` triangular
mel bands by a fixed matrix (``linear_to_mel_weight_matrix``, computed once
in NumPy), then optionally converted to decibels. There are no weights.
"""
import numpy as np

from kfacade import ops
from kfacade.layers.layer import Layer

#: The HTK mel scale: ``mel(f) = 1127 * ln(1 + f / 700)`` (= 2595 * log10(...)).
_MEL_BREAK_FREQUENCY_HERTZ = 700.0
_MEL_HIGH_FREQUENCY_Q = 1127.0


def hertz_to_mel(frequencies_hertz):
    """Frequencies in hertz on the HTK mel scale (NumPy)."""
    return _MEL_HIGH_FREQUENCY_Q * np.log1p(np.asarray(frequencies_hertz) / _MEL_BREAK_FREQUENCY_HERTZ)


def linear_to_mel_weight_matrix(num_mel_bins=20, num_spectrogram_bins=129, sampling_rate=8000,
                                lower_edge_hertz=125.0, upper_edge_hertz=3800.0, dtype="float32"):
    """The `(num_spectrogram_bins, num_mel_bins)` NumPy matrix mapping a linear
    spectrum on `[0, sampling_rate / 2]` onto triangular mel bands between
    `lower_edge_hertz` and `upper_edge_hertz` (TensorFlow's
    ``tf.signal.linear_to_mel_weight_matrix``, HTK scale): band `m` rises
    from 0 at mel edge `m` to 1 at edge `m + 1` and falls to 0 at edge `m + 2`,
    the `num_mel_bins + 2` edges evenly spaced in mel. The DC bin maps to no band.
    """
    spectrum_mel = hertz_to_mel(np.linspace(0.0, sampling_rate / 2.0, num_spectrogram_bins)[1:])
    edges = np.linspace(hertz_to_mel(lower_edge_hertz), hertz_to_mel(upper_edge_hertz),
                        num_mel_bins + 2)
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (spectrum_mel[:, None] - lower) / (center - lower)
    falling = (upper - spectrum_mel[:, None]) / (upper - center)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    return np.pad(weights, [(1, 0), (0, 0)]).astype(dtype)


class MelSpectrogram(Layer):
    """Mel spectrograms of 1-D (one signal) or 2-D (a batch) audio input.

    Args:
        fft_length: FFT size of each frame.
        sequence_stride: hop between frames, in samples.
        sequence_length: window length; defaults to `fft_length`.
        window: "hann", "hamming" or None, as in ``ops.stft``.
        sampling_rate: samples per second of the input.
        num_mel_bins: number of mel bands.
        min_freq, max_freq: the frequency range of the bands in hertz
            (`max_freq` defaults to `int(sampling_rate / 2)`).
        power_to_db: convert to decibels: `10 log10(max(S, min_power))` minus the
            same of `ref_power`, floored `top_db` below the maximum (the maximum
            over the whole input, as Keras).
        top_db, min_power, ref_power: see `power_to_db`.
        mag_exp: exponent of the magnitude (2: power spectrogram).

    Output shape: `(..., num_mel_bins, frames)`, `frames = samples // sequence_stride + 1`
    for an even `fft_length`.

    Example:
        >>> MelSpectrogram(num_mel_bins=80, sampling_rate=8000, sequence_stride=128)(
        ...     np.zeros((2, 16000), "float32")).shape  # (2, 80, 126)
    """

    def __init__(self, fft_length=2048, sequence_stride=512, sequence_length=None, window="hann",
                 sampling_rate=16000, num_mel_bins=128, min_freq=20.0, max_freq=None,
                 power_to_db=True, top_db=80.0, mag_exp=2.0, min_power=1e-10, ref_power=1.0,
                 **kwargs):
        self.fft_length = fft_length
        self.sequence_stride = sequence_stride
        self.sequence_length = sequence_length or fft_length
        if self.fft_length < self.sequence_length:
            raise ValueError(
                "`fft_length` must be greater than or equal to  "
                f" `sequence_length`. Received: `sequence_length`="
                f"{self.sequence_length}, `fft_length`={self.fft_length}.")
        self.window = window
        self.sampling_rate = sampling_rate
        self.num_mel_bins = num_mel_bins
        self.min_freq = min_freq
        self.max_freq = max_freq or int(sampling_rate / 2)
        self.power_to_db = power_to_db
        self.top_db = top_db
        self.mag_exp = mag_exp
        self.min_power = min_power
        self.ref_power = ref_power
        super().__init__(**kwargs)
        self._mel_matrix = linear_to_mel_weight_matrix(
            self.num_mel_bins, self.fft_length // 2 + 1, self.sampling_rate,
            self.min_freq, self.max_freq, dtype="float64")
        self.built = True

    def call(self, inputs):
        compute = self.compute_dtype
        dtype = compute if compute in ("float32", "float64") else "float32"  # stft's dtypes
        inputs = ops.cast(inputs, dtype)
        real, imag = ops.stft(inputs, self.sequence_length, self.sequence_stride,
                              self.fft_length, window=self.window, center=True)
        spectrum = ops.power(ops.sqrt(ops.add(ops.square(real), ops.square(imag))), self.mag_exp)
        mel = ops.tensordot(spectrum, ops.convert_to_tensor(self._mel_matrix.astype(dtype)), axes=1)
        if self.power_to_db:
            mel = self._decibels(mel)
        return ops.cast(ops.swapaxes(mel, -1, -2), compute)

    def _decibels(self, power):
        log_spec = ops.multiply(10.0, ops.log10(ops.maximum(power, self.min_power)))
        reference = 10.0 * np.log10(max(abs(self.ref_power), self.min_power))
        log_spec = ops.subtract(log_spec, reference)
        return ops.maximum(log_spec, ops.subtract(ops.max(log_spec), self.top_db))

    def compute_output_shape(self, input_shape):
        samples = input_shape[-1]
        frames = None
        if samples is not None:
            padded = samples + 2 * (self.fft_length // 2)
            frames = (padded - self.fft_length) // self.sequence_stride + 1
        return tuple(input_shape[:-1]) + (self.num_mel_bins, frames)

    def get_config(self):
        config = super().get_config()
        config.update({
            "fft_length": self.fft_length, "sequence_stride": self.sequence_stride,
            "sequence_length": self.sequence_length, "window": self.window,
            "sampling_rate": self.sampling_rate, "num_mel_bins": self.num_mel_bins,
            "min_freq": self.min_freq, "max_freq": self.max_freq,
            "power_to_db": self.power_to_db, "top_db": self.top_db, "mag_exp": self.mag_exp,
            "min_power": self.min_power, "ref_power": self.ref_power,
        })
        return config
