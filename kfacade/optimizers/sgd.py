"""Stochastic gradient descent, with optional (Nesterov) momentum."""
from kfacade import ops
from kfacade.optimizers.base_optimizer import DefaultLearningRate, Optimizer, _is_float


class SGD(Optimizer):
    """Gradient descent (with momentum), Keras 3's update rule.

    Without momentum ``w -= learning_rate * g``. With momentum::

        velocity = momentum * velocity - learning_rate * g
        w = w + velocity                                   # nesterov=False
        w = w + momentum * velocity - learning_rate * g    # nesterov=True

    Args:
        learning_rate: float, schedule or callable. Defaults to 0.01.
        momentum: float in [0, 1]. Defaults to 0.0 (plain gradient descent).
        nesterov: whether to use Nesterov momentum.
        **other: the arguments of ``Optimizer`` (clipping, weight decay,
            `name`, Keras 2's `lr` and `decay`).

    Example:
        >>> optimizer = SGD(learning_rate=0.1, momentum=0.9)
    """

    def __init__(self, learning_rate=DefaultLearningRate(0.01), momentum=0.0, nesterov=False,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name="SGD",
                 **kwargs):
        super().__init__(
            learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
            clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
            ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs,
        )
        if not _is_float(momentum) or momentum < 0 or momentum > 1:
            raise ValueError(
                f"`momentum` must be a float between [0, 1]. Received: momentum={momentum!r}"
            )
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        self.momentums = []

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        if self.momentum != 0:
            self.momentums = self.add_optimizer_variables(variables, "momentum")

    def _update_variable(self, gradient, variable, scalars):
        step = ops.multiply(gradient, scalars["learning_rate"])
        if self.momentum == 0:
            variable.assign_sub(step)
            return
        momentum = self.momentums[self._get_variable_index(variable)]
        velocity = ops.subtract(ops.multiply(momentum.value, self.momentum), step)
        momentum.assign(velocity)
        if self.nesterov:
            velocity = ops.subtract(ops.multiply(velocity, self.momentum), step)
        variable.assign_add(velocity)

    _rule_update_variable = _update_variable

    def _update_rule(self, scalars):
        coefficients = {"learning_rate": scalars["learning_rate"], "momentum": self.momentum}
        slots = {"momentums": self.momentums} if self.momentum != 0 else {}
        return "sgd", coefficients, {"nesterov": self.nesterov}, slots

    def get_config(self):
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config
