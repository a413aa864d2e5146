"""STFTSpectrogram: a trainable short-time Fourier transform of audio channels.

The transform is two 1-D convolutions (Keras's design): each input channel is
convolved, with stride `frame_step`, by a real and an imaginary kernel of
`frame_length` taps and `fft_length // 2 + 1` filters, initialised by
``initializers.STFT`` (a windowed DFT basis) and trainable like any kernel.
``mode`` then picks what of the complex result is returned.
"""
import math
import warnings

from kfacade import initializers, ops
from kfacade.backend.config import epsilon, standardize_data_format
from kfacade.backend.conv_geometry import conv_output_length
from kfacade.backend.dtypes import standardize_dtype
from kfacade.engine.input_spec import InputSpec
from kfacade.layers.layer import Layer
from kfacade.ops.signal import window_values

_MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")


class STFTSpectrogram(Layer):
    """The spectrogram of each channel of a `(batch, time, channels)` signal.

    Args:
        mode: what to return: "log" (log magnitude, default), "magnitude",
            "psd" (power spectral density: the power, doubled on the bins other
            than DC and Nyquist), "real", "imag", "angle", or "stft" (real
            and imaginary parts concatenated on the frequency axis).
        frame_length: window length in samples.
        frame_step: hop between frames; defaults to `frame_length // 2`.
        fft_length: FFT size (>= `frame_length`); defaults to the next power of
            two of `frame_length`.
        window: window name ("hann", "hamming", "blackman", "bartlett",
            "boxcar"), `frame_length` values, or None.
        periodic: whether a named window is periodic.
        scaling: "density", "spectrum" or None: how the window is normalised
            (see ``initializers.STFT``).
        padding: "valid" or "same", as in a convolution.
        expand_dims: keep frequencies and channels on separate axes (a 4-D
            output) instead of merging them.
        data_format: "channels_last" `(batch, time, channels)` or
            "channels_first" `(batch, channels, time)`.

    Output shape: channels_last: `(batch, frames, channels * freqs)`, or
    `(batch, frames, freqs, channels)` with `expand_dims`; channels_first:
    `(batch, channels * freqs, frames)`, or `(batch, channels, frames, freqs)`;
    `freqs = fft_length // 2 + 1` (twice that in "stft" mode).

    Example:
        >>> layer = STFTSpectrogram(frame_length=64, frame_step=32)
        >>> layer(np.zeros((2, 256, 1), "float32")).shape  # (2, 7, 33)
    """

    def __init__(self, mode="log", frame_length=256, frame_step=None, fft_length=None,
                 window="hann", periodic=False, scaling="density", padding="valid",
                 expand_dims=False, data_format=None, **kwargs):
        if frame_step is not None and (frame_step > frame_length or frame_step < 1):
            raise ValueError(
                "`frame_step` should be a positive integer not greater than `frame_length`. "
                f"Received frame_step={frame_step}, frame_length={frame_length}")
        if fft_length is not None and fft_length < frame_length:
            raise ValueError(
                "`fft_length` should be not less than `frame_length`. "
                f"Received fft_length={fft_length}, frame_length={frame_length}")
        if fft_length is not None and (fft_length & -fft_length) != fft_length:
            warnings.warn(f"`fft_length` is recommended to be a power of two. "
                          f"Received fft_length={fft_length}")
        if mode not in _MODES:
            raise ValueError(f"Output mode is invalid, it must be one of {', '.join(_MODES)}. "
                             f"Received: mode={mode}")
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError("Scaling is invalid, it must be `None`, 'density' or 'spectrum'. "
                             f"Received scaling={scaling}")
        if padding not in ("valid", "same"):
            raise ValueError(f"Padding is invalid, it should be 'valid', 'same'. "
                             f"Received: padding={padding}")
        if isinstance(window, str):
            window_values(window, 1)  # raises for an unknown name
        super().__init__(**kwargs)
        self.mode = mode
        self.frame_length = frame_length
        self.frame_step = frame_step
        self._frame_step = frame_step or frame_length // 2
        self.fft_length = fft_length
        self._fft_length = fft_length or 2 ** int(math.ceil(math.log2(frame_length)))
        self.window = window
        self.periodic = periodic
        self.scaling = scaling
        self.padding = padding
        self.expand_dims = expand_dims
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape):
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        for side in ("real", "imag"):
            if self.mode != ("imag" if side == "real" else "real"):
                setattr(self, f"{side}_kernel", self.add_weight(
                    name=f"{side}_kernel", shape=shape,
                    initializer=initializers.STFT(side, self.window, self.scaling, self.periodic)))
        self.built = True

    def _transform(self, inputs, kernel):
        """The convolution of every channel by `kernel`: `(batch, channels, freqs, frames)`."""
        if self.data_format == "channels_last":
            time, channels = inputs.shape[1], inputs.shape[2]
            signals = ops.reshape(ops.transpose(inputs, (0, 2, 1)), (-1, time, 1))
        else:
            channels, time = inputs.shape[1], inputs.shape[2]
            signals = ops.reshape(inputs, (-1, 1, time))
        outputs = ops.conv(signals, ops.cast(kernel, inputs.dtype), strides=self._frame_step,
                           padding=self.padding, data_format=self.data_format)
        if self.data_format == "channels_last":
            outputs = ops.transpose(outputs, (0, 2, 1))
        return ops.reshape(outputs, (-1, channels) + tuple(outputs.shape[1:]))

    def _arrange(self, outputs):
        """`(batch, channels, freqs, frames)` laid out as `data_format` and `expand_dims` say."""
        _, channels, freqs, frames = outputs.shape
        if self.expand_dims:
            axes = (0, 3, 2, 1) if self.data_format == "channels_last" else (0, 1, 3, 2)
            return ops.transpose(outputs, axes)
        outputs = ops.reshape(outputs, (-1, channels * freqs, frames))
        return ops.transpose(outputs, (0, 2, 1)) if self.data_format == "channels_last" else outputs

    def call(self, inputs):
        dtype = standardize_dtype(inputs.dtype)
        if dtype not in ("float16", "float32", "float64"):
            raise TypeError("Invalid input type. Expected `float16`, `float32` or `float64`. "
                            f"Received: input type={dtype}")
        real = self._transform(inputs, self.real_kernel) if self.mode != "imag" else None
        imag = self._transform(inputs, self.imag_kernel) if self.mode != "real" else None
        if self.mode == "real":
            return self._arrange(real)
        if self.mode == "imag":
            return self._arrange(imag)
        if self.mode == "angle":
            return self._arrange(ops.arctan2(imag, real))
        if self.mode == "stft":
            return self._arrange(ops.concatenate([real, imag], axis=2))
        power = ops.add(ops.square(real), ops.square(imag))
        if self.mode == "psd":
            # One-sided: every bin but DC and Nyquist carries its mirror's power too.
            inner = ops.pad(power[:, :, 1:-1, :], [(0, 0), (0, 0), (1, 1), (0, 0)])
            return self._arrange(ops.add(power, inner))
        magnitude = self._arrange(ops.sqrt(ops.maximum(power, epsilon())))
        if self.mode == "magnitude":
            return magnitude
        return ops.log(ops.maximum(magnitude, epsilon()))

    def compute_output_shape(self, input_shape):
        if self.data_format == "channels_last":
            batch, time, channels = input_shape
        else:
            batch, channels, time = input_shape
        freqs = (self._fft_length // 2 + 1) * (2 if self.mode == "stft" else 1)
        frames = conv_output_length(time, self.frame_length, self._frame_step, self.padding)
        if self.expand_dims:
            if self.data_format == "channels_last":
                return (batch, frames, freqs, channels)
            return (batch, channels, frames, freqs)
        merged = None if channels is None else channels * freqs
        if self.data_format == "channels_last":
            return (batch, frames, merged)
        return (batch, merged, frames)

    def get_config(self):
        config = super().get_config()
        config.update({
            "mode": self.mode, "frame_length": self.frame_length, "frame_step": self.frame_step,
            "fft_length": self.fft_length, "window": self.window, "periodic": self.periodic,
            "scaling": self.scaling, "padding": self.padding, "data_format": self.data_format,
            "expand_dims": self.expand_dims,
        })
        return config
