"""RMSprop: gradients divided by a moving root mean square of themselves."""
from kfacade import ops
from kfacade.optimizers.base_optimizer import DefaultLearningRate, Optimizer


class RMSprop(Optimizer):
    """RMSprop, Keras 3's update rule::

        velocity = rho * velocity + (1 - rho) * g ** 2
        average = rho * average + (1 - rho) * g                  # centered only
        denominator = velocity (- average ** 2 if centered) + epsilon
        increment = learning_rate * g / sqrt(denominator)
        momentum = momentum * momentum_slot + increment; w -= momentum   # momentum > 0
        w -= increment                                                   # otherwise

    Args:
        learning_rate: float, schedule or callable. Defaults to 0.001.
        rho: the discounting factor of the moving averages. Defaults to 0.9.
        momentum: plain (not Nesterov) momentum. Defaults to 0.0.
        epsilon: added inside the square root. Defaults to 1e-7.
        centered: normalise by the estimated variance instead of the second moment.
        **other: the arguments of ``Optimizer`` (clipping, weight decay,
            `name`, Keras 2's `lr` and `decay`).

    Example:
        >>> optimizer = RMSprop(learning_rate=0.0001, decay=1e-6)  # Keras 2 style
    """

    def __init__(self, learning_rate=DefaultLearningRate(0.001), rho=0.9, momentum=0.0,
                 epsilon=1e-7, centered=False, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name="rmsprop", **kwargs):
        super().__init__(
            learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
            clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
            ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs,
        )
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered
        self._velocities, self._momentums, self._average_gradients = [], [], []

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._velocities = self.add_optimizer_variables(var_list, "velocity")
        if self.momentum > 0:
            self._momentums = self.add_optimizer_variables(var_list, "momentum")
        if self.centered:
            self._average_gradients = self.add_optimizer_variables(var_list, "average_gradient")

    def _update_variable(self, gradient, variable, scalars):
        index = self._get_variable_index(variable)
        rho = float(self.rho)
        velocity = self._velocities[index]
        new_velocity = ops.add(ops.multiply(velocity.value, rho),
                               ops.multiply(ops.square(gradient), 1.0 - rho))
        velocity.assign(new_velocity)
        if self.centered:
            average = self._average_gradients[index]
            new_average = ops.add(ops.multiply(average.value, rho),
                                  ops.multiply(gradient, 1.0 - rho))
            average.assign(new_average)
            denominator = ops.add(ops.subtract(new_velocity, ops.square(new_average)),
                                  self.epsilon)
        else:
            denominator = ops.add(new_velocity, self.epsilon)
        increment = ops.divide(ops.multiply(gradient, scalars["learning_rate"]),
                               ops.sqrt(denominator))
        if self.momentum > 0:
            momentum = self._momentums[index]
            increment = ops.add(ops.multiply(momentum.value, float(self.momentum)), increment)
            momentum.assign(increment)
        variable.assign_sub(increment)

    _rule_update_variable = _update_variable

    def _update_rule(self, scalars):
        coefficients = {"learning_rate": scalars["learning_rate"], "rho": self.rho,
                        "momentum": self.momentum, "epsilon": self.epsilon}
        slots = {"velocities": self._velocities}
        if self.momentum > 0:
            slots["momentums"] = self._momentums
        if self.centered:
            slots["average_gradients"] = self._average_gradients
        return "rmsprop", coefficients, {"centered": bool(self.centered)}, slots

    def get_config(self):
        config = super().get_config()
        config.update({"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                       "centered": self.centered})
        return config
