"""Weight initializers, computed in NumPy from one seeded path.

Drawing initial values in NumPy makes the same seed give the same weights
on every backend, which is what cross-backend conformance tests start
from. An initializer is called as ``init(shape, dtype)`` and returns an
array; ``kfacade.utils.set_random_seed`` reseeds the unseeded ones.
"""
import math

import numpy as np

from kfacade.engine import object_registry
from kfacade.ops.signal import window_values

_global_rng = [np.random.default_rng()]


def set_global_seed(seed):
    """Reseeds the generator used by initializers created without a seed."""
    _global_rng[0] = np.random.default_rng(seed)


class Initializer:
    """Base class: ``__call__(shape, dtype)`` returns a NumPy array."""

    def __call__(self, shape, dtype="float32"):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def _cast(self, array, dtype):
        return np.asarray(array, dtype=dtype if dtype != "bfloat16" else "float32")


class _Random(Initializer):
    def __init__(self, seed=None):
        self.seed = seed
        self._calls = 0

    def _rng(self):
        if self.seed is None:
            return _global_rng[0]
        # A seeded initializer gives the same values on each call, as Keras's.
        return np.random.default_rng(self.seed)

    def get_config(self):
        return {"seed": self.seed}


class Zeros(Initializer):
    """All zeros."""

    def __call__(self, shape, dtype="float32"):
        return np.zeros(shape, dtype=dtype if dtype != "bfloat16" else "float32")


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape, dtype="float32"):
        return np.ones(shape, dtype=dtype if dtype != "bfloat16" else "float32")


class Constant(Initializer):
    """A constant value (scalar or array broadcast to the shape)."""

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype="float32"):
        return self._cast(np.broadcast_to(np.asarray(self.value), shape).copy(), dtype)

    def get_config(self):
        value = self.value
        return {"value": value.tolist() if isinstance(value, np.ndarray) else value}


