"""Attention layers: ``Attention``, ``AdditiveAttention``, ``MultiHeadAttention``,
``GroupQueryAttention``."""
from kfacade.layers.attention.attention import AdditiveAttention, Attention
from kfacade.layers.attention.grouped_query_attention import (
    GroupedQueryAttention, GroupQueryAttention,
)
from kfacade.layers.attention.multi_head_attention import MultiHeadAttention

__all__ = ["Attention", "AdditiveAttention", "MultiHeadAttention", "GroupQueryAttention",
           "GroupedQueryAttention"]
