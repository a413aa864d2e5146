"""ReversibleEmbedding: an Embedding that also projects hidden states back to
vocabulary logits (``reverse=True``), with the table's transpose (tied
weights, Press and Wolf, 2016) or a separate ``(output_dim, input_dim)`` kernel.

Weights in Keras 3's order (``keras/src/layers/core/reversible_embedding.py``,
``build``): ``embeddings (input_dim, output_dim)``, then, untied only,
``reverse_embeddings (output_dim, input_dim)``.
"""
from kfacade import ops
from kfacade.layers.core.embedding import Embedding


class ReversibleEmbedding(Embedding):
    """An embedding layer that can also map ``output_dim`` vectors to ``input_dim`` logits.

    Args:
        input_dim: the vocabulary size (largest index + 1).
        output_dim: the size of each vector.
        tie_weights: the reverse projection uses the transpose of
            `embeddings`; False: a separate trainable ``reverse_embeddings``
            ``(output_dim, input_dim)``, initialized as the table.
        embeddings_initializer, embeddings_regularizer, embeddings_constraint,
        mask_zero: as Embedding's (the regularizer and constraint apply to
            `embeddings` only).
        reverse_dtype: the dtype of the reverse projection's inputs and
            kernel (e.g. "float32" under mixed precision); None: the compute dtype.
        logit_soft_cap: a float c: reverse logits become ``c * tanh(logits / c)``.

    Call arguments:
        inputs: integer indices ``(batch, ...)``; with `reverse`, hidden states
            ``(batch, ..., output_dim)``.
        reverse: project to logits ``(batch, ..., input_dim)`` instead of embedding.

    Example:
        >>> layer = ReversibleEmbedding(100, 16)
        >>> hidden = layer(np.array([[4, 2, 9]]))          # (1, 3, 16)
        >>> layer(hidden, reverse=True).shape
        (1, 3, 100)
    """

    def __init__(self, input_dim, output_dim, tie_weights=True, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 reverse_dtype=None, logit_soft_cap=None, **kwargs):
        super().__init__(input_dim, output_dim, embeddings_initializer=embeddings_initializer,
                         embeddings_regularizer=embeddings_regularizer,
                         embeddings_constraint=embeddings_constraint, mask_zero=mask_zero,
                         **kwargs)
        self.tie_weights = tie_weights
        self.reverse_dtype = reverse_dtype
        self.logit_soft_cap = logit_soft_cap
        self._reverse_call = False  # the current call's `reverse`, for compute_mask
        # The output shape depends on `reverse`: symbolic shapes come from a dummy run.
        self._has_shape_rule = False

    def build(self, input_shape=None):
        if self.built:
            return
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight(
                name="reverse_embeddings", shape=(self.output_dim, self.input_dim),
                initializer=self.embeddings_initializer, trainable=True)
        self.built = True

    def __call__(self, inputs, reverse=False, **kwargs):
        saved, self._reverse_call = self._reverse_call, bool(reverse)
        try:
            return super().__call__(inputs, reverse=reverse, **kwargs)
        finally:
            self._reverse_call = saved

    def call(self, inputs, reverse=False):
        if not reverse:
            return super().call(inputs)
        kernel = (ops.transpose(self.embeddings.value) if self.tie_weights
                  else self.reverse_embeddings.value)
        if self.reverse_dtype is not None:
            inputs = ops.cast(inputs, self.reverse_dtype)
            kernel = ops.cast(kernel, self.reverse_dtype)
        logits = ops.matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            cap = self.logit_soft_cap
            logits = ops.multiply(ops.tanh(ops.divide(logits, cap)), cap)
        return logits

    def compute_mask(self, inputs, previous_mask=None):
        """``inputs != 0`` for an embedding call with `mask_zero`; logits carry no mask."""
        if self._reverse_call:
            return None
        return super().compute_mask(inputs, previous_mask)

    def compute_output_shape(self, input_shape, reverse=False):
        if reverse:
            return tuple(input_shape)[:-1] + (self.input_dim,)
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        config = super().get_config()
        config.update({
            "tie_weights": self.tie_weights,
            "reverse_dtype": self.reverse_dtype,
            "logit_soft_cap": self.logit_soft_cap,
        })
        return config
