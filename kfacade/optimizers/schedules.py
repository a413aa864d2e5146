"""Learning-rate schedules (``keras.optimizers.schedules``).

A schedule maps the optimizer's step count to a learning rate. Every
schedule here computes with ``kfacade.ops`` on the step tensor (no Python
``if`` on its value), so an optimizer evaluates it inside a compiled step
(``tf.function``, ``jax.jit``) as well as eagerly. Pass one as any
optimizer's `learning_rate`.

Example:
    >>> schedule = ExponentialDecay(0.1, decay_steps=1000, decay_rate=0.96)
    >>> optimizer = kfacade.optimizers.SGD(learning_rate=schedule)
"""
import math

from kfacade import ops
from kfacade.backend.config import floatx
from kfacade.variables import Variable


def _step_as(step, dtype):
    """The step as a tensor of `dtype` (reads a Variable's current value)."""
    if isinstance(step, Variable):  # e.g. optimizer.iterations
        step = step.value
    return ops.cast(step, dtype)


def _check_decay_steps(name, value):
    if value <= 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={value}")


class LearningRateSchedule:
    """Base class: ``__call__(step)`` returns the learning rate at `step`.

    Subclasses implement ``__call__`` with ops on `step` (a scalar integer
    tensor, Variable or Python int) and ``get_config`` for serialization.

    Example:
        >>> class Halving(LearningRateSchedule):
        ...     def __call__(self, step):
        ...         return ops.divide(0.1, ops.add(ops.cast(step, "float32"), 1.0))
    """

    def __call__(self, step):
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override "
            f"`__call__(self, step)`."
        )

    def get_config(self):
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override "
            f"`get_config()` in order to be serializable."
        )

    @classmethod
    def from_config(cls, config):
        """A schedule from the output of ``get_config``."""
        return cls(**config)