class RandomUniform(_Random):
    """Uniform in [minval, maxval); Keras's defaults are -0.05 and 0.05."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype="float32"):
        return self._cast(self._rng().uniform(self.minval, self.maxval, size=shape), dtype)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class RandomNormal(_Random):
    """Normal with Keras's defaults mean 0, stddev 0.05."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype="float32"):
        return self._cast(self._rng().normal(self.mean, self.stddev, size=shape), dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


def _truncated_normal(rng, shape, stddev):
    values = rng.normal(0.0, 1.0, size=shape)
    bad = np.abs(values) > 2.0
    while bad.any():
        values[bad] = rng.normal(0.0, 1.0, size=int(bad.sum()))
        bad = np.abs(values) > 2.0
    return values * stddev


class TruncatedNormal(RandomNormal):
    """Normal values redrawn when beyond two standard deviations."""

    def __call__(self, shape, dtype="float32"):
        return self._cast(self.mean + _truncated_normal(self._rng(), shape, self.stddev), dtype)


def compute_fans(shape, input_axes=None, output_axes=None):
    """(fan_in, fan_out) of a kernel shape: the products of `input_axes` and
    `output_axes` when both are given (an einsum kernel's), else Keras's rule
    (receptive field × channels)."""
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return math.prod(shape[a] for a in input_axes), math.prod(shape[a] for a in output_axes)
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class VarianceScaling(_Random):
    """Keras's VarianceScaling (the family of glorot_* / he_* / lecun_*)."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 input_axes=None, output_axes=None):
        super().__init__(seed)
        self.input_axes = None if input_axes is None else list(input_axes)
        self.output_axes = None if output_axes is None else list(output_axes)
        if scale <= 0.0:
            raise ValueError(f"Argument `scale` must be positive. Received: scale={scale}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(
                f"Invalid `mode` argument: Received: mode={mode!r}; expected one of "
                f"'fan_in', 'fan_out', 'fan_avg'."
            )
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in ("uniform", "truncated_normal", "untruncated_normal"):
            raise ValueError(
                f"Invalid `distribution` argument: Received: distribution={distribution!r}"
            )
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def __call__(self, shape, dtype="float32"):
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, fan)
        rng = self._rng()
        if self.distribution == "truncated_normal":
            values = _truncated_normal(rng, shape, math.sqrt(scale) / 0.87962566103423978)
        elif self.distribution == "untruncated_normal":
            values = rng.normal(0.0, math.sqrt(scale), size=shape)
        else:
            limit = math.sqrt(3.0 * scale)
            values = rng.uniform(-limit, limit, size=shape)
        return self._cast(values, dtype)

    def get_config(self):
        config = {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                  "seed": self.seed}
        return {**config, **self._axes_config()}

    def _axes_config(self):
        """The einsum axes (Keras 3.12+), written only when set so that files
        for earlier Keras versions keep their keys."""
        if self.input_axes is None and self.output_axes is None:
            return {}
        return {"input_axes": self.input_axes, "output_axes": self.output_axes}


def _variance_scaling(name, scale, mode, distribution):
    class Named(VarianceScaling):
        def __init__(self, seed=None, input_axes=None, output_axes=None):
            super().__init__(scale=scale, mode=mode, distribution=distribution, seed=seed,
                             input_axes=input_axes, output_axes=output_axes)

        def get_config(self):
            return {"seed": self.seed, **self._axes_config()}

    Named.__name__ = Named.__qualname__ = name
    Named.__doc__ = f"VarianceScaling(scale={scale}, mode={mode!r}, distribution={distribution!r})."
    return Named


GlorotUniform = _variance_scaling("GlorotUniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _variance_scaling("GlorotNormal", 1.0, "fan_avg", "truncated_normal")
HeNormal = _variance_scaling("HeNormal", 2.0, "fan_in", "truncated_normal")
HeUniform = _variance_scaling("HeUniform", 2.0, "fan_in", "uniform")
LecunNormal = _variance_scaling("LecunNormal", 1.0, "fan_in", "truncated_normal")
LecunUniform = _variance_scaling("LecunUniform", 1.0, "fan_in", "uniform")


class Orthogonal(_Random):
    """A (semi-)orthogonal matrix, reshaped to the kernel shape, times `gain`."""

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype="float32"):
        if len(shape) < 2:
            raise ValueError(
                f"The tensor to initialize must be at least two-dimensional. Received: shape={shape}"
            )
        rows = math.prod(shape[:-1])
        cols = shape[-1]
        flat = self._rng().normal(0.0, 1.0, size=(max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(flat)
        q *= np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return self._cast(self.gain * q[:rows, :cols].reshape(shape), dtype)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


class Identity(Initializer):
    """The identity matrix times `gain` (2-D shapes only)."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype="float32"):
        if len(shape) != 2:
            raise ValueError(f"Identity initializer needs a 2-D shape. Received: shape={shape}")
        return self._cast(self.gain * np.eye(*shape), dtype)

    def get_config(self):
        return {"gain": self.gain}


class STFT(Initializer):
    """Conv kernels computing one side of a short-time Fourier transform: the
    `STFTSpectrogram` layer's weights.

    For a kernel of shape `(T, 1, F // 2 + 1)` (`T` the window length, `F` the
    FFT length), entry `[t, 0, k]` is `cos(-2 pi t k / F)` ("real" side) or
    `sin(-2 pi t k / F)` ("imag"), times the window divided by its scaling.

    Args:
        side: "real" or "imag".
        window: a window name ("hann", "hamming", "blackman", "bartlett",
            "boxcar"), an array of `T` values, or None (no window).
        scaling: "density" (divide by the window's L2 norm), "spectrum" (by
            its L1 norm) or None.
        periodic: whether a named window is periodic (SciPy's `fftbins`)
            rather than symmetric.
    """

    def __init__(self, side="real", window="hann", scaling="density", periodic=False):
        if side not in ("real", "imag"):
            raise ValueError(f"side should be 'real' or 'imag', not {side}")
        if isinstance(window, str):
            window_values(window, 1)  # raises for an unknown name
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(
                "Scaling is invalid, it must be `None`, 'density' "
                f"or 'spectrum'. Received scaling={scaling}")
        self.side = side
        self.window = window
        self.scaling = scaling
        self.periodic = periodic

    def __call__(self, shape, dtype="float32"):
        if len(shape) != 3:
            raise ValueError(
                "STFT initializer expects a shape (frame_length, input_channels, "
                f"fft_length // 2 + 1). Received: shape={shape}")
        frame_length, _, bins = shape
        fft_length = (bins - 1) * 2
        time = np.arange(frame_length, dtype=np.float64).reshape(frame_length, 1, 1)
        freq = np.arange(bins, dtype=np.float64).reshape(1, 1, bins) / max(fft_length, 1)
        angle = -2.0 * np.pi * time * freq
        kernel = np.cos(angle) if self.side == "real" else np.sin(angle)
        if self.window is not None:
            win = self.window
            if isinstance(win, str):
                win = window_values(win, frame_length, self.periodic)
            win = np.asarray(win, dtype=np.float64)
            if win.ndim != 1 or win.shape[-1] != frame_length:
                raise ValueError(
                    "The shape of `window` must be equal to [frame_length]."
                    f"Received: window shape={win.shape}")
            scale = 1.0
            if self.scaling == "density":
                scale = np.sqrt(np.sum(np.square(win)))
            elif self.scaling == "spectrum":
                scale = np.sum(np.abs(win))
            kernel = kernel * win.reshape(frame_length, 1, 1) / scale
        return self._cast(np.broadcast_to(kernel, tuple(shape)), dtype)

    def get_config(self):
        return {"side": self.side, "window": self.window, "periodic": self.periodic,
                "scaling": self.scaling}


_ALIASES = {
    "zeros": Zeros, "zero": Zeros, "ones": Ones, "one": Ones, "constant": Constant,
    "uniform": RandomUniform, "random_uniform": RandomUniform,
    "normal": RandomNormal, "random_normal": RandomNormal, "truncated_normal": TruncatedNormal,
    "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal,
    "he_normal": HeNormal, "he_uniform": HeUniform,
    "lecun_normal": LecunNormal, "lecun_uniform": LecunUniform,
    "orthogonal": Orthogonal, "identity": Identity, "variance_scaling": VarianceScaling,
    "stft": STFT,
}
for _cls in list(_ALIASES.values()):
    _ALIASES.setdefault(_cls.__name__, _cls)


def serialize(initializer):
    """{"class_name", "config"} of an initializer."""
    return object_registry.serialize_instance(initializer)


def deserialize(config, custom_objects=None):
    """The initializer a ``serialize`` output (or Keras 3's config dict) describes.

    Args:
        config: a name or a ``{"class_name", "config"}`` dict.
        custom_objects: ``{name: class or function}`` searched before the built-in ones.
    """
    return object_registry.deserialize_with(get, config, custom_objects)


def get(identifier):
    """An initializer from a name, a config dict, an instance or a callable.

    Raises:
        ValueError: an unknown name, listing the known ones.
    """
    if identifier is None or isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str):
        cls = _ALIASES.get(identifier) or object_registry.custom_objects_in_effect().get(identifier)
        if cls is None:
            raise ValueError(
                f"Could not interpret initializer identifier: {identifier!r}. Known "
                f"initializers: {sorted(k for k in _ALIASES if k.islower())}"
            )
        return cls() if isinstance(cls, type) else cls
    if isinstance(identifier, dict) and "class_name" in identifier:
        cls = (_ALIASES.get(identifier["class_name"])
               or object_registry.custom_objects_in_effect().get(identifier["class_name"]))
        if cls is None:
            raise ValueError(f"Unknown initializer class_name: {identifier['class_name']!r}")
        return cls(**identifier.get("config", {}))
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret initializer identifier: {identifier!r}")


# Keras 2 lower-case aliases of the classes
zeros, ones, constant = Zeros, Ones, Constant
glorot_uniform, glorot_normal, he_normal, he_uniform = GlorotUniform, GlorotNormal, HeNormal, HeUniform
lecun_normal, lecun_uniform, orthogonal = LecunNormal, LecunUniform, Orthogonal
random_uniform, random_normal, truncated_normal = RandomUniform, RandomNormal, TruncatedNormal
identity, variance_scaling = Identity, VarianceScaling
# Keras 3's longer names of the same classes.
IdentityInitializer, OrthogonalInitializer = Identity, Orthogonal
_ALIASES.update({"IdentityInitializer": Identity, "OrthogonalInitializer": Orthogonal})
stft, STFTInitializer = STFT, STFT
_ALIASES.update({"STFTInitializer": STFT})
