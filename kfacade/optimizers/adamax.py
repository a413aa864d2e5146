"""Adamax: Adam with the infinity norm."""
from kfacade import ops
from kfacade.optimizers.adam import step_powers
from kfacade.optimizers.base_optimizer import DefaultLearningRate, Optimizer


class Adamax(Optimizer):
    """Adamax, Keras 3's update rule::

        m += (g - m) * (1 - beta_1)
        u = max(beta_2 * u, abs(g))
        w -= learning_rate * m / ((1 - beta_1 ** t) * (u + epsilon))   # t = iterations + 1

    Args:
        learning_rate: float, schedule or callable. Defaults to 0.001.
        beta_1: decay rate of the first moment. Defaults to 0.9.
        beta_2: decay rate of the infinity norm. Defaults to 0.999.
        epsilon: added to the norm. Defaults to 1e-7.
        **other: the arguments of ``Optimizer`` (clipping, weight decay,
            `name`, Keras 2's `lr` and `decay`).

    Example:
        >>> optimizer = Adamax(learning_rate=0.002)
    """

    def __init__(self, learning_rate=DefaultLearningRate(0.001), beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name="adamax", **kwargs):
        super().__init__(
            learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
            clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
            ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs,
        )
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self._m, self._u = [], []

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._m, self._u = self.add_optimizer_variables(var_list, ["momentum", "norm"])

    def _step_scalars(self, learning_rate):
        (beta_1_power,) = step_powers(self._update_count(), self.beta_1)
        return {"rate": ops.divide(learning_rate, ops.subtract(1.0, beta_1_power))}

    def _update_variable(self, gradient, variable, scalars):
        index = self._get_variable_index(variable)
        m, u = self._m[index], self._u[index]
        m_value = m.value
        new_m = ops.add(m_value, ops.multiply(ops.subtract(gradient, m_value), 1.0 - self.beta_1))
        m.assign(new_m)
        new_u = ops.maximum(ops.multiply(u.value, float(self.beta_2)), ops.abs(gradient))
        u.assign(new_u)
        variable.assign_sub(ops.divide(
            ops.multiply(new_m, scalars["rate"]), ops.add(new_u, self.epsilon)))

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