class _RateDecay(LearningRateSchedule):
    """Shared by the schedules that decay `initial_learning_rate` by
    `decay_rate` per `decay_steps` (optionally in whole steps)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase, name):
        _check_decay_steps("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def _progress(self, step):
        """``step / decay_steps``, floored when `staircase`."""
        progress = ops.divide(_step_as(step, floatx()), float(self.decay_steps))
        return ops.floor(progress) if self.staircase else progress

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class ExponentialDecay(_RateDecay):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: positive number of steps per factor of `decay_rate`.
        decay_rate: the decay factor.
        staircase: if True, ``step / decay_steps`` is floored (decay in steps).
        name: the schedule's name.
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        rate = ops.convert_to_tensor(float(self.decay_rate), dtype=floatx())
        return ops.multiply(float(self.initial_learning_rate), ops.power(rate, self._progress(step)))


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` while ``step <= boundaries[0]``, ``values[1]`` while
    ``step <= boundaries[1]``, ..., ``values[-1]`` after the last boundary.

    Args:
        boundaries: strictly increasing step counts.
        values: one more value than `boundaries`.
        name: the schedule's name.

    Raises:
        ValueError: ``len(values) != len(boundaries) + 1``.
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        boundaries, values = list(boundaries), list(values)
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of "
                f"values. Received: boundaries={boundaries} of length "
                f"{len(boundaries)}, and values={values} of length {len(values)}."
            )
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        # Integer boundaries compare with the integer step exactly (a float32
        # step would round above 2**24 steps); others compare in floatx.
        if all(isinstance(b, int) for b in self.boundaries):
            step = _step_as(step, "int64")
        else:
            step = _step_as(step, floatx())
        result = ops.convert_to_tensor(float(self.values[-1]), dtype=floatx())
        for boundary, value in zip(reversed(self.boundaries), reversed(self.values[:-1])):
            value = ops.convert_to_tensor(float(value), dtype=floatx())
            result = ops.where(ops.less_equal(step, boundary), value, result)
        return result

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """``(initial - end) * (1 - step / decay_steps) ** power + end``.

    The step is capped at `decay_steps`; with ``cycle=True`` `decay_steps`
    is instead multiplied by ``ceil(step / decay_steps)`` (1 at step 0).

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: positive number of steps to reach `end_learning_rate`.
        end_learning_rate: the final rate.
        power: the polynomial's power.
        cycle: whether to restart the decay every `decay_steps`.
        name: the schedule's name.
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False, name="PolynomialDecay"):
        _check_decay_steps("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step):
        step = _step_as(step, floatx())
        decay_steps = float(self.decay_steps)
        if self.cycle:
            multiplier = ops.where(
                ops.equal(step, 0.0),
                ops.ones_like(step),
                ops.ceil(ops.divide(step, decay_steps)),
            )
            decay_steps = ops.multiply(multiplier, decay_steps)
        else:
            step = ops.minimum(step, decay_steps)
        remaining = ops.subtract(1.0, ops.divide(step, decay_steps))
        power = ops.convert_to_tensor(float(self.power), dtype=floatx())
        span = float(self.initial_learning_rate) - float(self.end_learning_rate)
        return ops.add(ops.multiply(span, ops.power(remaining, power)),
                       float(self.end_learning_rate))

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


class InverseTimeDecay(_RateDecay):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: positive number of steps per unit of decay.
        decay_rate: the decay rate.
        staircase: if True, ``step / decay_steps`` is floored.
        name: the schedule's name.
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        denominator = ops.add(1.0, ops.multiply(float(self.decay_rate), self._progress(step)))
        return ops.divide(float(self.initial_learning_rate), denominator)


class CosineDecay(LearningRateSchedule):
    """Cosine decay, after an optional linear warmup.

    Without warmup (``warmup_target=None``) the rate at step ``s`` is
    ``initial * ((1 - alpha) * 0.5 * (1 + cos(pi * min(s, decay_steps) /
    decay_steps)) + alpha)``. With a `warmup_target`, the rate first rises
    linearly from `initial_learning_rate` to `warmup_target` over
    `warmup_steps`, then decays from `warmup_target` as above over the next
    `decay_steps`.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: positive number of steps to decay over.
        alpha: the final rate as a fraction of the decay's starting rate.
        name: the schedule's name.
        warmup_target: the rate reached at the end of the warmup, or None.
        warmup_steps: the warmup's length in steps.
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        _check_decay_steps("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def _decay(self, step, decay_from):
        fraction = ops.divide(step, float(self.decay_steps))
        cosine = ops.multiply(0.5, ops.add(1.0, ops.cos(ops.multiply(math.pi, fraction))))
        decayed = ops.add(ops.multiply(1.0 - self.alpha, cosine), float(self.alpha))
        return ops.multiply(float(decay_from), decayed)

    def __call__(self, step):
        step = _step_as(step, floatx())
        if self.warmup_target is None:
            return self._decay(ops.minimum(step, float(self.decay_steps)),
                               self.initial_learning_rate)
        warmup_steps = float(self.warmup_steps)
        step = ops.minimum(step, float(self.decay_steps) + warmup_steps)
        initial = float(self.initial_learning_rate)
        # Both branches are computed and one is selected: a tensor condition
        # cannot steer Python control flow inside a compiled step.
        warmup = ops.add(
            ops.multiply(float(self.warmup_target) - initial,
                         ops.divide(step, max(warmup_steps, 1.0))),
            initial,
        )
        decay = self._decay(ops.subtract(step, warmup_steps), self.warmup_target)
        return ops.where(ops.less(step, warmup_steps), warmup, decay)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


_SCHEDULES = {
    cls.__name__: cls
    for cls in (ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay, InverseTimeDecay,
                CosineDecay)
}


def serialize(learning_rate_schedule):
    """``{"class_name", "config"}`` of a schedule."""
    return {
        "class_name": type(learning_rate_schedule).__name__,
        "config": learning_rate_schedule.get_config(),
    }


def deserialize(config, custom_objects=None):
    """A schedule from ``serialize``'s output (or Keras 3's, which adds
    "module" and "registered_name" keys).

    Raises:
        ValueError: an unknown class name, naming the known ones.
    """
    class_name = config.get("class_name")
    cls = (custom_objects or {}).get(class_name) or _SCHEDULES.get(class_name)
    if cls is None:
        raise ValueError(
            f"Unknown learning rate schedule: {class_name!r}. Known schedules: "
            f"{sorted(_SCHEDULES)}; pass others in `custom_objects`."
        )
    return cls.from_config(dict(config.get("config", {})))
