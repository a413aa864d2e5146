"""MultiHeadAttention with Keras 3's weight layout.

Query, key and value are projected by einsum kernels ``(dim, num_heads,
key_dim)`` (value: ``value_dim``) with biases ``(num_heads, key_dim)``; the
heads are combined by an output kernel ``(num_heads, value_dim, out_dim)``
with bias ``(out_dim,)``. Weights come in Keras's order: query, key, (gate,)
value, attention_output, kernel then bias for each, so Keras weight files
and ``get_weights`` lists carry over unchanged.

An adapter may compute the attention in its fused kernel: the optional hook
``fused_dot_product_attention`` (``kfacade.backend.contract.OPTIONAL_HOOKS``),
tried when no attention scores are returned and no dropout applies.
"""
import math
import string

from kfacade import constraints, initializers, ops, regularizers
from kfacade.backend.active import adapter as _B
from kfacade.layers.attention.attention import (
    QueryValueKeyLayer,
    check_value_and_key_shapes,
    large_negative_number,
    merged_attention_mask,
)
from kfacade.layers.core.einsum_dense import EinsumDense
from kfacade.random import SeedGenerator

class _EinsumProjection(EinsumDense):
    """An EinsumDense whose kernel and bias shapes MultiHeadAttention fixes
    itself (Keras 3's layout), rather than deriving them from an output shape.

    Args:
        equation: e.g. "abc,cde->abde".
        kernel_shape: the kernel's shape.
        bias_shape: the bias's shape, broadcast over the output's last axes; None: no bias.
        activation: None or "sigmoid" (the gate).
    """

    def __init__(self, equation, kernel_shape, bias_shape, activation=None, **kwargs):
        super().__init__(equation, output_shape=(), activation=activation, **kwargs)
        self.kernel_shape = tuple(kernel_shape)
        self.bias_shape = None if bias_shape is None else tuple(bias_shape)

    def build(self, input_shape):
        inputs, kernel = self.equation.split("->")[0].split(",")
        input_axes = [i for i, letter in enumerate(kernel) if letter in inputs]
        output_axes = [i for i, letter in enumerate(kernel) if letter not in inputs]
        self._create_weights(self.kernel_shape, self.bias_shape, input_axes, output_axes)
        self.built = True


