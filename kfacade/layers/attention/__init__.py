"""Attention layers: ``Attention``, ``AdditiveAttention``, ``MultiHeadAttention``."""
from kfacade.layers.attention.attention import AdditiveAttention, Attention
from kfacade.layers.attention.multi_head_attention import MultiHeadAttention

__all__ = ["Attention", "AdditiveAttention", "MultiHeadAttention"]
