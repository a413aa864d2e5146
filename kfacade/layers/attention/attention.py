"""Attention (Luong, dot or concat scores) and AdditiveAttention (Bahdanau).

Both take ``[query, value]`` or ``[query, value, key]`` and compute
``softmax(scores(query, key)) @ value`` with Keras 3's masking rules: a
value mask (and the causal mask) subtracts 1e9 from the scores of the
positions left out, and a query mask zeroes the output rows it masks.
"""
from kfacade import ops
from kfacade.backend.dtypes import standardize_dtype
from kfacade.engine.keras_tensor import KerasTensor
from kfacade.layers.layer import Layer
from kfacade.random import SeedGenerator

_SCORE_MODES = ("dot", "concat")


def causal_mask(query_length, key_length):
    """A ``(1, Tq, Tv)`` bool tensor, True where position ``i`` may attend to ``j <= i``."""
    return position_mask(query_length, key_length, causal=True)


def position_mask(query_length, key_length, causal=False, sliding_window=None):
    """The ``(1, Tq, Tv)`` bool mask of the positions query ``i`` may attend:
    ``j <= i`` when `causal`, ``|i - j| < sliding_window`` when given; None
    when neither restricts."""
    if not causal and sliding_window is None:
        return None
    rows = ops.reshape(ops.arange(0, query_length, 1, dtype="int32"), (1, query_length, 1))
    cols = ops.reshape(ops.arange(0, key_length, 1, dtype="int32"), (1, 1, key_length))
    mask = ops.greater_equal(rows, cols) if causal else None
    if sliding_window is not None:
        band = ops.less(ops.abs(ops.subtract(rows, cols)), sliding_window)
        mask = band if mask is None else ops.logical_and(mask, band)
    return mask


def merged_attention_mask(query, value, query_mask=None, value_mask=None, key_mask=None,
                          attention_mask=None, use_causal_mask=False, sliding_window=None):
    """The bool ``(B, T, S)`` (or ``(1, T, S)``) mask of the projected-attention
    layers: `attention_mask` and the query, value and key masks, the causal and
    the sliding-window masks, all combined; None when there is none."""
    merged = None

    def merge(current, new):
        return new if current is None else ops.logical_and(current, new)

    if query_mask is not None:
        merged = ops.expand_dims(as_bool(query_mask), -1)
    if value_mask is not None:
        merged = merge(merged, ops.expand_dims(as_bool(value_mask), -2))
    if key_mask is not None:
        merged = merge(merged, ops.expand_dims(as_bool(key_mask), -2))
    positions = position_mask(ops.shape(query)[1], ops.shape(value)[1], use_causal_mask,
                              sliding_window)
    if positions is not None:
        merged = merge(merged, positions)
    if attention_mask is not None:
        attention_mask = as_bool(attention_mask)
    if merged is not None:
        attention_mask = merged if attention_mask is None else ops.logical_and(attention_mask, merged)
    return attention_mask


def check_value_and_key_shapes(value_shape, key_shape):
    """Raises unless `value` and `key` agree in every dimension but the last."""
    if tuple(value_shape)[1:-1] != tuple(key_shape)[1:-1]:
        raise ValueError(
            "All dimensions of `value` and `key`, except the last one, must be equal. "
            f"Received: value_shape={tuple(value_shape)} and key_shape={tuple(key_shape)}")


def as_bool(mask):
    """`mask` as a native bool tensor (accepts arrays and 0/1 values)."""
    if not ops.is_tensor(mask):
        mask = ops.convert_to_tensor(mask)
    if standardize_dtype(ops.dtype(mask)) != "bool":
        mask = ops.not_equal(mask, 0)
    return mask


def large_negative_number(dtype):
    """What masked attention scores are set to before the softmax: far below
    any score, and finite in half precision."""
    return -3e4 if standardize_dtype(dtype) in ("float16", "bfloat16") else -1e9