class MultiHeadAttention(QueryValueKeyLayer):
    """Multi-head attention as in "Attention is all you Need" (Vaswani et al., 2017).

    Args:
        num_heads: number of attention heads.
        key_dim: size of each head for query and key.
        value_dim: size of each head for value (default `key_dim`).
        dropout: dropout rate of the attention weights in training.
        use_bias: whether the projections have biases.
        output_shape: the output's feature shape (int or tuple); default the
            query's last dimension.
        attention_axes: axes attention runs over (default: every axis but
            batch, heads and features).
        sliding_window: a positive int restricting each query to keys within
            ``sliding_window - 1`` positions; None: full attention.
        flash_attention: accepted for compatibility; the explicit path is used.
        kernel_initializer, bias_initializer, kernel_regularizer,
        bias_regularizer, activity_regularizer, kernel_constraint,
        bias_constraint: of the projections.
        use_gate: add a sigmoid gate ``sigmoid(query @ gate)`` on the heads.
        seed: an int for reproducible dropout.

    Call arguments:
        query: ``(B, T, dim)``; value: ``(B, S, dim)``; key: ``(B, S, dim)``
            (default `value`).
        query_mask, value_mask, key_mask: bool ``(B, T)``/``(B, S)`` masks;
            in a functional model the inputs' Keras masks fill them.
        attention_mask: bool ``(B, T, S)``; True lets a query attend to a key.
        return_attention_scores: also return the weights ``(B, heads, T, S)``.
        training: apply dropout.
        use_causal_mask: query ``i`` attends only to keys ``j <= i``.

    Returns:
        ``(B, T, out_dim)``, and the weights when `return_attention_scores`.

    Example:
        >>> mha = MultiHeadAttention(num_heads=2, key_dim=4)
        >>> mha(np.ones((1, 3, 8)), np.ones((1, 5, 8))).shape
        (1, 3, 8)
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, sliding_window=None, flash_attention=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None,
                 **kwargs):
        if not isinstance(num_heads, int) or num_heads <= 0:
            raise ValueError(
                "Received an invalid value for argument `num_heads`, expected a positive "
                f"integer. Received: num_heads={num_heads}"
            )
        if not isinstance(key_dim, int) or key_dim <= 0:
            raise ValueError(
                "Received an invalid value for argument `key_dim`, expected a positive "
                f"integer. Received: key_dim={key_dim}"
            )
        if value_dim is not None and (not isinstance(value_dim, int) or value_dim <= 0):
            raise ValueError(
                "Received an invalid value for argument `value_dim`, expected a positive "
                f"integer or `None`. Received: value_dim={value_dim}"
            )
        super().__init__(**kwargs)
        self.supports_masking = True
        self._num_heads = num_heads
        self._key_dim = key_dim
        self._value_dim = value_dim if value_dim else key_dim
        self._dropout = dropout
        self._use_bias = use_bias
        self._use_gate = use_gate
        if output_shape:
            if isinstance(output_shape, int):
                output_shape = (output_shape,)
            try:
                output_shape = tuple(output_shape)
            except TypeError:
                raise ValueError(
                    f"Invalid `output_shape`: {output_shape}. When specified, the "
                    "`output_shape` should be of type tuple, list, or int."
                )
        self._output_shape = output_shape or None
        self._flash_attention = flash_attention
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._activity_regularizer = regularizers.get(activity_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes and not isinstance(attention_axes, (list, tuple)):
            raise ValueError(
                "`attention_axes` must be an int, list, or tuple."
                f"Received: attention_axes={attention_axes}"
            )
        self._attention_axes = tuple(attention_axes) if attention_axes else None
        self._config_attention_axes = self._attention_axes
        if sliding_window is not None and (not isinstance(sliding_window, int) or sliding_window <= 0):
            raise ValueError(
                "`sliding_window` must be `None` or a positive integer. "
                f"Received: sliding_window={sliding_window}"
            )
        self._sliding_window = sliding_window
        self.seed = seed
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(self._key_dim))
        if self._flash_attention and self._dropout > 0.0:
            raise ValueError(
                "Dropout is not supported when flash attention is enabled. "
                "Please set dropout to 0.0 to use flash attention."
            )
        if self._dropout > 0:
            self.seed_generator = SeedGenerator(seed, name=f"{self.name}_seed")
        # Several inputs and, with return_attention_scores, two outputs:
        # symbolic shapes come from a dummy run.
        self._has_shape_rule = False

    num_heads = property(lambda self: self._num_heads)
    key_dim = property(lambda self: self._key_dim)
    value_dim = property(lambda self: self._value_dim)
    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)
    attention_axes = property(lambda self: self._attention_axes)
    # Keras 3's names for the projections (its .keras files address them so).
    query_dense = property(lambda self: self._query_dense)
    key_dense = property(lambda self: self._key_dense)
    value_dense = property(lambda self: self._value_dense)
    output_dense = property(lambda self: self._output_dense)

    # ------------------------------------------------------------ build
    def _projection(self, name, equation, kernel_shape, bias_shape, activation=None):
        layer = _EinsumProjection(
            equation, kernel_shape, bias_shape if self._use_bias else None, activation=activation,
            kernel_initializer=initializers.get(initializers.serialize(self._kernel_initializer)),
            bias_initializer=initializers.get(initializers.serialize(self._bias_initializer)),
            kernel_regularizer=self._kernel_regularizer, bias_regularizer=self._bias_regularizer,
            kernel_constraint=self._kernel_constraint, bias_constraint=self._bias_constraint,
            activity_regularizer=self._activity_regularizer, name=name, dtype=self.dtype_policy,
        )
        layer.build(None)
        for variable in layer.weights:
            variable.path = f"{self.name}/{name}/{variable.name}"
        return layer

    def build(self, query_shape, value_shape=None, key_shape=None):
        """Creates the projections for inputs of these shapes.

        Raises:
            ValueError: `value` and `key` differ in a dimension other than the last.
        """
        if value_shape is None:  # Layer._maybe_build passes one shape
            value_shape = query_shape
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        check_value_and_key_shapes(value_shape, key_shape)
        heads, kd, vd = self._num_heads, self._key_dim, self._value_dim
        equation, _, rank = _build_proj_equation(len(query_shape) - 1, bound_dims=1, output_dims=2)
        self._query_dense = self._projection("query", equation, (query_shape[-1], heads, kd), (heads, kd))
        equation, _, _ = _build_proj_equation(len(key_shape) - 1, bound_dims=1, output_dims=2)
        self._key_dense = self._projection("key", equation, (key_shape[-1], heads, kd), (heads, kd))
        if self._use_gate:
            equation, _, _ = _build_proj_equation(len(query_shape) - 1, bound_dims=1, output_dims=2)
            self._gate_dense = self._projection(
                "gate", equation, (query_shape[-1], heads, vd), (heads, vd), activation="sigmoid")
        equation, _, rank = _build_proj_equation(len(value_shape) - 1, bound_dims=1, output_dims=2)
        self._value_dense = self._projection("value", equation, (value_shape[-1], heads, vd), (heads, vd))
        self._build_attention(rank)
        output_shape = self._output_shape or (query_shape[-1],)
        equation, _, _ = _build_proj_equation(len(query_shape) - 1, bound_dims=2,
                                              output_dims=len(output_shape))
        self._output_dense = self._projection(
            "attention_output", equation, (heads, vd) + tuple(output_shape), tuple(output_shape))
        self.built = True

    def _build_attention(self, rank):
        if self._attention_axes is None:
            self._attention_axes = tuple(range(1, rank - 2))
        else:
            self._attention_axes = tuple(a if a >= 0 else (rank - 1) + a for a in self._attention_axes)
        self._dot_product_equation, self._combine_equation, scores_rank = _build_attention_equation(
            rank, attn_axes=self._attention_axes)
        self._norm_axes = tuple(range(scores_rank - len(self._attention_axes), scores_rank))

    # ------------------------------------------------------------- call
    def _masked_softmax(self, scores, attention_mask=None):
        if attention_mask is not None:
            # Masks (B, T, S) broadcast over the heads (and other batch dims).
            expand_axis = -len(self._attention_axes) * 2 - 1
            for _ in range(len(ops.shape(scores)) - len(ops.shape(attention_mask))):
                attention_mask = ops.expand_dims(attention_mask, expand_axis)
            scores = ops.where(attention_mask, scores, large_negative_number(ops.dtype(scores)))
        if len(self._norm_axes) > 1:
            weights = ops.exp(ops.subtract(
                scores, ops.logsumexp(scores, axis=self._norm_axes, keepdims=True)))
        else:
            weights = ops.softmax(scores, axis=self._norm_axes[0])
        if attention_mask is not None:
            # A fully masked row would otherwise be uniform.
            weights = ops.where(attention_mask, weights, 0.0)
        return weights

    def _compute_attention(self, query, key, value, attention_mask=None, training=None):
        query = ops.multiply(query, self._inverse_sqrt_key_dim)
        scores = ops.einsum(self._dot_product_equation, key, query)
        scores = self._masked_softmax(scores, attention_mask)
        weights = scores
        if training and self._dropout > 0:
            weights = ops.dropout(scores, self._dropout, seed=self.seed_generator)
        return ops.einsum(self._combine_equation, weights, value), scores

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False, mask=None):
        if key is None:
            key = value
        if mask is not None:  # Keras masks of [query, value] from a functional model
            masks = list(mask) if isinstance(mask, (list, tuple)) else [mask]
            query_mask = masks[0] if query_mask is None else query_mask
            if len(masks) > 1 and value_mask is None:
                value_mask = masks[1]
        attention_mask = self._compute_attention_mask(
            query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask)
        gate = self._gate_dense(query) if self._use_gate else None
        query = self._query_dense(query)
        key = self._key_dense(key)
        value = self._value_dense(value)
        outputs = None
        if not return_attention_scores and not (training and self._dropout > 0):
            outputs = self._fused_attention(query, key, value, attention_mask)
        if outputs is None:
            outputs, scores = self._compute_attention(query, key, value, attention_mask, training)
        if gate is not None:
            outputs = ops.multiply(outputs, gate)
        outputs = self._output_dense(outputs)
        if return_attention_scores:
            return outputs, scores
        return outputs

    def _fused_attention(self, query, key, value, attention_mask):
        """The adapter's ``fused_dot_product_attention`` of the projected inputs,
        or None to run ``_compute_attention`` (no hook, several attention axes,
        a subclass that overrides the attention, or the hook declined)."""
        hook = getattr(_B, "fused_dot_product_attention", None)
        if (hook is None or len(self._attention_axes) != 1
                or type(self)._compute_attention is not MultiHeadAttention._compute_attention
                or type(self)._masked_softmax is not MultiHeadAttention._masked_softmax):
            return None
        try:
            return hook(query, key, value, attention_mask, self._inverse_sqrt_key_dim)
        except NotImplementedError:
            return None

    def _compute_attention_mask(self, query, value, query_mask=None, value_mask=None,
                                key_mask=None, attention_mask=None, use_causal_mask=False):
        """The (B, T, S) bool mask merging the input masks, the causal and window masks."""
        return merged_attention_mask(query, value, query_mask, value_mask, key_mask,
                                     attention_mask, use_causal_mask, self._sliding_window)

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        query_shape = tuple(query_shape)
        value_shape = query_shape if value_shape is None else tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        check_value_and_key_shapes(value_shape, key_shape)
        if self._output_shape:
            return query_shape[:-1] + tuple(self._output_shape)
        return query_shape

    def get_config(self):
        config = super().get_config()
        config.update({
            "num_heads": self._num_heads,
            "key_dim": self._key_dim,
            "value_dim": self._value_dim,
            "dropout": self._dropout,
            "use_bias": self._use_bias,
            "use_gate": self._use_gate,
            "output_shape": self._output_shape,
            "attention_axes": self._config_attention_axes,
            "sliding_window": self._sliding_window,
            "kernel_initializer": initializers.serialize(self._kernel_initializer),
            "bias_initializer": initializers.serialize(self._bias_initializer),
            "kernel_regularizer": regularizers.serialize(self._kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self._bias_regularizer),
            "activity_regularizer": regularizers.serialize(self._activity_regularizer),
            "kernel_constraint": constraints.serialize(self._kernel_constraint),
            "bias_constraint": constraints.serialize(self._bias_constraint),
            "seed": self.seed,
        })
        return config


def _build_attention_equation(rank, attn_axes):
    """Einsum equations of the scores and of the combination (Keras 3's).

    Projected tensors are ``(batch, <non-attention dims>, <attention dims>,
    heads, channels)``; scores are ``(batch dims, heads, <query attention
    dims>, <key attention dims>)``.
    """
    letters = string.ascii_lowercase
    target = letters[:rank]
    batch_dims = tuple(i for i in range(rank) if i not in attn_axes + (rank - 1,))
    offset = rank
    source = ""
    for i in range(rank):
        if i in batch_dims or i == rank - 1:
            source += target[i]
        else:
            source += letters[offset]
            offset += 1
    product = "".join([target[i] for i in batch_dims] + [target[i] for i in attn_axes]
                      + [source[i] for i in attn_axes])
    return f"{source},{target}->{product}", f"{product},{source}->{target}", len(product)


def _build_proj_equation(free_dims, bound_dims, output_dims):
    """The projection equation, its bias axes and its output rank (Keras 3's)."""
    letters = string.ascii_lowercase
    free = letters[:free_dims]
    bound = letters[free_dims:free_dims + bound_dims]
    out = letters[free_dims + bound_dims:free_dims + bound_dims + output_dims]
    return f"{free}{bound},{bound}{out}->{free}{out}", out, len(free) + len(out)
