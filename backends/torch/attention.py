"""Fused attention: the optional ``fused_dot_product_attention`` hook
(``kfacade.backend.contract.OPTIONAL_HOOKS``), ``F.scaled_dot_product_attention``.

``kfacade.layers.MultiHeadAttention`` builds attention from an einsum for the
scores, a masked softmax and an einsum for the combination; torch's kernel
does the three in one (a flash-style kernel on CPU and CUDA), without
materialising the weights. kfacade's layout is ``(batch, length, heads,
dim)``, torch's ``(batch, heads, length, dim)``: the hook transposes views.

Masks: kfacade's boolean ``(batch, T, S)`` mask (True = attend) is torch's
boolean ``attn_mask`` broadcast over the heads. A fully masked query row
outputs zeros in kfacade; torch's kernel does so from torch 2.5 (NaN
before), so older versions decline masks.
"""
import torch
import torch.nn.functional as F

from ._helpers import _FUSED_DTYPES

__all__ = ["fused_dot_product_attention"]

_ZERO_FOR_MASKED_ROWS = tuple(int(p) for p in torch.__version__.split(".")[:2]) >= (2, 5)


def fused_dot_product_attention(query, key, value, attention_mask, scale):
    tensors = (query, key, value)
    for tensor in tensors:
        if not isinstance(tensor, torch.Tensor) or tensor.ndim != 4:
            raise NotImplementedError("fused attention takes 4-D torch tensors")
        if tensor.dtype not in _FUSED_DTYPES or tensor.dtype != query.dtype \
                or tensor.device != query.device:
            raise NotImplementedError("fused attention needs one float32/float64 dtype and device")
    if attention_mask is not None:
        if not _ZERO_FOR_MASKED_ROWS or not isinstance(attention_mask, torch.Tensor) \
                or attention_mask.ndim != 3:
            raise NotImplementedError("fused attention takes a 3-D torch mask (torch >= 2.5)")
        attention_mask = attention_mask.to(dtype=torch.bool)[:, None]  # broadcast over the heads
    outputs = F.scaled_dot_product_attention(
        query.transpose(1, 2), key.transpose(1, 2), value.transpose(1, 2),
        attn_mask=attention_mask, scale=scale)
    return outputs.transpose(1, 2)
