"""GroupedQueryAttention (``keras.layers.GroupQueryAttention``), Ainslie et al., 2023.

``num_query_heads`` query heads share ``num_key_value_heads`` key/value
heads: query head ``u`` reads key/value head ``u // (num_query_heads //
num_key_value_heads)``. One key/value head is multi-query attention; as many
as query heads is multi-head attention.

Weights, in Keras 3's layout and order (``keras/src/layers/attention/
grouped_query_attention.py``, ``build``), so Keras weight files carry over:
``_query_dense`` ``bqm,muh->bquh`` (kernel ``(dim, N, H)``, bias ``(N, H)``),
``_key_dense`` and ``_value_dense`` ``bkm,mvh->bkvh`` (kernel ``(dim, K, H)``,
bias ``(K, H)``), an optional sigmoid ``_gate_dense`` shaped as the query's and
created between key and value, and ``_output_dense`` ``bquh,uhm->bqm`` (kernel
``(N, H, dim)``, bias ``(dim,)``). The attributes keep Keras's private names:
its ``.keras`` files address the projections as ``<layer>/_query_dense``.

The attention runs through ``ops.dot_product_attention`` (the adapter's fused
kernel where it applies) when no scores are returned and the layer has no
dropout; otherwise scores are computed explicitly. As in Keras, the two paths
differ on a query row whose every key is masked: the explicit path gives it
zero weights (the output is the output bias), the fused path averages every
value.
"""
import math
import numbers

from kfacade import constraints, initializers, ops, regularizers
from kfacade.backend.config import is_flash_attention_enabled
from kfacade.engine.masks import get_keras_mask
from kfacade.layers.attention.attention import (
    QueryValueKeyLayer,
    causal_mask,
    check_value_and_key_shapes,
    large_negative_number,
    merged_attention_mask,
)
from kfacade.layers.core.einsum_dense import EinsumDense
from kfacade.random import SeedGenerator

_SCORES_EQUATION = "bquh,bkuh->buqk"
_COMBINE_EQUATION = "buqk,bkuh->bquh"


def _positive_int(name, value):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value <= 0:
        raise ValueError(
            f"Received an invalid value for argument `{name}`, expected a positive integer. "
            f"Received: {name}={value!r}")
    return int(value)


