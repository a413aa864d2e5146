"""The optional ``fused_dot_product_attention`` hook
(``kfacade.backend.contract.OPTIONAL_HOOKS``) in TensorFlow's batched-matmul form.

TensorFlow has no fused attention kernel on CPU. ``MultiHeadAttention``'s
generic path forms the scores and the combination with two ``einsum`` calls
in Keras's ``(batch, heads, T, S)`` score layout, which TF lowers to
reshapes, transposes and ``BatchMatMulV2`` on each side of the gradient.
This hook moves the heads ahead once (``(batch, heads, length, dim)``, the
layout TF's own Transformer code uses) and runs ``matmul(q, k,
transpose_b=True)``, softmax and ``matmul(weights, v)``: the benchmark's
Transformer block measured 1.02-1.03x -> 0.96x the native TF step (one
thread), where native is written the same way.

The numbers are the generic path's: the query is scaled first, masked
scores are replaced by -1e9 before the softmax and masked weights by zero
after it (a query row with no attended key gives zeros). Declined
(``NotImplementedError``): anything but float32/float64 tensors of one
dtype, and masks that are not 3-D.
"""
import tensorflow as tf

__all__ = ["fused_dot_product_attention"]

_DTYPES = (tf.float32, tf.float64)
#: MultiHeadAttention's masked-score value for float32/float64 (its
#: ``_large_negative_number``).
_MASKED_SCORE = -1e9


def fused_dot_product_attention(query, key, value, attention_mask, scale):
    for tensor in (query, key, value):
        if not tf.is_tensor(tensor) or tensor.shape.rank != 4:
            raise NotImplementedError("the attention hook takes 4-D TensorFlow tensors")
        if tensor.dtype not in _DTYPES or tensor.dtype != query.dtype:
            raise NotImplementedError("the attention hook needs one float32/float64 dtype")
    if attention_mask is not None and (not tf.is_tensor(attention_mask)
                                       or attention_mask.shape.rank != 3):
        raise NotImplementedError("the attention hook takes a 3-D TensorFlow mask")
    heads_first = (0, 2, 1, 3)
    query = tf.transpose(query * tf.cast(scale, query.dtype), heads_first)
    key = tf.transpose(key, heads_first)
    value = tf.transpose(value, heads_first)
    scores = tf.matmul(query, key, transpose_b=True)  # (batch, heads, T, S)
    if attention_mask is None:
        weights = tf.nn.softmax(scores)
    else:
        mask = tf.cast(attention_mask, tf.bool)[:, None]  # broadcast over the heads
        weights = tf.nn.softmax(tf.where(mask, scores, tf.constant(_MASKED_SCORE, scores.dtype)))
        weights = tf.where(mask, weights, tf.zeros((), weights.dtype))
    return tf.transpose(tf.matmul(weights, value), heads_first)
