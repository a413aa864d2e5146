"""Adafactor: Adam-like steps with factored second moments (Shazeer & Stern, 2018)."""
from kfacade import ops
from kfacade.backend.config import floatx
from kfacade.optimizers.base_optimizer import DefaultLearningRate, Optimizer


class Adafactor(Optimizer):
    """Adafactor, Keras 3's update rule; with ``t = iterations + 1``::

        rho = min(learning_rate, 1 / sqrt(t))
        alpha = max(epsilon_2, rms(w)) * rho
        beta_2_t = 1 - t ** beta_2_decay
        s = g ** 2 + epsilon_1
        ndim >= 2:  r = beta_2_t * r + (1 - beta_2_t) * mean(s, axis=-1)
                    c = beta_2_t * c + (1 - beta_2_t) * mean(s, axis=-2)
                    v = (r / mean(r, axis=-1))[..., None] * c[..., None, :]
        ndim < 2:   v = beta_2_t * v + (1 - beta_2_t) * s
        u = g / sqrt(v)
        w -= alpha * u / max(1, rms(u) / clip_threshold)

    ``rms(x) = sqrt(mean(x ** 2))`` over the whole tensor. Variables of two
    or more dimensions keep row (`r`, shape ``w.shape[:-1]``) and column
    (`c`, shape ``w.shape[:-2] + w.shape[-1:]``) statistics of their last two
    dimensions; `v` is then overwritten each step, not averaged. Smaller
    variables keep a full `v` plus two unused int32 scalars (as Keras, so
    that ``variables`` lines up with Keras 3's saved optimizer weights).

    `relative_step` is kept for configs. As in Keras 3 it does not change the
    update: the step size is ``min(learning_rate, 1 / sqrt(t))`` either way.

    Args:
        learning_rate: float, schedule or callable. Defaults to 0.001.
        beta_2_decay: the exponent of the second moments' decay. Defaults to -0.8.
        epsilon_1: added to the squared gradients. Defaults to 1e-30.
        epsilon_2: the smallest scale of a step (relative to ``rms(w)``).
            Defaults to 1e-3.
        clip_threshold: the largest ``rms(u)`` of a step (Adafactor's own
            clipping, independent of `clipnorm` and the like). Defaults to 1.0.
        relative_step: see above. Defaults to True.
        **other: the arguments of ``Optimizer`` (clipping, weight decay,
            `name`, Keras 2's `lr` and `decay`).

    Example:
        >>> optimizer = Adafactor(learning_rate=0.01)
    """

    def __init__(self, learning_rate=DefaultLearningRate(0.001), beta_2_decay=-0.8,
                 epsilon_1=1e-30, epsilon_2=1e-3, clip_threshold=1.0, relative_step=True,
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
        self.beta_2_decay = beta_2_decay
        self.epsilon_1 = epsilon_1
        self.epsilon_2 = epsilon_2
        self.clip_threshold = clip_threshold
        self.relative_step = relative_step
        self._r, self._c, self._v = [], [], []

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._r, self._c, self._v = [], [], []
        # Created variable by variable (r, c, then v), Keras 3's order.
        for variable in var_list:
            shape = tuple(variable.shape)
            name = str(variable.name)
            if len(shape) < 2:
                self._r.append(self.add_variable((), dtype="int32", name=name))
                self._c.append(self.add_variable((), dtype="int32", name=name))
            else:
                self._r.append(self.add_variable(shape[:-1], dtype=variable.dtype, name=name))
                self._c.append(self.add_variable(shape[:-2] + shape[-1:], dtype=variable.dtype,
                                                 name=name))
            self._v.append(self.add_variable_from_reference(variable, "velocity"))

    def _step_scalars(self, learning_rate):
        step = ops.cast(ops.add(self._update_count(), 1), floatx())
        beta_2_t = ops.subtract(1.0, ops.power(step, float(self.beta_2_decay)))
        return {
            "rho": ops.minimum(learning_rate, ops.divide(1.0, ops.sqrt(step))),
            "beta_2_t": beta_2_t,
            "one_minus_beta_2_t": ops.subtract(1.0, beta_2_t),
        }

    def _update_variable(self, gradient, variable, scalars):
        index = self._get_variable_index(variable)
        v = self._v[index]
        beta_2_t, one_minus_beta_2_t = scalars["beta_2_t"], scalars["one_minus_beta_2_t"]
        w = variable.value
        alpha = ops.multiply(ops.maximum(float(self.epsilon_2), _rms(w)), scalars["rho"])
        regulated = ops.add(ops.square(gradient), float(self.epsilon_1))
        if len(variable.shape) >= 2:
            r, c = self._r[index], self._c[index]
            new_r = ops.add(ops.multiply(beta_2_t, r.value),
                            ops.multiply(one_minus_beta_2_t, ops.mean(regulated, axis=-1)))
            r.assign(new_r)
            new_c = ops.add(ops.multiply(beta_2_t, c.value),
                            ops.multiply(one_minus_beta_2_t, ops.mean(regulated, axis=-2)))
            c.assign(new_c)
            new_v = ops.multiply(
                ops.expand_dims(ops.divide(new_r, ops.mean(new_r, axis=-1, keepdims=True)), -1),
                ops.expand_dims(new_c, -2))
        else:
            new_v = ops.add(ops.multiply(beta_2_t, v.value),
                            ops.multiply(one_minus_beta_2_t, regulated))
        v.assign(new_v)
        u = ops.divide(gradient, ops.sqrt(new_v))
        u_hat = ops.divide(u, ops.maximum(1.0, ops.divide(_rms(u), float(self.clip_threshold))))
        variable.assign_sub(ops.multiply(alpha, u_hat))

    def get_config(self):
        config = super().get_config()
        config.update({
            "beta_2_decay": self.beta_2_decay,
            "epsilon_1": self.epsilon_1,
            "epsilon_2": self.epsilon_2,
            "clip_threshold": self.clip_threshold,
            "relative_step": self.relative_step,
        })
        return config


def _rms(x):
    return ops.sqrt(ops.mean(ops.square(x)))
