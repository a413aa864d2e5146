"""Nadam: Adam with Nesterov momentum."""
from kfacade import ops
from kfacade.backend.config import floatx
from kfacade.optimizers.adam import step_powers
from kfacade.optimizers.base_optimizer import DefaultLearningRate, Optimizer


class Nadam(Optimizer):
    """Nadam (Dozat, 2015), Keras 3's update rule; with ``t = iterations + 1``::

        u_t = beta_1 * (1 - 0.5 * 0.96 ** t);  u_next = beta_1 * (1 - 0.5 * 0.96 ** (t + 1))
        u_product *= u_t                                   # a variable, once per step
        m += (g - m) * (1 - beta_1);  v += (g ** 2 - v) * (1 - beta_2)
        m_hat = u_next * m / (1 - u_product * u_next) + (1 - u_t) * g / (1 - u_product)
        v_hat = v / (1 - beta_2 ** t)
        w -= learning_rate * m_hat / (sqrt(v_hat) + epsilon)

    Args:
        learning_rate: float, schedule or callable. Defaults to 0.001.
        beta_1: decay rate of the first moment. Defaults to 0.9.
        beta_2: decay rate of the second moment. Defaults to 0.999.
        epsilon: added to ``sqrt(v_hat)``. Defaults to 1e-7.
        **other: the arguments of ``Optimizer`` (clipping, weight decay,
            `name`, Keras 2's `lr` and `decay`).

    Example:
        >>> optimizer = Nadam(learning_rate=0.002)
    """

    def __init__(self, learning_rate=DefaultLearningRate(0.001), beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name="nadam", **kwargs):
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
        self._momentums, self._velocities = [], []
        self._u_product = None

    def build(self, var_list):
        if self.built:
            return
        dtype = var_list[0].dtype if var_list else floatx()
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"])
        self._u_product = self.add_variable((), initializer="ones", dtype=dtype, name="u_product")

    def _step_scalars(self, learning_rate):
        # Runs once per step (before the variables' updates), so it also
        # advances the running product of the momentum schedule.
        beta_1 = float(self.beta_1)
        decay_t, beta_2_power = step_powers(self._update_count(), 0.96, self.beta_2)
        decay_next = ops.multiply(decay_t, 0.96)  # 0.96 ** (t + 1)
        u_t = ops.multiply(beta_1, ops.subtract(1.0, ops.multiply(0.5, decay_t)))
        u_next = ops.multiply(beta_1, ops.subtract(1.0, ops.multiply(0.5, decay_next)))
        u_product = ops.multiply(ops.cast(self._u_product.value, floatx()), u_t)
        self._u_product.assign(u_product)
        u_product_next = ops.multiply(u_product, u_next)
        return {
            "momentum_scale": ops.divide(u_next, ops.subtract(1.0, u_product_next)),
            "gradient_scale": ops.divide(ops.subtract(1.0, u_t), ops.subtract(1.0, u_product)),
            "velocity_scale": ops.divide(1.0, ops.subtract(1.0, beta_2_power)),
            "learning_rate": learning_rate,
        }

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
        m_hat = ops.add(ops.multiply(new_m, scalars["momentum_scale"]),
                        ops.multiply(gradient, scalars["gradient_scale"]))
        v_hat = ops.multiply(new_v, scalars["velocity_scale"])
        variable.assign_sub(ops.divide(
            ops.multiply(m_hat, scalars["learning_rate"]), ops.add(ops.sqrt(v_hat), self.epsilon)))

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
