"""``keras.ops.dot_product_attention``: scaled dot-product attention over
``(batch, length, heads, head_dim)`` tensors, through the adapter's fused
kernel (``F.scaled_dot_product_attention``, ``jax.nn.dot_product_attention``;
the ``fused_dot_product_attention`` hook) when the inputs allow it, else from
its parts (two einsums and a softmax).

Names: B batch, T query length, S key length, N query heads, K key/value
heads (N a multiple of K: grouped-query attention), H head size.
"""
import math

from kfacade.backend.active import adapter as _B
from kfacade.backend.config import is_flash_attention_enabled
from kfacade.backend.dtypes import dtype_range
from kfacade.ops._composite import tensor as _tensor
from kfacade.ops.dispatch import symbolic_or

__all__ = ["dot_product_attention"]

#: The fused kernel, or None (contract.OPTIONAL_HOOKS).
_fused = getattr(_B, "fused_dot_product_attention", None)


def _check_shapes(query, key, value):
    q, k, v = _B.shape(query), _B.shape(key), _B.shape(value)
    if len(q) != 4 or len(k) != 4 or len(v) != 4:
        raise ValueError(
            "dot_product_attention takes 4-D query, key and value (batch, length, heads, head_dim); "
            f"received shapes {q}, {k}, {v}")
    if k != v:
        raise ValueError(f"`key` and `value` must have the same shape; received {k} and {v}")
    if q[0] != k[0] or q[3] != k[3]:
        raise ValueError(
            f"`query` {q} and `key` {k} must agree in batch size and head size (axes 0 and 3)")
    if q[2] % k[2]:
        raise ValueError(
            f"The number of query heads ({q[2]}) must be a multiple of the number of key/value "
            f"heads ({k[2]}).")


@symbolic_or
def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                          flash_attention=None, attn_logits_soft_cap=None):
    """``softmax(scale * query . key + bias) . value`` per head.

    `bias` (added to the logits) and the boolean `mask` (True = attend)
    broadcast to ``(B, N, T, S)``; `scale` defaults to ``1 / sqrt(H)``;
    `is_causal` lets query i attend keys 0..i. A query row that attends no
    key averages every value (the masked logits are a large negative number,
    as in Keras). `attn_logits_soft_cap` c applies ``c * tanh(logits / c)``
    before the softmax. `flash_attention`: None uses the fused kernel where it
    applies (unless ``keras.config.disable_flash_attention()``), False never,
    True requires it and raises ValueError where it cannot be used.
    Returns a tensor of `query`'s shape.
    """
    query, key, value = _tensor(query), _tensor(key), _tensor(value)
    _check_shapes(query, key, value)
    heads, kv_heads, head_dim = _B.shape(query)[2], _B.shape(key)[2], _B.shape(query)[3]
    if heads != kv_heads:  # grouped-query attention: each key/value head serves N // K query heads
        key = _B.repeat(key, heads // kv_heads, axis=2)
        value = _B.repeat(value, heads // kv_heads, axis=2)
    scale = 1.0 / math.sqrt(head_dim) if scale is None else float(scale)
    use_fused = flash_attention if flash_attention is not None else is_flash_attention_enabled()
    if use_fused is not False:
        outputs = _try_fused(query, key, value, bias, mask, scale, is_causal, attn_logits_soft_cap)
        if outputs is not None:
            return outputs
        if flash_attention:
            raise ValueError(
                "Flash attention was requested (flash_attention=True) but cannot be used here: "
                f"the {_B.name} backend's fused kernel "
                f"{'is missing' if _fused is None else 'takes no bias, mask or soft cap, only is_causal'}"
                " for these inputs.")
    return _attention_from_parts(query, key, value, bias, mask, scale, is_causal, attn_logits_soft_cap)


def _causal_mask(query_length, key_length):
    rows = _B.reshape(_B.arange(query_length, dtype="int32"), (query_length, 1))
    cols = _B.reshape(_B.arange(key_length, dtype="int32"), (1, key_length))
    return _B.greater_equal(rows, cols)


def _try_fused(query, key, value, bias, mask, scale, is_causal, soft_cap):
    """The hook's result, or None where it does not apply or declines."""
    if _fused is None or bias is not None or mask is not None or soft_cap is not None:
        return None
    attention_mask = None
    if is_causal:
        batch, query_length, key_length = _B.shape(query)[0], _B.shape(query)[1], _B.shape(key)[1]
        attention_mask = _B.broadcast_to(_causal_mask(query_length, key_length),
                                         (batch, query_length, key_length))
    try:
        return _fused(query, key, value, attention_mask, scale)
    except NotImplementedError:
        return None


def _attention_from_parts(query, key, value, bias, mask, scale, is_causal, soft_cap):
    logits = _B.multiply(_B.einsum("btnh,bsnh->bnts", query, key), scale)
    if bias is not None:
        logits = _B.add(logits, _B.cast(_tensor(bias), _B.dtype(logits)))
    if soft_cap is not None:
        logits = _B.multiply(_B.tanh(_B.divide(logits, soft_cap)), soft_cap)
    if is_causal:
        causal = _causal_mask(_B.shape(query)[1], _B.shape(key)[1])
        mask = causal if mask is None else _B.logical_and(_B.cast(_tensor(mask), "bool"), causal)
    if mask is not None:
        # A large negative, not -inf: a row with no attended key averages instead of giving NaN.
        large_negative = -0.7 * dtype_range(_B.dtype(logits))[1]
        logits = _B.where(_B.cast(_tensor(mask), "bool"), logits, large_negative)
    weights = _B.softmax(logits, axis=-1)
    return _B.einsum("bnts,bsnh->btnh", weights, value)
