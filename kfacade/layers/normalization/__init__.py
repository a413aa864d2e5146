"""Normalization layers: BatchNormalization, LayerNormalization, GroupNormalization."""
from kfacade.layers.normalization.batch_normalization import BatchNormalization
from kfacade.layers.normalization.group_normalization import GroupNormalization
from kfacade.layers.normalization.layer_normalization import LayerNormalization

__all__ = ["BatchNormalization", "LayerNormalization", "GroupNormalization"]
