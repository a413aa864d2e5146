"""SpectralNormalization: keeps a layer's kernel at spectral norm 1 (GAN discriminators)."""
from kfacade import initializers, ops
from kfacade.engine.input_spec import InputSpec
from kfacade.layers.core.wrapper import Wrapper


class SpectralNormalization(Wrapper):
    """Divides the wrapped layer's kernel by its largest singular value.

    Bounding the spectral norm bounds the layer's Lipschitz constant, which
    steadies the training of GAN discriminators (Miyato et al., 2018,
    https://arxiv.org/abs/1802.05957). The norm is estimated by power
    iteration on the kernel reshaped to ``(-1, kernel.shape[-1])``, starting
    from a non-trainable vector ``vector_u`` of shape ``(1, kernel.shape[-1])``
    that is kept between calls, so one iteration per training step suffices.

    In a call with ``training=True`` the wrapper runs `power_iterations`
    steps, stores the new ``vector_u`` and assigns the normalized kernel to
    the wrapped layer's kernel variable (as Keras 3 does: the kernel
    variable itself holds the normalized values), then calls the layer. An
    all-zero kernel is left as it is. In inference the layer runs on its
    kernel unchanged.

    Args:
        layer: a layer with a ``kernel`` (``Dense``, ``Conv2D``, ...) or an
            ``embeddings`` (``Embedding``) weight.
        power_iterations: the number of power-iteration steps per training
            call, at least 1.

    Weights: the wrapper's own ``kernel`` (the wrapped layer's, tracked as
    Keras tracks it) and ``vector_u``, then the wrapped layer's; a Keras 3
    ``.weights.h5`` file lines up.

    Raises:
        ValueError: `power_iterations` < 1; at build, `layer` has neither a
            ``kernel`` nor an ``embeddings`` weight.

    Example:
        >>> layer = SpectralNormalization(Dense(10))
        >>> layer(np.random.rand(4, 8), training=True).shape  # (4, 10)
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if power_iterations <= 0:
            raise ValueError(
                "`power_iterations` should be greater than zero. Received: "
                f"`power_iterations={power_iterations}`"
            )
        self.power_iterations = power_iterations

    def build(self, input_shape):
        super().build(input_shape)
        self.input_spec = InputSpec(min_ndim=1, axes={-1: input_shape[-1]})
        if hasattr(self.layer, "kernel"):
            self.kernel = self.layer.kernel
        elif hasattr(self.layer, "embeddings"):
            self.kernel = self.layer.embeddings
        else:
            raise ValueError(
                f"{type(self.layer).__name__} object has no attribute 'kernel' nor 'embeddings'"
            )
        self.kernel_shape = tuple(self.kernel.shape)
        self.vector_u = self.add_weight(
            shape=(1, self.kernel_shape[-1]),
            initializer=initializers.TruncatedNormal(stddev=0.02),
            trainable=False,
            name="vector_u",
            dtype=self.kernel.dtype,
        )

    def call(self, inputs, training=False):
        if training:
            vector_u, kernel = self.normalized_weights()
            self.vector_u.assign(vector_u)
            self.kernel.assign(kernel)
        outputs = self.layer(inputs)
        return ops.cast(outputs, ops.dtype(inputs))

    def normalized_weights(self):
        """``(vector_u, kernel)`` after `power_iterations` steps: the new
        estimate of the top right singular vector and the kernel divided by
        the estimated spectral norm ``sigma = v W u^T`` (an all-zero kernel
        and its ``vector_u`` come back unchanged)."""
        kernel = self.kernel.value
        weights = ops.reshape(kernel, (-1, self.kernel_shape[-1]))
        vector_u = self.vector_u.value
        for _ in range(self.power_iterations):
            vector_v = ops.normalize(ops.matmul(vector_u, ops.transpose(weights)), axis=None)
            vector_u = ops.normalize(ops.matmul(vector_v, weights), axis=None)
        # The singular vectors are estimates, not functions to differentiate through.
        vector_u = ops.stop_gradient(vector_u)
        vector_v = ops.stop_gradient(vector_v)
        sigma = ops.matmul(ops.matmul(vector_v, weights), ops.transpose(vector_u))
        all_zero = ops.all(ops.equal(kernel, 0))
        # A zero kernel has sigma 0: divide by 1 instead and keep the old values.
        sigma = ops.where(all_zero, ops.ones_like(sigma), sigma)
        normalized = ops.reshape(ops.divide(weights, sigma), self.kernel_shape)
        vector_u = ops.where(all_zero, self.vector_u.value, vector_u)
        return (ops.cast(vector_u, self.vector_u.dtype), ops.cast(normalized, self.kernel.dtype))

    @property
    def weights(self):
        """Keras 3's order: the tracked kernel, ``vector_u``, then the wrapped
        layer's other weights (so ``get_weights`` lists match Keras's)."""
        if not self.built:
            return self.layer.weights
        own = [self.kernel, self.vector_u]
        return own + [w for w in self.layer.weights if all(w is not o for o in own)]

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "power_iterations": self.power_iterations}
