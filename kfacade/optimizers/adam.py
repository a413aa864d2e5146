"""Adam: adaptive moment estimation."""
from kfacade import ops
from kfacade.backend.config import epsilon as _default_epsilon
from kfacade.backend.config import floatx
from kfacade.optimizers.base_optimizer import DefaultLearningRate, Optimizer


def step_powers(update_count, *bases):
    """``base ** (update_count + 1)`` for each base, as floatx tensors."""
    step = ops.cast(ops.add(update_count, 1), floatx())
    return [ops.power(ops.convert_to_tensor(float(base), dtype=floatx()), step) for base in bases]


class Adam(Optimizer):
    """Adam, Keras 3's update rule (bias correction folded into the rate)::

        m += (g - m) * (1 - beta_1)
        v += (g ** 2 - v) * (1 - beta_2)
        v_hat = max(v_hat, v); v = v_hat                         # amsgrad only
        alpha = learning_rate * sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
        w -= alpha * m / (sqrt(v) + epsilon)                     # t = iterations + 1

    Args:
        learning_rate: float, schedule or callable. Defaults to 0.001.
        beta_1: decay rate of the first moment. Defaults to 0.9.
        beta_2: decay rate of the second moment. Defaults to 0.999.
        epsilon: added to ``sqrt(v)``. Defaults to 1e-7 (None: the backend's epsilon).
        amsgrad: use the running maximum of the second moment (AMSGrad).
        **other: the arguments of ``Optimizer`` (clipping, weight decay,
            `name`, Keras 2's `lr` and `decay`).

    Example:
        >>> optimizer = Adam(learning_rate=1e-3, amsgrad=True)
    """

    def __init__(self, learning_rate=DefaultLearningRate(0.001), beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name="adam", **kwargs):
        super().__init__(
            learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
            clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
            ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs,
        )
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = _default_epsilon() if epsilon is None else epsilon
        self.amsgrad = amsgrad
        self._momentums, self._velocities, self._velocity_hats = [], [], []

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"])
        if self.amsgrad:
            self._velocity_hats = self.add_optimizer_variables(var_list, "velocity_hat")

    def _step_scalars(self, learning_rate):
        beta_1_power, beta_2_power = step_powers(self._update_count(), self.beta_1, self.beta_2)
        alpha = ops.divide(ops.multiply(learning_rate, ops.sqrt(ops.subtract(1.0, beta_2_power))),
                           ops.subtract(1.0, beta_1_power))
        return {"alpha": alpha}

    def _update_variable(self, gradient, variable, scalars):
        index = self._get_variable_index(variable)
        m, v = self._momentums[index], self._velocities[index]
        m_value = m.value
        new_m = ops.add(m_value, ops.multiply(ops.subtract(gradient, m_value), 1.0 - self.beta_1))
        m.assign(new_m)
        v_value = v.value
        new_v = ops.add(v_value, ops.multiply(ops.subtract(ops.square(gradient), v_value),
                                              1.0 - self.beta_2))
        v.assign(new_v)
        if self.amsgrad:
            v_hat = self._velocity_hats[index]
            new_v = ops.maximum(v_hat.value, new_v)
            v_hat.assign(new_v)
        variable.assign_sub(ops.divide(
            ops.multiply(new_m, scalars["alpha"]), ops.add(ops.sqrt(new_v), self.epsilon)))

    # Also AdamW's rule: the base class applies its decoupled weight decay first.
    _rule_update_variable = _update_variable

    def _update_rule(self, scalars):
        coefficients = {"alpha": scalars["alpha"], "beta_1": self.beta_1,
                        "beta_2": self.beta_2, "epsilon": self.epsilon}
        slots = {"momentums": self._momentums, "velocities": self._velocities}
        if self.amsgrad:
            slots["velocity_hats"] = self._velocity_hats
        return "adam", coefficients, {"amsgrad": bool(self.amsgrad)}, slots

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                       "amsgrad": self.amsgrad})
        return config
