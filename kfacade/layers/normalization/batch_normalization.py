"""BatchNormalization: batch statistics in training, moving ones in inference.

An adapter may run the normalization in its fused kernel: the optional hook
``fused_batch_normalization`` (``kfacade.backend.contract.OPTIONAL_HOOKS``),
which returns the new moving statistics for the layer to assign, so that a
stateless (compiled) step records them as it records the generic path's.
Half-precision inputs are normalized in float32, as Keras does
(``kfacade.layers.normalization.precision``).
"""
from kfacade import constraints, initializers, ops, regularizers
from kfacade.backend.active import adapter as _B
from kfacade.engine.input_spec import InputSpec
from kfacade.layers.layer import Layer
from kfacade.layers.normalization import precision


class BatchNormalization(Layer):
    """Normalizes inputs along `axis` with batch or moving statistics.

    In training (``fit``, or ``training=True``) it normalizes with the batch's
    mean and variance and moves the moving statistics towards them:
    ``moving = moving * momentum + batch * (1 - momentum)``. In inference it
    uses the moving statistics.

    Args:
        axis: the features axis (int or list), default -1.
        momentum: of the moving statistics, default 0.99.
        epsilon: added to the variance, default 1e-3.
        center, scale: whether to learn ``beta`` and ``gamma``.

    Weights, in Keras's order: ``gamma``, ``beta`` (trainable),
    ``moving_mean``, ``moving_variance`` (non-trainable), each of the
    features' size.
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", moving_mean_initializer="zeros",
                 moving_variance_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, synchronized=False, fused=None,
                 renorm=False, virtual_batch_size=None, adjustment=None, **kwargs):
        super().__init__(**kwargs)
        if renorm or virtual_batch_size is not None or adjustment is not None:
            raise ValueError(
                "BatchNormalization: renorm, virtual_batch_size and adjustment are Keras 2 "
                "TensorFlow-only options and are not supported."
            )
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else [int(axis)]
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True

    def build(self, input_shape):
        ndim = len(input_shape)
        self._axes = sorted(a % ndim for a in self.axis)
        for a in self._axes:
            if input_shape[a] is None:
                raise ValueError(
                    f"BatchNormalization {self.name!r}: axis {a} of the input must be known. "
                    f"Received: input_shape={tuple(input_shape)}"
                )
        shape = tuple(input_shape[a] for a in self._axes)
        # Read in their own dtype under a mixed policy (Keras's autocast=False):
        # the layer computes in float32 (``precision``).
        self.gamma = (
            self.add_weight(name="gamma", shape=shape, initializer=self.gamma_initializer,
                            regularizer=self.gamma_regularizer, constraint=self.gamma_constraint,
                            autocast=False)
            if self.scale else None
        )
        self.beta = (
            self.add_weight(name="beta", shape=shape, initializer=self.beta_initializer,
                            regularizer=self.beta_regularizer, constraint=self.beta_constraint,
                            autocast=False)
            if self.center else None
        )
        self.moving_mean = self.add_weight(name="moving_mean", shape=shape,
                                           initializer=self.moving_mean_initializer, trainable=False,
                                           autocast=False)
        self.moving_variance = self.add_weight(name="moving_variance", shape=shape,
                                               initializer=self.moving_variance_initializer,
                                               trainable=False, autocast=False)
        self._reduction_axes = tuple(i for i in range(ndim) if i not in self._axes)
        self._broadcast = [1] * ndim
        for a in self._axes:
            self._broadcast[a] = input_shape[a]
        self._needs_reshape = not (len(self._axes) == 1 and self._axes[0] == ndim - 1)
        self.input_spec = InputSpec(ndim=ndim, axes={a: input_shape[a] for a in self._axes})
        self.built = True

    def _shaped(self, v):
        """The features-shaped tensor `v` (or None) broadcastable against the input."""
        if v is None or not self._needs_reshape:
            return v
        return _B.reshape(v, self._broadcast)

    def call(self, inputs, training=None, mask=None):
        training = bool(training and self.trainable)
        dtype = precision.computation_dtype(inputs)
        gamma, beta = precision.read(self.gamma, dtype), precision.read(self.beta, dtype)
        moving_mean = precision.read(self.moving_mean, dtype)
        moving_variance = precision.read(self.moving_variance, dtype)
        hook = getattr(_B, "fused_batch_normalization", None)
        if hook is not None:
            arguments = (self._axes, gamma, beta, moving_mean, moving_variance, self.momentum,
                         self.epsilon, training)
            # Half inputs as they are first (the kernel computes in float32), then upcast.
            fused = _try_hook(hook, inputs, arguments)
            if fused is None and _B.dtype(inputs) != dtype:
                fused = _try_hook(hook, _B.cast(inputs, dtype), arguments)
            if fused is not None:
                outputs, mean, variance = fused
                if training:
                    self.moving_mean.assign(mean)
                    self.moving_variance.assign(variance)
                return _B.cast(outputs, self.compute_dtype)
        inputs = _B.cast(inputs, dtype)
        if training:
            mean, variance = ops.moments(inputs, self._reduction_axes, keepdims=False)
            m = self.momentum
            self.moving_mean.assign(
                _B.add(_B.multiply(moving_mean, m), _B.multiply(mean, 1.0 - m)))
            self.moving_variance.assign(
                _B.add(_B.multiply(moving_variance, m), _B.multiply(variance, 1.0 - m)))
        else:
            mean, variance = moving_mean, moving_variance
        outputs = ops.batch_normalization(
            inputs, self._shaped(mean), self._shaped(variance),
            offset=self._shaped(beta), scale=self._shaped(gamma), epsilon=self.epsilon)
        return _B.cast(outputs, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "axis": self.axis if len(self.axis) > 1 else self.axis[0],
            "momentum": self.momentum, "epsilon": self.epsilon,
            "center": self.center, "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
        })
        return config


def _try_hook(hook, inputs, arguments):
    """The fused hook's ``(outputs, mean, variance)`` for `inputs`, or None
    where it declines (``NotImplementedError``)."""
    try:
        return hook(inputs, *arguments)
    except NotImplementedError:
        return None
