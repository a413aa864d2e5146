"""Normalization layers: BatchNormalization, LayerNormalization, GroupNormalization,
RMSNormalization, UnitNormalization."""
from kfacade.layers.normalization.batch_normalization import BatchNormalization
from kfacade.layers.normalization.group_normalization import GroupNormalization
from kfacade.layers.normalization.layer_normalization import LayerNormalization
from kfacade.layers.normalization.rms_normalization import RMSNormalization
from kfacade.layers.normalization.unit_normalization import UnitNormalization

__all__ = ["BatchNormalization", "LayerNormalization", "GroupNormalization", "RMSNormalization",
           "UnitNormalization"]
