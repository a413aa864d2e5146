"""``LossScaleOptimizer``: dynamic loss scaling for float16 training (Keras 3's).

In float16, small gradients underflow to zero. The loss is multiplied by a
scale before differentiation and the gradients divided by it before the
update; a step whose gradients are not all finite is skipped (every
variable, slot and the step count keep their values) and the scale halves;
after ``dynamic_growth_steps`` finite steps in a row it doubles. The skip is
written with ``where`` rather than Python branching, so the same code runs
inside ``jax.jit`` and ``tf.function``.
"""
from kfacade import ops
from kfacade.engine import object_registry
from kfacade.optimizers.base_optimizer import Optimizer
from kfacade.variables import Variable


class LossScaleOptimizer(Optimizer):
    """Wraps `inner_optimizer` with dynamic loss scaling.

    Args:
        inner_optimizer: the optimizer that updates the variables.
        initial_scale: the first loss scale (2 ** 15).
        dynamic_growth_steps: finite steps in a row before the scale doubles.

    Example:
        >>> optimizer = LossScaleOptimizer(kfacade.optimizers.Adam())
    """

    def __init__(self, inner_optimizer, initial_scale=2.0 ** 15, dynamic_growth_steps=2000,
                 name=None, **kwargs):
        if not isinstance(inner_optimizer, Optimizer):
            raise ValueError(
                f"LossScaleOptimizer wraps a kfacade optimizer. Received: {inner_optimizer!r}"
            )
        if isinstance(inner_optimizer, LossScaleOptimizer):
            raise ValueError("LossScaleOptimizer cannot wrap another LossScaleOptimizer.")
        super().__init__(learning_rate=0.0, name=name or "loss_scale_optimizer", **kwargs)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = float(initial_scale)
        self.dynamic_growth_steps = int(dynamic_growth_steps)
        self._own = []

    # ------------------------------------------------------------- state
    def build(self, variables):
        if self.built:
            return
        self.inner_optimizer.build(variables)
        self.step_counter = Variable(0, dtype="int32", trainable=False,
                                     name=f"{self.name}/step_counter")
        self.dynamic_scale = Variable(self.initial_scale, dtype="float32", trainable=False,
                                      name=f"{self.name}/dynamic_scale")
        self._own = [self.step_counter, self.dynamic_scale]
        super().build(variables)

    @property
    def variables(self):
        """The scale's state, then the inner optimizer's."""
        return list(self._own) + list(self.inner_optimizer.variables)

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self.inner_optimizer.learning_rate = value

    # -------------------------------------------------------------- steps
    def scale_loss(self, loss):
        """`loss` times the current scale (before differentiation)."""
        if not self.built:
            return ops.multiply(loss, self.initial_scale)
        return ops.multiply(loss, ops.cast(self.dynamic_scale.value, ops.dtype(loss)))

    def apply(self, grads, trainable_variables=None):
        """Unscales `grads`; applies them with the inner optimizer when all are finite."""
        if trainable_variables is None:
            trainable_variables = self.inner_optimizer._trainable_variables
        trainable_variables = list(trainable_variables)
        if not self.built:
            self.build(trainable_variables)
        scale = self.dynamic_scale.value
        pairs = [(g, v) for g, v in zip(grads, trainable_variables) if g is not None]
        unscaled = [ops.divide(ops.cast(g, "float32"), scale) for g, _ in pairs]
        finite = ops.all(ops.stack([ops.all(ops.isfinite(g)) for g in unscaled]))
        # The inner update runs on zeros where a gradient is not finite, and
        # is undone below (`where`): variables, slots and the step count.
        safe = [ops.cast(ops.where(finite, g, ops.zeros_like(g)), v.dtype)
                for g, (_, v) in zip(unscaled, pairs)]
        kept = [v for _, v in pairs] + list(self.inner_optimizer.variables)
        before = [ops.multiply(v.value, ops.ones((), v.dtype)) for v in kept]  # copies
        self.inner_optimizer.apply(safe, [v for _, v in pairs])
        for variable, old in zip(kept, before):
            variable.assign(ops.where(finite, variable.value, old))
        counter = ops.where(finite, ops.add(self.step_counter.value, 1), 0)
        grow = ops.greater_equal(counter, self.dynamic_growth_steps)
        self.dynamic_scale.assign(ops.where(
            finite, ops.where(grow, ops.multiply(scale, 2.0), scale), ops.divide(scale, 2.0)))
        self.step_counter.assign(ops.where(grow, 0, counter))

    def get_config(self):
        inner = self.inner_optimizer
        return {"name": self.name,
                "inner_optimizer": {"class_name": type(inner).__name__, "config": inner.get_config()},
                "initial_scale": self.initial_scale,
                "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        inner = config.pop("inner_optimizer")
        if not isinstance(inner, Optimizer):
            name = str(inner.get("class_name"))
            inner_cls = object_registry.get("optimizers", name.split(">")[-1].lower(),
                                            custom_objects={k.lower(): v for k, v in
                                                            (custom_objects or {}).items()})
            if inner_cls is None:
                raise ValueError(f"Unknown inner optimizer {name!r} in the LossScaleOptimizer config.")
            inner = inner_cls.from_config(dict(inner.get("config", {})),
                                          custom_objects=custom_objects)
        return cls(inner, **config)