class GroupedQueryAttention(QueryValueKeyLayer):
    """Grouped-query attention; Keras's public name is ``GroupQueryAttention``.

    Args:
        head_dim: size of each attention head (query, key and value).
        num_query_heads: number of query heads N.
        num_key_value_heads: number of key/value heads K; N must be a multiple of K.
        dropout: dropout rate of the attention weights in training.
        use_bias: whether the projections have biases.
        sliding_window: a positive int restricting each query to keys within
            ``sliding_window - 1`` positions; None: full attention.
        flash_attention: None uses the fused kernel where it applies (unless
            ``kfacade.config.disable_flash_attention()``), True requires it
            (no dropout, no returned scores), False never uses it.
        kernel_initializer, bias_initializer, kernel_regularizer,
        bias_regularizer, activity_regularizer, kernel_constraint,
        bias_constraint: of the projections (the activity regularizer also
            applies to the layer's outputs, as in Keras).
        use_gate: multiply the heads by ``sigmoid(query @ gate)`` before the
            output projection (gated attention).
        seed: an int for reproducible dropout.

    Call arguments:
        query: ``(B, T, dim)``; value: ``(B, S, dim_v)``; key: ``(B, S, dim_k)``
            (default `value`).
        query_mask, value_mask, key_mask: bool ``(B, T)``/``(B, S)``; default
            the inputs' Keras masks.
        attention_mask: bool ``(B, T, S)``; True lets a query attend to a key.
        return_attention_scores: also return the weights ``(B, N, T, S)``.
        training: apply dropout.
        use_causal_mask: query ``i`` attends only to keys ``j <= i``.

    Returns:
        ``(B, T, dim)``, and the weights when `return_attention_scores`.

    Example:
        >>> gqa = GroupQueryAttention(head_dim=4, num_query_heads=4, num_key_value_heads=2)
        >>> gqa(np.ones((1, 3, 8)), np.ones((1, 5, 8))).shape
        (1, 3, 8)
    """

    def __init__(self, head_dim, num_query_heads, num_key_value_heads, dropout=0.0,
                 use_bias=True, sliding_window=None, flash_attention=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None,
                 **kwargs):
        head_dim = _positive_int("head_dim", head_dim)
        num_query_heads = _positive_int("num_query_heads", num_query_heads)
        num_key_value_heads = _positive_int("num_key_value_heads", num_key_value_heads)
        if num_query_heads % num_key_value_heads:
            raise ValueError(
                "`num_query_heads` must be divisible by `num_key_value_heads`. Received: "
                f"num_query_heads={num_query_heads}, num_key_value_heads={num_key_value_heads}")
        if sliding_window is not None and (
                not isinstance(sliding_window, int) or isinstance(sliding_window, bool)
                or sliding_window <= 0):
            raise ValueError(
                "`sliding_window` must be `None` or a positive integer. "
                f"Received: sliding_window={sliding_window!r}")
        # Keras applies the activity regularizer to this layer's outputs too.
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.supports_masking = True
        self.head_dim = head_dim
        self.num_query_heads = num_query_heads
        self.num_key_value_heads = num_key_value_heads
        self.num_repeats = num_query_heads // num_key_value_heads
        self.dropout = float(dropout)
        self.use_bias = use_bias
        self.use_gate = use_gate
        self.sliding_window = sliding_window
        self._flash_attention = (flash_attention if flash_attention is not None
                                 else is_flash_attention_enabled())
        if self._flash_attention and self.dropout > 0.0:
            raise ValueError(
                "Dropout is not supported when flash attention is enabled. Set dropout=0.0 or "
                f"flash_attention=None. Received: dropout={dropout}, flash_attention=True")
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        self._inverse_sqrt_head_dim = 1.0 / math.sqrt(float(head_dim))
        if self.dropout > 0.0:
            self.seed_generator = SeedGenerator(seed, name=f"{self.name}_seed")
        # Several inputs and, with return_attention_scores, two outputs:
        # symbolic shapes come from a dummy run.
        self._has_shape_rule = False

    # ------------------------------------------------------------ build
    def _projection(self, name, equation, output_shape, bias_axes, input_shape, activation=None):
        layer = EinsumDense(
            equation, output_shape=output_shape, activation=activation,
            bias_axes=bias_axes if self.use_bias else None,
            # A fresh initializer per projection: a seeded one would repeat its values.
            kernel_initializer=initializers.get(initializers.serialize(self.kernel_initializer)),
            bias_initializer=initializers.get(initializers.serialize(self.bias_initializer)),
            kernel_regularizer=self.kernel_regularizer, bias_regularizer=self.bias_regularizer,
            kernel_constraint=self.kernel_constraint, bias_constraint=self.bias_constraint,
            activity_regularizer=self.activity_regularizer, name=name, dtype=self.dtype_policy,
        )
        layer.build(input_shape)
        for variable in layer.weights:
            variable.path = f"{self.name}/{name}/{variable.name}"
        return layer

    def build(self, query_shape, value_shape=None, key_shape=None):
        """Creates the projections for inputs of these shapes (value: default the
        query's, key: default the value's), in Keras's order."""
        query_shape = tuple(query_shape)
        value_shape = query_shape if value_shape is None else tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        self.feature_dim = query_shape[-1]
        heads, kv_heads, head_dim = self.num_query_heads, self.num_key_value_heads, self.head_dim
        self._query_dense = self._projection(
            "query", "bqm,muh->bquh", (None, heads, head_dim), "uh", query_shape)
        self._key_dense = self._projection(
            "key", "bkm,mvh->bkvh", (None, kv_heads, head_dim), "vh", key_shape)
        if self.use_gate:
            self._gate_dense = self._projection(
                "gate", "bqm,muh->bquh", (None, heads, head_dim), "uh", query_shape,
                activation="sigmoid")
        self._value_dense = self._projection(
            "value", "bkm,mvh->bkvh", (None, kv_heads, head_dim), "vh", value_shape)
        self._output_dense = self._projection(
            "attention_output", "bquh,uhm->bqm", (None, self.feature_dim), "m",
            (None, None, heads, head_dim))
        self.built = True

    # ------------------------------------------------------------- call
    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False):
        if return_attention_scores and self._flash_attention:
            raise ValueError(
                "Returning attention scores is not supported when flash attention is enabled. "
                "Pass flash_attention=None (or False) to the layer to get the scores.")
        # The inputs' Keras masks fill the mask arguments left out (as Keras's __call__ does).
        if query_mask is None:
            query_mask = get_keras_mask(query)
        if value_mask is None:
            value_mask = get_keras_mask(value)
        if key is None:
            key = value
        elif key_mask is None:
            key_mask = get_keras_mask(key)
        # Causal masking alone goes to the op as `is_causal`, which the fused kernels take.
        causal_only = (use_causal_mask and query_mask is None and value_mask is None
                       and key_mask is None and attention_mask is None
                       and self.sliding_window is None)
        if not causal_only:
            attention_mask = merged_attention_mask(
                query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask,
                self.sliding_window)
        gate = self._gate_dense(query) if self.use_gate else None
        query = self._query_dense(query)
        key = self._key_dense(key)
        value = self._value_dense(value)
        scores = None
        if self.dropout > 0.0 or return_attention_scores:
            outputs, scores = self._compute_attention(
                query, key, value, attention_mask, training, causal_only)
        else:
            if attention_mask is not None:
                attention_mask = ops.expand_dims(attention_mask, -3)  # over the heads
            outputs = ops.dot_product_attention(
                query, key, value, mask=attention_mask, scale=self._inverse_sqrt_head_dim,
                is_causal=causal_only, flash_attention=self._flash_attention)
        if gate is not None:
            outputs = ops.multiply(outputs, gate)
        outputs = self._output_dense(outputs)
        if return_attention_scores:
            return outputs, scores
        return outputs

    def _compute_attention(self, query, key, value, attention_mask=None, training=None,
                           use_causal_mask=False):
        """(outputs ``(B, T, N, H)``, weights ``(B, N, T, S)``) computed explicitly."""
        if use_causal_mask:
            causal = causal_mask(ops.shape(query)[1], ops.shape(value)[1])
            attention_mask = causal if attention_mask is None else ops.logical_and(
                attention_mask, causal)
        key = ops.repeat(key, self.num_repeats, axis=2)
        value = ops.repeat(value, self.num_repeats, axis=2)
        query = ops.multiply(query, self._inverse_sqrt_head_dim)
        scores = ops.einsum(_SCORES_EQUATION, query, key)
        if attention_mask is not None:
            for _ in range(len(ops.shape(scores)) - len(ops.shape(attention_mask))):
                attention_mask = ops.expand_dims(attention_mask, -3)
            scores = ops.where(attention_mask, scores, large_negative_number(ops.dtype(scores)))
        weights = ops.softmax(scores, axis=-1)
        if attention_mask is not None:
            # A fully masked row would otherwise be uniform (Keras's Softmax zeroes it).
            weights = ops.where(attention_mask, weights, 0.0)
        dropped = weights
        if training and self.dropout > 0.0:
            dropped = ops.dropout(weights, self.dropout, seed=self.seed_generator)
        return ops.einsum(_COMBINE_EQUATION, dropped, value), weights

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        query_shape = tuple(query_shape)
        value_shape = query_shape if value_shape is None else tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        check_value_and_key_shapes(value_shape, key_shape)
        return query_shape

    def get_config(self):
        # As Keras's: `flash_attention` is not part of the config.
        config = super().get_config()
        config.update({
            "head_dim": self.head_dim,
            "num_query_heads": self.num_query_heads,
            "num_key_value_heads": self.num_key_value_heads,
            "use_bias": self.use_bias,
            "use_gate": self.use_gate,
            "sliding_window": self.sliding_window,
            "dropout": self.dropout,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "seed": self.seed,
        })
        return config


#: Keras 3 exports the class as ``keras.layers.GroupQueryAttention``; its files
#: name it by the class, ``GroupedQueryAttention``, so both names are registered.
GroupQueryAttention = GroupedQueryAttention
