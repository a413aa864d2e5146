"""Adadelta: steps scaled by the ratio of moving RMS of updates and gradients."""
from kfacade import ops
from kfacade.optimizers.base_optimizer import DefaultLearningRate, Optimizer


class Adadelta(Optimizer):
    """Adadelta, Keras 3's update rule::

        accumulated_grad = rho * accumulated_grad + (1 - rho) * g ** 2
        delta = -sqrt(accumulated_delta + epsilon) * g / sqrt(accumulated_grad + epsilon)
        accumulated_delta = rho * accumulated_delta + (1 - rho) * delta ** 2
        w += learning_rate * delta

    Args:
        learning_rate: float, schedule or callable. Defaults to 0.001
            (1.0 matches the paper).
        rho: the decay rate. Defaults to 0.95.
        epsilon: added inside the square roots. Defaults to 1e-7.
        **other: the arguments of ``Optimizer`` (clipping, weight decay,
            `name`, Keras 2's `lr` and `decay`).

    Example:
        >>> optimizer = Adadelta(learning_rate=1.0)
    """

    def __init__(self, learning_rate=DefaultLearningRate(0.001), rho=0.95, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name="adadelta",
                 **kwargs):
        super().__init__(
            learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
            clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
            ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs,
        )
        self.rho = rho
        self.epsilon = epsilon
        self._accumulated_grads, self._accumulated_delta_vars = [], []

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._accumulated_grads, self._accumulated_delta_vars = self.add_optimizer_variables(
            var_list, ["accumulated_grad", "accumulated_delta_var"])

    def _update_variable(self, gradient, variable, scalars):
        index = self._get_variable_index(variable)
        rho = float(self.rho)
        accumulated_grad = self._accumulated_grads[index]
        accumulated_delta = self._accumulated_delta_vars[index]
        new_grad = ops.add(ops.multiply(accumulated_grad.value, rho),
                           ops.multiply(ops.square(gradient), 1.0 - rho))
        accumulated_grad.assign(new_grad)
        delta_value = accumulated_delta.value
        delta = ops.negative(ops.divide(
            ops.multiply(ops.sqrt(ops.add(delta_value, self.epsilon)), gradient),
            ops.sqrt(ops.add(new_grad, self.epsilon))))
        accumulated_delta.assign(ops.add(ops.multiply(delta_value, rho),
                                         ops.multiply(ops.square(delta), 1.0 - rho)))
        variable.assign_add(ops.multiply(delta, scalars["learning_rate"]))

    def get_config(self):
        config = super().get_config()
        config.update({"rho": self.rho, "epsilon": self.epsilon})
        return config
