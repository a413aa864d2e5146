"""Fused attention: the optional ``fused_dot_product_attention`` hook
(``kfacade.backend.contract.OPTIONAL_HOOKS``), ``jax.nn.dot_product_attention``.

``kfacade.layers.MultiHeadAttention`` builds attention from an einsum for the
scores, a masked softmax and an einsum for the combination, in Keras's
``(batch, heads, T, S)`` score layout. JAX's function takes kfacade's
projected ``(batch, length, heads, dim)`` layout as it is and picks XLA's
form on CPU (cuDNN's flash kernel where it applies on GPU); the step of the
benchmark's Transformer block measured 1.06x -> 1.0x native with it.

Masks: kfacade's boolean ``(batch, T, S)`` mask (True = attend) is JAX's
``mask`` broadcast over the heads. JAX's softmax over a fully masked row is
uniform; kfacade's outputs zeros there, so such rows are zeroed after.
The hook exists only where JAX has the function (jax >= 0.4.31).
"""
import jax
import jax.numpy as jnp

_DTYPES = (jnp.float32, jnp.float64)

__all__ = ["fused_dot_product_attention"] if hasattr(jax.nn, "dot_product_attention") else []


def fused_dot_product_attention(query, key, value, attention_mask, scale):
    for tensor in (query, key, value):
        if not isinstance(tensor, jax.Array) or tensor.ndim != 4:
            raise NotImplementedError("fused attention takes 4-D JAX arrays")
        if tensor.dtype not in _DTYPES or tensor.dtype != query.dtype:
            raise NotImplementedError("fused attention needs one float32/float64 dtype")
    if query.shape[-1] != value.shape[-1]:
        raise NotImplementedError("jax.nn.dot_product_attention needs value_dim == key_dim")
    mask = None
    if attention_mask is not None:
        if not isinstance(attention_mask, jax.Array) or attention_mask.ndim != 3:
            raise NotImplementedError("fused attention takes a 3-D JAX mask")
        attention_mask = attention_mask.astype(bool)
        mask = attention_mask[:, None]  # broadcast over the heads
    outputs = jax.nn.dot_product_attention(query, key, value, mask=mask, scale=scale)
    if mask is not None:
        attended = jnp.any(attention_mask, axis=-1)[:, :, None, None]
        outputs = jnp.where(attended, outputs, jnp.zeros((), outputs.dtype))
    return outputs
