"""Seeds for random ops that stay pure inside compiled steps.

A ``SeedGenerator`` keeps its state in a non-trainable uint32 ``Variable``;
``draw_seed`` returns the current ``(2,)`` seed and advances the state, so a
JAX or TensorFlow step threads randomness through its state like any other
variable, and restoring the state variable rewinds the stream on every
backend. Layers own their generators (``Dropout`` has one), which makes
the layer's non-trainable state include them.

kfacade draws every seed here and hands the adapter the drawn value
(``kfacade.backend.contract``: "Seeds"); adapters never see a
``SeedGenerator``.
"""
import math

import numpy as np

from kfacade.backend.active import adapter as _B
from kfacade.backend.config import floatx
from kfacade.backend.dtypes import is_float_dtype, standardize_dtype
from kfacade.backend.state import active_stateless_scope, in_compiled_step_trace
from kfacade.variables import Variable

_global_seed = [None]
_INCREMENT = np.array([1, 0], dtype="int32")  # one draw: the counter word steps


def set_global_seed(seed):
    """Seeds generators created without an explicit seed from here on."""
    _global_seed[0] = None if seed is None else int(seed)
    _counter[0] = 0
    if _step_generator[0] is not None:  # reseeded in place: compiled steps hold its state
        _step_generator[0].state.assign(np.array([0, _step_seed()], dtype="uint32"))


_step_generator = [None]


def _step_seed():
    if _global_seed[0] is None:
        return int(np.random.randint(0, 2**31 - 1))
    return (_global_seed[0] * 7919 + 17) % (2**31 - 1)


def _carried_by_this_step(generator):
    """Whether the step being traced carries `generator`'s state: a pure step
    (JAX) maps it in its stateless scope; a stateful graph (TensorFlow) reads
    and writes the variable itself."""
    if generator is None:
        return False
    scope = active_stateless_scope()
    return scope is None or scope.get_current_value(generator.state) is not None


def step_seed_generator():
    """The generator of random ops called with ``seed=None`` inside a compiled step.

    Keras 2 programs call ``K.random_normal(shape)`` in a layer (the VAE's
    sampling ``Lambda``) and expect new noise at every step. The trainer
    makes this generator's state part of every compiled step's state, so
    such a draw advances with each step instead of being frozen when the
    step is traced. Seeded by ``kfacade.utils.set_random_seed``.
    """
    if _step_generator[0] is None:
        _step_generator[0] = SeedGenerator(_step_seed(), name="step_seed_generator_state")
    return _step_generator[0]


_counter = [0]


def _fresh_seed():
    if _global_seed[0] is None:
        return int(np.random.randint(0, 2**31 - 1))
    _counter[0] += 1
    return (_global_seed[0] * 1000003 + _counter[0]) % (2**31 - 1)


class SeedGenerator:
    """A stream of seeds for random ops.

    Args:
        seed: an int for a reproducible stream; None draws one (from the
            global seed when ``kfacade.utils.set_random_seed`` was called).

    Example:
        >>> gen = SeedGenerator(42)
        >>> kfacade.random.uniform((2, 2), seed=gen)
    """

    def __init__(self, seed=None, name=None):
        self.initial_seed = _fresh_seed() if seed is None else int(seed)
        self.state = Variable(
            np.array([0, self.initial_seed], dtype="uint32"),
            dtype="uint32",
            trainable=False,
            name=name or "seed_generator_state",
        )
        # Converted once: a NumPy operand would be converted on every draw.
        self._increment = _B.convert_to_tensor(_INCREMENT)

    def next(self):
        """The current seed as a (2,) uint32 tensor; advances the state."""
        # The counter is stepped in int32 (uint32 -> int32 -> uint32 keeps the
        # bits and wraps alike on every backend): torch has no uint32 add
        # kernel, and the cast is also the snapshot the result needs, since
        # the torch and TensorFlow storages change in place on assign.
        counter = _B.cast(self.state.value, "int32")
        self.state.assign(_B.add(counter, self._increment))
        return _B.cast(counter, "uint32")


