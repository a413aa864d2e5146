"""Reshaping layers: up-sampling, zero padding, cropping, RepeatVector, Permute."""
from kfacade.layers.reshaping.cropping import Cropping1D, Cropping2D, Cropping3D
from kfacade.layers.reshaping.permute import Permute
from kfacade.layers.reshaping.repeat_vector import RepeatVector
from kfacade.layers.reshaping.up_sampling import UpSampling1D, UpSampling2D, UpSampling3D
from kfacade.layers.reshaping.zero_padding import ZeroPadding1D, ZeroPadding2D, ZeroPadding3D

__all__ = [
    "Cropping1D", "Cropping2D", "Cropping3D", "Permute", "RepeatVector",
    "UpSampling1D", "UpSampling2D", "UpSampling3D",
    "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D",
]
