"""Schedule-Free AdamW (Defazio et al., 2024): no learning-rate schedule needed.

Three sequences are involved: ``z`` (the "momentum" slot) takes the plain
Adam-normalised gradient steps, ``x`` is the running uniform average of the
``z`` iterates, and the model's variables hold ``y``, the interpolation
``(1 - beta_1) * z + beta_1 * x`` where gradients are evaluated. Keras 3
stores only ``y`` and ``z`` and recovers ``x`` from them each step; the
variables hold ``y`` during training and evaluation alike (Keras 3.15 has
no separate switch to ``x`` for evaluation, so neither does kfacade).
"""
from kfacade import ops
from kfacade.backend.config import floatx
from kfacade.optimizers.base_optimizer import DefaultLearningRate, Optimizer


class ScheduleFreeAdamW(Optimizer):
    """Schedule-Free AdamW, Keras 3's update rule (``t = iterations + 1``)::

        lr_t = learning_rate * min(t / warmup_steps, 1)   # 1 when warmup_steps == 0
        v += (g ** 2 - v) * (1 - beta_2)
        z_new = z - lr_t * g / (sqrt(v / (1 - beta_2 ** t)) + epsilon)
        x = (y - (1 - beta_1) * z) / beta_1               # the average, recovered
        x = (1 - 1 / t) * x + (1 / t) * z_new
        y = (1 - beta_1) * z_new + beta_1 * x             # the variable

    `z` starts as a copy of the variable. `weight_decay`, when set, is the
    base class's decoupled decay of ``y`` before the step.

    Args:
        learning_rate: float, schedule or callable. Defaults to 0.0025.
        beta_1: interpolation weight of the average ``x`` in ``y``. Defaults to 0.9.
        beta_2: decay rate of the second moment. Defaults to 0.999.
        epsilon: added to the normalising denominator. Defaults to 1e-8.
        warmup_steps: steps over which the rate grows linearly from
            ``learning_rate / warmup_steps`` to `learning_rate`. Defaults to 0.
        **other: the arguments of ``Optimizer``.

    Example:
        >>> model.compile(optimizer=ScheduleFreeAdamW(learning_rate=0.0025), loss="mse")
    """

    def __init__(self, learning_rate=DefaultLearningRate(0.0025), beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8, warmup_steps=0, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
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
        self.warmup_steps = warmup_steps
        self._momentums, self._velocities = [], []

    def build(self, var_list):
        """The `momentum` (``z``, starting as a copy of each variable) and
        `velocity` slots, interleaved as Keras 3 creates them."""
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"])
        for momentum, variable in zip(self._momentums, var_list):
            momentum.assign(ops.copy(variable.value))

    def _step_scalars(self, learning_rate):
        step = ops.cast(ops.add(self._update_count(), 1), floatx())
        if self.warmup_steps > 0:
            learning_rate = ops.multiply(
                learning_rate, ops.minimum(ops.divide(step, float(self.warmup_steps)), 1.0))
        bias_correction_2 = ops.subtract(
            1.0, ops.power(ops.convert_to_tensor(float(self.beta_2), dtype=floatx()), step))
        return {"learning_rate": learning_rate, "bias_correction_2": bias_correction_2,
                "weight": ops.divide(1.0, step)}

    def _update_variable(self, gradient, variable, scalars):
        index = self._get_variable_index(variable)
        z, v = self._momentums[index], self._velocities[index]
        beta_1 = float(self.beta_1)
        # A copy: the adapter may update z's storage in place, and x is
        # recovered from the z of before the step (Keras 3 on TensorFlow and
        # torch reads the updated one when run eagerly; on JAX the old one).
        z_old, v_value = ops.copy(z.value), v.value
        new_v = ops.add(v_value, ops.multiply(ops.subtract(ops.square(gradient), v_value),
                                              1.0 - self.beta_2))
        v.assign(new_v)
        denominator = ops.add(ops.sqrt(ops.divide(new_v, scalars["bias_correction_2"])),
                              self.epsilon)
        new_z = ops.subtract(z_old, ops.divide(
            ops.multiply(gradient, scalars["learning_rate"]), denominator))
        z.assign(new_z)
        x = ops.divide(ops.subtract(variable.value, ops.multiply(z_old, 1.0 - beta_1)), beta_1)
        weight = scalars["weight"]
        x = ops.add(ops.multiply(x, ops.subtract(1.0, weight)), ops.multiply(new_z, weight))
        variable.assign(ops.add(ops.multiply(new_z, 1.0 - beta_1), ops.multiply(x, beta_1)))

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                       "warmup_steps": self.warmup_steps})
        return config