def draw_seed(seed):
    """The seed an adapter's random op receives, drawn from `seed`.

    Args:
        seed: a ``SeedGenerator``, an int, or None.

    Returns:
        For a ``SeedGenerator``: its current ``(2,)`` uint32 native tensor
        (a value of its state, so traceable), and the state advances. For an
        int: the int itself (the same numbers on every call, as in Keras).
        For None: a fresh int (from the global seed after
        ``kfacade.utils.set_random_seed``).

    Raises:
        ValueError: `seed` is None while a compiled step other than the
            trainer's is being traced (the trainer's steps draw from
            ``step_seed_generator()``, whose state they carry): a seed drawn
            in Python then would be frozen into the step and the same noise
            would repeat every step. The message says to pass a
            ``SeedGenerator``.
        ValueError: `seed` is of another type.
    """
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if seed is None:
        if in_compiled_step_trace() and _carried_by_this_step(_step_generator[0]):
            return _step_generator[0].next()  # part of the step's state (the trainer's steps)
        if in_compiled_step_trace():
            raise ValueError(
                "A random op with seed=None was called inside a compiled step (jax.jit or "
                "tf.function): its seed would be drawn once, when the step is traced, and the "
                "same noise would repeat at every step. Create a "
                "`kfacade.random.SeedGenerator(seed)` once (for instance in your layer's "
                "`__init__`, so it is part of the layer's state) and pass it as `seed=`. "
                "Received: seed=None"
            )
        return _fresh_seed()
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, (bool, np.bool_)):
        return int(seed)
    raise ValueError(
        f"Invalid seed. Received: seed={seed!r}; expected None, an int or a "
        f"kfacade.random.SeedGenerator."
    )


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Uniform random values in [minval, maxval)."""
    return _B.random_uniform(tuple(shape), minval, maxval, dtype or floatx(), draw_seed(seed))


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal random values."""
    return _B.random_normal(tuple(shape), mean, stddev, dtype or floatx(), draw_seed(seed))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal random values cut at two standard deviations, sampled exactly
    by inverting the CDF on a uniform draw: a fixed amount of work, so it
    traces, where redrawing the outliers would loop."""
    dtype = dtype or floatx()
    # u uniform on (Phi(-2), Phi(2)); z = sqrt(2) * erfinv(2u - 1) is then N(0, 1) cut at +-2.
    low = 0.5 * (1.0 + math.erf(-2.0 / math.sqrt(2.0)))
    u = _B.random_uniform(tuple(shape), low, 1.0 - low, "float32", draw_seed(seed))
    z = _B.multiply(math.sqrt(2.0), _B.erfinv(_B.subtract(_B.multiply(u, 2.0), 1.0)))
    z = _B.clip(z, -2.0, 2.0)  # rounding at the ends
    return _B.cast(_B.add(_B.multiply(z, stddev), mean), dtype)


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Random integers in [minval, maxval), uniform (exact for ranges up to 2**24)."""
    if maxval <= minval:
        raise ValueError(f"randint needs maxval > minval; received minval={minval}, maxval={maxval}")
    u = _B.random_uniform(tuple(shape), 0.0, 1.0, "float32", draw_seed(seed))
    offsets = _B.clip(_B.floor(_B.multiply(u, float(maxval - minval))), 0.0, float(maxval - minval - 1))
    return _B.add(_B.cast(offsets, dtype), _B.convert_to_tensor(minval, dtype))


def _sampling_dtype(dtype, function):
    """The float dtype `function` samples in: `dtype` (floatx when None), with
    16-bit floats sampled in float32 and cast after (few kernels take them)."""
    dtype = standardize_dtype(dtype or floatx())
    if not is_float_dtype(dtype):
        raise ValueError(f"`keras.random.{function}` only supports floating point dtypes. "
                         f"Received: dtype={dtype}")
    return dtype, ("float32" if dtype in ("float16", "bfloat16") else dtype)


def _parameter(value, shape, dtype):
    """A distribution parameter as a `dtype` tensor of exactly `shape`, so the
    adapter draws each entry from its own value. (A number is broadcast too:
    one signature per shape keeps JAX from compiling its sampler twice.)"""
    try:
        return _B.broadcast_to(_B.convert_to_tensor(value, dtype), shape)
    except Exception as error:  # each framework words the mismatch its own way
        raise ValueError(
            f"A distribution parameter of shape {tuple(_B.shape(_B.convert_to_tensor(value)))} "
            f"does not broadcast to shape={shape}."
        ) from error


