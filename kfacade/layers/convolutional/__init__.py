"""Convolution layers: Conv1D/2D/3D, their transposes, depthwise and separable convolutions,
and Keras 2's locally-connected layers."""
from kfacade.layers.convolutional.base_conv import BaseConv
from kfacade.layers.convolutional.conv import (
    Conv1D,
    Conv2D,
    Conv3D,
    Convolution1D,
    Convolution2D,
    Convolution3D,
)
from kfacade.layers.convolutional.conv_transpose import (
    BaseConvTranspose,
    Conv1DTranspose,
    Conv2DTranspose,
    Conv3DTranspose,
    Convolution1DTranspose,
    Convolution2DTranspose,
    Convolution3DTranspose,
    Deconvolution2D,
    Deconvolution3D,
)
from kfacade.layers.convolutional.locally_connected import (
    BaseLocallyConnected,
    LocallyConnected1D,
    LocallyConnected2D,
)
from kfacade.layers.convolutional.depthwise_conv import (
    BaseDepthwiseConv,
    DepthwiseConv1D,
    DepthwiseConv2D,
)
from kfacade.layers.convolutional.separable_conv import (
    BaseSeparableConv,
    SeparableConv1D,
    SeparableConv2D,
    SeparableConvolution1D,
    SeparableConvolution2D,
)

__all__ = [
    "BaseConv", "Conv1D", "Conv2D", "Conv3D", "Convolution1D", "Convolution2D", "Convolution3D",
    "BaseConvTranspose", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
    "Convolution1DTranspose", "Convolution2DTranspose", "Convolution3DTranspose", "Deconvolution2D", "Deconvolution3D",
    "BaseDepthwiseConv", "DepthwiseConv1D", "DepthwiseConv2D",
    "BaseLocallyConnected", "LocallyConnected1D", "LocallyConnected2D",
    "BaseSeparableConv", "SeparableConv1D", "SeparableConv2D",
    "SeparableConvolution1D", "SeparableConvolution2D",
]
