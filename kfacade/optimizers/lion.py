"""Lion: sign-based updates with one momentum slot (Chen et al., 2023)."""
from kfacade import ops
from kfacade.optimizers.base_optimizer import DefaultLearningRate, Optimizer


class Lion(Optimizer):
    """Lion (EvoLved Sign Momentum), Keras 3's update rule::

        w -= learning_rate * sign(beta_1 * m + (1 - beta_1) * g)
        m = beta_2 * m + (1 - beta_2) * g

    The step interpolates with `beta_1`, the momentum tracks with `beta_2`;
    the momentum is updated after the variable. Every entry moves by exactly
    ``learning_rate`` (or 0), so Lion usually wants a rate 3-10x smaller
    than AdamW's and a weight decay 3-10x larger.

    Args:
        learning_rate: float, schedule or callable. Defaults to 0.001.
        beta_1: weight of the momentum in the step's direction, in (0, 1].
            Defaults to 0.9.
        beta_2: decay rate of the momentum. Defaults to 0.99.
        **other: the arguments of ``Optimizer`` (clipping, weight decay,
            `name`, Keras 2's `lr` and `decay`).

    Raises:
        ValueError: `beta_1` outside (0, 1].

    Example:
        >>> optimizer = Lion(learning_rate=1e-4, weight_decay=0.1)
    """

    def __init__(self, learning_rate=DefaultLearningRate(0.001), beta_1=0.9, beta_2=0.99,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name=None,
                 **kwargs):
        super().__init__(
            learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
            clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
            ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs,
        )
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError(
                "Argument `beta_1` must be in the [0, 1] range. Otherwise, the "
                f"optimizer degenerates to SignSGD. Received: beta_1={beta_1}."
            )
        self._momentums = []

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums = self.add_optimizer_variables(var_list, "momentum")

    def _update_variable(self, gradient, variable, scalars):
        m = self._momentums[self._get_variable_index(variable)]
        m_value = m.value
        direction = ops.sign(ops.add(ops.multiply(m_value, float(self.beta_1)),
                                     ops.multiply(gradient, 1.0 - self.beta_1)))
        variable.assign_sub(ops.multiply(direction, scalars["learning_rate"]))
        m.assign(ops.add(ops.multiply(m_value, float(self.beta_2)),
                         ops.multiply(gradient, 1.0 - self.beta_2)))

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2})
        return config
