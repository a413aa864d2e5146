"""Ftrl: Follow The Regularized Leader (McMahan et al., 2013)."""
from kfacade import ops
from kfacade.optimizers.base_optimizer import DefaultLearningRate, Optimizer


class Ftrl(Optimizer):
    """FTRL-Proximal, Keras 3's update rule (TensorFlow's ``ApplyFtrlV2``);
    with ``p = -learning_rate_power`` and ``lr = learning_rate``::

        g_shrunk = g + 2 * l2_shrinkage_regularization_strength * w
        n_new = n + g ** 2                                   # the plain gradient
        z += g_shrunk - (n_new ** p - n ** p) / lr * w
        quadratic = n_new ** p / lr + 2 * l2_regularization_strength + beta / lr
        w = (clip(z, -l1, l1) - z) / quadratic               # 0 where |z| <= l1
        n = n_new

    `n` is the "accumulator" slot (starts at `initial_accumulator_value`),
    `z` the "linear" slot (starts at 0). The L2 term enters the denominator
    doubled, as in TensorFlow; Keras's docstring writes it undoubled.

    Args:
        learning_rate: float, schedule or callable. Defaults to 0.001.
        learning_rate_power: how the per-entry rate shrinks with the
            accumulated squared gradients (<= 0; 0 for a fixed rate).
            Defaults to -0.5.
        initial_accumulator_value: the accumulators' start value (>= 0).
            Defaults to 0.1.
        l1_regularization_strength: L1 strength (>= 0). Defaults to 0.0.
        l2_regularization_strength: stabilising L2 strength (>= 0). Defaults to 0.0.
        l2_shrinkage_regularization_strength: magnitude-penalty L2 strength
            (>= 0), added to the gradient. Defaults to 0.0.
        beta: the paper's beta. Defaults to 0.0.
        **other: the arguments of ``Optimizer`` (clipping, weight decay,
            `name`, Keras 2's `lr` and `decay`).

    Raises:
        ValueError: a positive `learning_rate_power`, or a negative
            accumulator value or regularization strength.

    Example:
        >>> optimizer = Ftrl(learning_rate=0.05, l1_regularization_strength=0.01)
    """

    def __init__(self, learning_rate=DefaultLearningRate(0.001), learning_rate_power=-0.5,
                 initial_accumulator_value=0.1, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, l2_shrinkage_regularization_strength=0.0,
                 beta=0.0, weight_decay=None, clipnorm=None, clipvalue=None,
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
        if initial_accumulator_value < 0.0:
            raise ValueError(
                "`initial_accumulator_value` needs to be positive or zero. "
                f"Received: initial_accumulator_value={initial_accumulator_value}."
            )
        if learning_rate_power > 0.0:
            raise ValueError(
                "`learning_rate_power` needs to be negative or zero. Received: "
                f"learning_rate_power={learning_rate_power}."
            )
        if l1_regularization_strength < 0.0:
            raise ValueError(
                "`l1_regularization_strength` needs to be positive or zero. "
                f"Received: l1_regularization_strength={l1_regularization_strength}."
            )
        if l2_regularization_strength < 0.0:
            raise ValueError(
                "`l2_regularization_strength` needs to be positive or zero. "
                f"Received: l2_regularization_strength={l2_regularization_strength}."
            )
        if l2_shrinkage_regularization_strength < 0.0:
            raise ValueError(
                "`l2_shrinkage_regularization_strength` needs to be positive or zero. "
                "Received: l2_shrinkage_regularization_strength"
                f"={l2_shrinkage_regularization_strength}."
            )
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta
        self._accumulators, self._linears = [], []

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        from kfacade.initializers import Constant

        self._accumulators, self._linears = self.add_optimizer_variables(
            var_list, ["accumulator", "linear"],
            initializer=[Constant(self.initial_accumulator_value), "zeros"])

    def _step_scalars(self, learning_rate):
        # 2 * (l2 + beta / (2 * lr)), grouped as Keras groups it.
        l2 = ops.add(float(self.l2_regularization_strength),
                     ops.divide(float(self.beta), ops.multiply(2.0, learning_rate)))
        return {"learning_rate": learning_rate, "two_l2": ops.multiply(2.0, l2)}

    def _update_variable(self, gradient, variable, scalars):
        index = self._get_variable_index(variable)
        accumulator, linear = self._accumulators[index], self._linears[index]
        learning_rate = scalars["learning_rate"]
        power = -float(self.learning_rate_power)
        w = variable.value
        shrunk_gradient = gradient
        if self.l2_shrinkage_regularization_strength:
            shrunk_gradient = ops.add(gradient, ops.multiply(
                w, 2.0 * self.l2_shrinkage_regularization_strength))
        old_accumulator = accumulator.value
        new_accumulator = ops.add(old_accumulator, ops.square(gradient))
        new_power = ops.power(new_accumulator, power)
        sigma = ops.divide(ops.subtract(new_power, ops.power(old_accumulator, power)),
                           learning_rate)
        new_linear = ops.add(linear.value, ops.subtract(shrunk_gradient, ops.multiply(sigma, w)))
        linear.assign(new_linear)
        quadratic = ops.add(ops.divide(new_power, learning_rate), scalars["two_l2"])
        l1 = float(self.l1_regularization_strength)
        variable.assign(ops.divide(ops.subtract(ops.clip(new_linear, -l1, l1), new_linear),
                                   quadratic))
        accumulator.assign(new_accumulator)

    def get_config(self):
        config = super().get_config()
        config.update({
            "learning_rate_power": self.learning_rate_power,
            "initial_accumulator_value": self.initial_accumulator_value,
            "l1_regularization_strength": self.l1_regularization_strength,
            "l2_regularization_strength": self.l2_regularization_strength,
            "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
            "beta": self.beta,
        })
        return config
