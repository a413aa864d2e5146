"""Muon: momentum orthogonalised by Newton-Schulz, with an AdamW fallback.

Muon (Jordan et al., 2024; Liu et al., 2025, "Muon is Scalable for LLM
Training") updates a weight matrix along an approximately orthogonal
matrix: its momentum with the singular values pushed towards 1 by a few
Newton-Schulz iterations. That only makes sense for matrices, so Keras 3's
Muon updates every other variable (biases, norms, embeddings, convolution
kernels, and the layers named in `exclude_layers`) with AdamW instead.
"""
import math
import re

from kfacade import ops
from kfacade.optimizers.adam import step_powers
from kfacade.optimizers.base_optimizer import DefaultLearningRate, Optimizer


class Muon(Optimizer):
    """Muon for 2-D variables, AdamW for the others (Keras 3's rules).

    A variable takes the AdamW step when it is not 2-D, when
    `exclude_embeddings` is set and "embedding" is in its lower-cased path,
    or when one of the `exclude_layers` regular expressions is found
    (``re.search``) in its path. Every other variable takes the Muon step::

        m = momentum * m + g
        u = g + momentum * m if nesterov else m
        O = newton_schulz(u, ns_steps)                 # ~ U V^T of u's SVD
        w -= learning_rate * O * sqrt(max(rows, cols)) * rms_rate

    (without the last factor when `rms_rate` is None). The AdamW step is
    Adam's, with ``learning_rate * adam_lr_ratio``::

        m += (g - m) * (1 - adam_beta_1); v += (g ** 2 - v) * (1 - adam_beta_2)
        w -= alpha * m / (sqrt(v) + epsilon)
        alpha = lr * adam_lr_ratio * sqrt(1 - adam_beta_2 ** t) / (1 - adam_beta_1 ** t)

    Before the step, decoupled weight decay
    ``w -= w * decay * learning_rate`` uses `weight_decay` for the Muon
    variables and `adam_weight_decay` for the AdamW ones (None: none).

    Args:
        learning_rate: float, schedule or callable. Defaults to 0.001.
        adam_beta_1: the AdamW step's first-moment decay. Defaults to 0.9.
        adam_beta_2: the AdamW step's second-moment decay. Defaults to 0.999.
        adam_weight_decay: the weight decay of the AdamW variables. Defaults to 0.004.
        epsilon: added to the AdamW step's ``sqrt(v)``. Defaults to 1e-7.
        weight_decay: the weight decay of the Muon variables. Defaults to 0.004.
        exclude_layers: regular expressions; a variable whose path contains a
            match takes the AdamW step (e.g. ``["output_dense"]``).
        exclude_embeddings: embedding variables take the AdamW step. Defaults to True.
        muon_a, muon_b, muon_c: the quintic Newton-Schulz coefficients
            (3.4445, -4.7750, 2.0315).
        adam_lr_ratio: the AdamW step's learning rate over `learning_rate`. Defaults to 1.
        momentum: the Muon step's momentum. Defaults to 0.95.
        ns_steps: Newton-Schulz iterations. Defaults to 5.
        nesterov: Nesterov-style momentum for the Muon step. Defaults to True.
        rms_rate: scales the Muon step by ``sqrt(max(rows, cols)) * rms_rate``
            so that it matches AdamW's RMS (Moonlight); None disables it.
            Defaults to 0.2.
        **other: the arguments of ``Optimizer``.

    Example:
        >>> optimizer = Muon(learning_rate=1e-3, exclude_layers=["output_dense"])
    """

    def __init__(self, learning_rate=DefaultLearningRate(0.001), adam_beta_1=0.9,
                 adam_beta_2=0.999, adam_weight_decay=0.004, epsilon=1e-7, weight_decay=0.004,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, exclude_layers=None,
                 exclude_embeddings=True, muon_a=3.4445, muon_b=-4.7750, muon_c=2.0315,
                 adam_lr_ratio=1, momentum=0.95, ns_steps=5, nesterov=True, rms_rate=0.2,
                 **kwargs):
        super().__init__(
            learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
            clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
            ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs,
        )
        self.adam_beta_1 = adam_beta_1
        self.adam_beta_2 = adam_beta_2
        self.epsilon = epsilon
        self.muon_a = muon_a
        self.muon_b = muon_b
        self.muon_c = muon_c
        self.adam_lr_ratio = adam_lr_ratio
        self.momentum = momentum
        self.ns_steps = ns_steps
        self.nesterov = nesterov
        self.exclude_embeddings = exclude_embeddings
        self.exclude_layers = exclude_layers or []
        self.adam_weight_decay = adam_weight_decay
        self.rms_rate = rms_rate
        self.momentums, self.adam_velocities = [], []

    def _should_use_adamw(self, variable):
        """Whether `variable` takes the AdamW step (see the class docstring)."""
        if len(variable.shape) != 2:
            return True
        path = str(getattr(variable, "path", variable.name))
        if self.exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(keyword, path) for keyword in self.exclude_layers)

    def build(self, var_list):
        """A momentum per variable and, for the AdamW ones, a velocity right
        after it (Keras 3's order)."""
        if self.built:
            return
        super().build(var_list)
        self.momentums, self.adam_velocities = [], []
        for variable in var_list:
            self.momentums.append(self.add_variable_from_reference(variable, "momentum"))
            self.adam_velocities.append(
                self.add_variable_from_reference(variable, "velocity")
                if self._should_use_adamw(variable) else None)

    def _step_scalars(self, learning_rate):
        beta_1_power, beta_2_power = step_powers(self._update_count(), self.adam_beta_1,
                                                 self.adam_beta_2)
        adam_alpha = ops.divide(
            ops.multiply(ops.multiply(learning_rate, float(self.adam_lr_ratio)),
                         ops.sqrt(ops.subtract(1.0, beta_2_power))),
            ops.subtract(1.0, beta_1_power))
        return {"learning_rate": learning_rate, "adam_alpha": adam_alpha}

    def _update_variable(self, gradient, variable, scalars):
        index = self._get_variable_index(variable)
        m = self.momentums[index]
        v = self.adam_velocities[index]
        if v is None:
            self._muon_update(gradient, variable, m, scalars["learning_rate"])
        else:
            self._adamw_update(gradient, variable, m, v, scalars["adam_alpha"])

    def _muon_update(self, gradient, variable, m, learning_rate):
        new_m = ops.add(ops.multiply(m.value, float(self.momentum)), gradient)
        m.assign(new_m)
        direction = ops.add(gradient, ops.multiply(new_m, float(self.momentum))) \
            if self.nesterov else new_m
        update = self.zeropower_via_newtonschulz5(direction, self.ns_steps)
        variable.assign_sub(self.lr_adjust(ops.multiply(update, learning_rate)))

    def _adamw_update(self, gradient, variable, m, v, alpha):
        m_value = m.value
        new_m = ops.add(m_value, ops.multiply(ops.subtract(gradient, m_value),
                                              1.0 - self.adam_beta_1))
        m.assign(new_m)
        v_value = v.value
        new_v = ops.add(v_value, ops.multiply(ops.subtract(ops.square(gradient), v_value),
                                              1.0 - self.adam_beta_2))
        v.assign(new_v)
        variable.assign_sub(ops.divide(ops.multiply(new_m, alpha),
                                       ops.add(ops.sqrt(new_v), self.epsilon)))

    @staticmethod
    def transpose_last_axis(x):
        """`x` with its last two axes swapped."""
        return ops.swapaxes(x, -1, -2)

    def lr_adjust(self, x):
        """`x` (a matrix step) times ``sqrt(max(rows, cols)) * rms_rate``
        (Moonlight's scaling, arXiv:2502.16982); `x` itself when `rms_rate`
        is None."""
        if self.rms_rate is None:
            return x
        rows, cols = x.shape[0], x.shape[1]
        return ops.multiply(x, math.sqrt(max(rows, cols)) * float(self.rms_rate))

    def zeropower_via_newtonschulz5(self, x, steps):
        """An approximately orthogonal matrix with `x`'s singular vectors.

        `x` (its last two axes) is divided by its Frobenius norm plus 1e-7,
        so its spectral norm is at most 1, then `steps` quintic iterations
        ``A = X X^T; X = a X + (b A + c A A) X`` push the singular values
        towards 1 (to about U S' V^T with S' near 1, not exactly U V^T).
        A tall matrix is transposed first so that ``X X^T`` is the smaller
        product.

        Raises:
            ValueError: `x` has fewer than 2 dimensions.
        """
        shape = tuple(x.shape)
        if len(shape) < 2:
            raise ValueError(
                "Expected gradient or momentum to have at least 2 dimensions. "
                f"Received: shape={shape}"
            )
        a, b, c = float(self.muon_a), float(self.muon_b), float(self.muon_c)
        tall = shape[-2] > shape[-1]
        if tall:
            x = self.transpose_last_axis(x)
        norm = ops.sqrt(ops.sum(ops.square(x), axis=(-2, -1), keepdims=True))
        x = ops.divide(x, ops.add(norm, 1e-7))
        for _ in range(steps):
            gram = ops.matmul(x, self.transpose_last_axis(x))
            poly = ops.add(ops.multiply(gram, b), ops.multiply(ops.matmul(gram, gram), c))
            x = ops.add(ops.multiply(x, a), ops.matmul(poly, x))
        if tall:
            x = self.transpose_last_axis(x)
        return x

    def _apply_weight_decay(self, variables, learning_rate):
        """Decoupled weight decay with `weight_decay` (Muon variables) or
        `adam_weight_decay` (AdamW variables); a None factor skips them."""
        for variable in variables:
            index = self._get_variable_index(variable)
            if not self._weight_decay_mask[index]:
                continue
            decay = (self.adam_weight_decay if self.adam_velocities[index] is not None
                     else self.weight_decay)
            if decay is None:
                continue
            factor = ops.cast(ops.multiply(learning_rate, float(decay)), variable.dtype)
            variable.assign_sub(ops.multiply(variable.value, factor))

    def get_config(self):
        config = super().get_config()
        config.update({
            "adam_beta_1": self.adam_beta_1, "adam_beta_2": self.adam_beta_2,
            "epsilon": self.epsilon, "exclude_layers": self.exclude_layers,
            "muon_a": self.muon_a, "muon_b": self.muon_b, "muon_c": self.muon_c,
            "adam_lr_ratio": self.adam_lr_ratio, "momentum": self.momentum,
            "ns_steps": self.ns_steps, "nesterov": self.nesterov,
            "exclude_embeddings": self.exclude_embeddings,
            "adam_weight_decay": self.adam_weight_decay, "rms_rate": self.rms_rate,
        })
        return config