def gamma(shape, alpha, dtype=None, seed=None):
    """Samples of the Gamma distribution with concentration `alpha` and scale 1.

    Args:
        shape: the output shape.
        alpha: a positive number, or a tensor broadcastable to `shape`.
        dtype: a float dtype (floatx when None).
        seed: None, an int, or a ``SeedGenerator`` (see ``draw_seed``).

    Mean and variance are both `alpha`.
    """
    shape = tuple(shape)
    dtype, sample_dtype = _sampling_dtype(dtype, "gamma")
    alpha = _parameter(alpha, shape, sample_dtype)
    return _B.cast(_B.random_gamma(shape, alpha, sample_dtype, draw_seed(seed)), dtype)


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Samples of the Beta(alpha, beta) distribution, in [0, 1].

    Drawn as X / (X + Y) with X ~ Gamma(alpha), Y ~ Gamma(beta): one gamma
    draw of shape ``(2,) + shape`` (one seed) holds both.

    Args:
        shape: the output shape.
        alpha, beta: positive numbers, or tensors broadcastable to `shape`.
        dtype: a float dtype (floatx when None).
        seed: None, an int, or a ``SeedGenerator`` (see ``draw_seed``).

    Example:
        >>> lam = kfacade.random.beta((batch,), 0.2, 0.2, seed=gen)  # MixUp weights
    """
    shape = tuple(shape)
    dtype, sample_dtype = _sampling_dtype(dtype, "beta")
    both = _B.stack([_parameter(alpha, shape, sample_dtype), _parameter(beta, shape, sample_dtype)])
    both = _B.random_gamma((2,) + shape, both, sample_dtype, draw_seed(seed))
    x, y = both[0], both[1]
    return _B.cast(_B.divide(x, _B.add(x, y)), dtype)


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Samples of the Binomial distribution: successes in `counts` trials of
    probability `probabilities`, as values of a float `dtype` (floatx when None).

    Args:
        shape: the output shape.
        counts: a number or a tensor broadcastable to `shape`.
        probabilities: a number in [0, 1] or a tensor broadcastable to `shape`.
        dtype: a float dtype (floatx when None).
        seed: None, an int, or a ``SeedGenerator`` (see ``draw_seed``).
    """
    shape = tuple(shape)
    dtype, sample_dtype = _sampling_dtype(dtype, "binomial")
    counts = _parameter(counts, shape, sample_dtype)
    probabilities = _parameter(probabilities, shape, sample_dtype)
    values = _B.random_binomial(shape, counts, probabilities, sample_dtype, draw_seed(seed))
    return _B.cast(values, dtype)


def categorical(logits, num_samples, dtype="int32", seed=None):
    """`num_samples` class indices per row of `logits` (batch, classes), drawn
    with probabilities softmax(logits): (batch, num_samples). The Gumbel-max
    trick: argmax of logits plus Gumbel noise, one draw per sample and class."""
    logits = _B.convert_to_tensor(logits)
    shape = _B.shape(logits)
    if len(shape) != 2:
        raise ValueError(f"`logits` should be a 2-D tensor with shape [batch_size, num_classes]. "
                         f"Received: logits.shape={shape}")
    tiny = float(np.finfo(np.float32).tiny)
    u = _B.random_uniform((shape[0], num_samples, shape[1]), tiny, 1.0, "float32", draw_seed(seed))
    gumbel = _B.negative(_B.log(_B.negative(_B.log(u))))
    scores = _B.add(_B.expand_dims(_B.cast(logits, "float32"), 1), gumbel)
    return _B.cast(_B.argmax(scores, axis=-1), dtype)


def shuffle(x, axis=0, seed=None):
    """`x` with its entries along `axis` in a random order."""
    x = _B.convert_to_tensor(x)
    keys = _B.random_uniform((_B.shape(x)[axis],), 0.0, 1.0, "float32", draw_seed(seed))
    return _B.take(x, _B.argsort(keys, axis=0), axis=axis)


def dropout(inputs, rate, noise_shape=None, seed=None):
    """`inputs` with a `rate` fraction of entries zeroed, the rest scaled by 1 / (1 - rate)."""
    return _B.dropout(inputs, rate, noise_shape, draw_seed(seed))
