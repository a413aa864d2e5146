"""Lamb: Adam's direction rescaled per variable by a trust ratio (Yang et al., 2019)."""
from kfacade import ops
from kfacade.optimizers.adam import step_powers
from kfacade.optimizers.base_optimizer import DefaultLearningRate, Optimizer


class Lamb(Optimizer):
    """Lamb (layer-wise adaptive moments), Keras 3's update rule; with
    ``t = iterations + 1``::

        m += (g - m) * (1 - beta_1)
        v += (g ** 2 - v) * (1 - beta_2)
        update = (m / (1 - beta_1 ** t)) / (sqrt(v / (1 - beta_2 ** t)) + epsilon)
        ratio = ||w|| / ||update||   if both norms > 0, else 1
        w -= ratio * learning_rate * update

    The norms are L2 norms over the whole variable (one ratio per variable,
    not per row), taken after weight decay has been applied.

    Args:
        learning_rate: float, schedule or callable. Defaults to 0.001.
        beta_1: decay rate of the first moment. Defaults to 0.9.
        beta_2: decay rate of the second moment. Defaults to 0.999.
        epsilon: added to the corrected ``sqrt(v)``. Defaults to 1e-7.
        **other: the arguments of ``Optimizer`` (clipping, weight decay,
            `name`, Keras 2's `lr` and `decay`).

    Example:
        >>> optimizer = Lamb(learning_rate=1e-3, weight_decay=0.01)
    """

    def __init__(self, learning_rate=DefaultLearningRate(0.001), beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
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

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"])

    def _step_scalars(self, learning_rate):
        beta_1_power, beta_2_power = step_powers(self._update_count(), self.beta_1, self.beta_2)
        return {"learning_rate": learning_rate,
                "momentum_correction": ops.subtract(1.0, beta_1_power),
                "velocity_correction": ops.subtract(1.0, beta_2_power)}

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
        m_hat = ops.divide(new_m, scalars["momentum_correction"])
        v_sqrt = ops.add(ops.sqrt(ops.divide(new_v, scalars["velocity_correction"])),
                         self.epsilon)
        update = ops.divide(m_hat, v_sqrt)
        w_norm = ops.sqrt(ops.sum(ops.square(variable.value)))
        update_norm = ops.sqrt(ops.sum(ops.square(update)))
        # Both norms positive, else a ratio of 1 (a zero variable, or no update).
        ratio = ops.where(ops.logical_and(ops.greater(w_norm, 0.0), ops.greater(update_norm, 0.0)),
                          ops.divide(w_norm, update_norm), ops.ones_like(w_norm))
        variable.assign_sub(ops.multiply(ops.multiply(ratio, scalars["learning_rate"]), update))

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