class QueryValueKeyLayer(Layer):
    """The calling convention of MultiHeadAttention and GroupQueryAttention:
    ``layer(query, value[, key], **kwargs)``, each input converted and the
    layer built from all three shapes before ``Layer.__call__``; the query's
    mask passes on."""

    def __call__(self, query, value=None, key=None, **kwargs):
        if value is None:
            raise ValueError(
                f"Layer {self.name!r} needs `query` and `value`: call it as "
                "`layer(query, value)` or `layer(query, value, key)`. Received: value=None")
        query, value, key = (
            x if (x is None or type(x) is KerasTensor or ops.is_tensor(x)) else self._convert_input(x)
            for x in (query, value, key)
        )
        if not self.built:
            self.build(*(None if x is None else ops.shape(x) for x in (query, value, key)))
        args = (query, value) if key is None else (query, value, key)
        return super().__call__(*args, **kwargs)

    def compute_mask(self, inputs, previous_mask=None):
        """The query's mask (the first of a list of input masks)."""
        if isinstance(previous_mask, (list, tuple)):
            return previous_mask[0] if previous_mask else None
        return previous_mask


class Attention(Layer):
    """Dot-product attention layer, a.k.a. Luong-style attention.

    Args:
        use_scale: if True, a trainable scalar ``scale`` multiplies the scores.
        score_mode: "dot" (``query @ key^T``) or "concat"
            (``sum(tanh(query + key))``, scaled by ``concat_score_weight``).
        dropout: fraction of the attention weights dropped in training.
        seed: an int for reproducible dropout.

    Call arguments:
        inputs: ``[query, value]`` or ``[query, value, key]``; query
            ``(batch, Tq, dim)``, value and key ``(batch, Tv, dim)``.
        mask: ``[query_mask, value_mask]``, bool ``(batch, Tq)`` and
            ``(batch, Tv)``; masked values get no weight, masked query rows
            give zero outputs.
        return_attention_scores: also return the weights ``(batch, Tq, Tv)``
            (after masking and softmax).
        training: apply dropout to the weights.
        use_causal_mask: position ``i`` attends only to positions ``j <= i``.

    Returns:
        ``(batch, Tq, dim)``, and the weights when `return_attention_scores`.

    Example:
        >>> Attention()([np.ones((2, 3, 4)), np.ones((2, 5, 4))]).shape
        (2, 3, 4)
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.use_scale = use_scale
        self.score_mode = score_mode
        self.dropout = dropout
        self.seed = seed
        if self.dropout > 0:
            self.seed_generator = SeedGenerator(seed, name=f"{self.name}_seed")
        if self.score_mode not in _SCORE_MODES:
            raise ValueError(
                "Invalid value for argument score_mode. Expected one of {'dot', 'concat'}. "
                f"Received: score_mode={score_mode}"
            )
        self.scale = None
        self.concat_score_weight = None
        # Two outputs with return_attention_scores: shapes come from a dummy run.
        self._has_shape_rule = False

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        self.scale = None
        self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(
                name="concat_score_weight", shape=(), initializer="ones"
            )
        self.built = True

    def _calculate_scores(self, query, key):
        """Scores ``(batch, Tq, Tv)`` from query ``(batch, Tq, dim)`` and key ``(batch, Tv, dim)``."""
        if self.score_mode == "dot":
            scores = ops.matmul(query, ops.swapaxes(key, -2, -1))
            if self.scale is not None:
                scores = ops.multiply(scores, self.scale.value)
            return scores
        q = ops.expand_dims(query, -2)  # (batch, Tq, 1, dim)
        k = ops.expand_dims(key, -3)  # (batch, 1, Tv, dim)
        summed = ops.add(q, k)
        if self.scale is not None:
            summed = ops.multiply(self.scale.value, summed)
        return ops.multiply(self.concat_score_weight.value, ops.sum(ops.tanh(summed), axis=-1))

    def _apply_scores(self, scores, value, scores_mask=None, training=False):
        if scores_mask is not None:
            padding_mask = ops.logical_not(scores_mask)
            # 65504 is float16's largest value.
            max_value = 65504.0 if standardize_dtype(ops.dtype(scores)) == "float16" else 1.0e9
            if len(ops.shape(padding_mask)) == 2:
                padding_mask = ops.expand_dims(padding_mask, -2)
            scores = ops.where(padding_mask, ops.subtract(scores, max_value), scores)
        weights = ops.softmax(scores, axis=-1)
        if training and self.dropout > 0:
            weights = ops.dropout(weights, self.dropout, seed=self.seed_generator)
        return ops.matmul(weights, value), weights

    def _calculate_score_mask(self, scores, value_mask, use_causal_mask):
        if not use_causal_mask:
            return value_mask
        shape = ops.shape(scores)
        mask = causal_mask(shape[-2], shape[-1])
        if value_mask is not None:
            return ops.logical_and(ops.expand_dims(value_mask, -2), mask)
        return mask

    def call(self, inputs, mask=None, training=False, return_attention_scores=False,
             use_causal_mask=False):
        self._validate_inputs(inputs, mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        query_mask = as_bool(mask[0]) if mask and mask[0] is not None else None
        value_mask = as_bool(mask[1]) if mask and mask[1] is not None else None
        scores = self._calculate_scores(query, key)
        scores_mask = self._calculate_score_mask(scores, value_mask, use_causal_mask)
        outputs, weights = self._apply_scores(scores, value, scores_mask, training)
        if query_mask is not None:
            outputs = ops.where(ops.expand_dims(query_mask, -1), outputs, 0.0)
        if return_attention_scores:
            return outputs, weights
        return outputs

    def compute_mask(self, inputs, mask=None):
        self._validate_inputs(inputs, mask)
        if mask is None or mask[0] is None:
            return None
        return mask[0]

    def compute_output_shape(self, input_shape):
        query_shape, value_shape = input_shape[0], input_shape[1]
        return (*query_shape[:-1], value_shape[-1])

    def _validate_inputs(self, inputs, mask=None):
        class_name = type(self).__name__
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f"{class_name} layer must be called on a list of inputs, namely "
                f"[query, value] or [query, value, key]. Received: inputs={inputs}."
            )
        if len(inputs) < 2 or len(inputs) > 3:
            raise ValueError(
                f"{class_name} layer accepts inputs list of length 2 or 3, namely "
                f"[query, value] or [query, value, key]. Received length: {len(inputs)}."
            )
        if mask is not None:
            if not isinstance(mask, (list, tuple)):
                raise ValueError(
                    f"{class_name} layer mask must be a list, namely [query_mask, "
                    f"value_mask]. Received: mask={mask}."
                )
            if len(mask) < 2 or len(mask) > 3:
                raise ValueError(
                    f"{class_name} layer accepts mask list of length 2 or 3. "
                    f"Received: inputs={inputs}, mask={mask}."
                )

    def get_config(self):
        return {
            **super().get_config(),
            "use_scale": self.use_scale,
            "score_mode": self.score_mode,
            "dropout": self.dropout,
            "seed": self.seed,
        }


class AdditiveAttention(Attention):
    """Additive attention layer, a.k.a. Bahdanau-style attention.

    Scores are ``sum(scale * tanh(query + key), axis=-1)``; everything else
    (inputs, masks, causal mask, dropout, returned scores) is `Attention`'s.

    Args:
        use_scale: if True, a trainable ``scale`` of shape ``(dim,)``
            (glorot-uniform initialised) weighs the feature axis.
        dropout: fraction of the attention weights dropped in training.

    Example:
        >>> AdditiveAttention()([np.ones((2, 3, 4)), np.ones((2, 5, 4))]).shape
        (2, 3, 4)
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        dim = input_shape[0][-1]
        self.scale = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(dim,), initializer="glorot_uniform")
        self.built = True

    def _calculate_scores(self, query, key):
        summed = ops.tanh(ops.add(ops.expand_dims(query, -2), ops.expand_dims(key, -3)))
        if self.use_scale:
            summed = ops.multiply(self.scale.value, summed)
        return ops.sum(summed, axis=-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config
