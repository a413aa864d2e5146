"""Adagrad: per-parameter rates shrinking with the accumulated squared gradients."""
from kfacade import ops
from kfacade.optimizers.base_optimizer import DefaultLearningRate, Optimizer


class Adagrad(Optimizer):
    """Adagrad, Keras 3's update rule::

        accumulator += g ** 2
        w -= learning_rate * g / sqrt(accumulator + epsilon)

    Args:
        learning_rate: float, schedule or callable. Defaults to 0.001.
        initial_accumulator_value: the accumulators' start value (>= 0). Defaults to 0.1.
        epsilon: added inside the square root. Defaults to 1e-7.
        **other: the arguments of ``Optimizer`` (clipping, weight decay,
            `name`, Keras 2's `lr` and `decay`).

    Example:
        >>> optimizer = Adagrad(learning_rate=0.01)
    """

    def __init__(self, learning_rate=DefaultLearningRate(0.001), initial_accumulator_value=0.1,
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
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon
        self._accumulators = []

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        from kfacade.initializers import Constant

        self._accumulators = self.add_optimizer_variables(
            var_list, "accumulator", initializer=Constant(self.initial_accumulator_value))

    def _update_variable(self, gradient, variable, scalars):
        accumulator = self._accumulators[self._get_variable_index(variable)]
        new_accumulator = ops.add(accumulator.value, ops.square(gradient))
        accumulator.assign(new_accumulator)
        variable.assign_sub(ops.divide(
            ops.multiply(gradient, scalars["learning_rate"]),
            ops.sqrt(ops.add(new_accumulator, self.epsilon))))

    def get_config(self):
        config = super().get_config()
        config.update({"initial_accumulator_value": self.initial_accumulator_value,
                       "epsilon": self.epsilon})
        return config
