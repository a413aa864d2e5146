"""Regularization layers active in training: spatial dropout, noise, activity penalties.

(``Dropout`` lives with the core layers, in ``kfacade.layers.core.simple``.)
"""
from kfacade.layers.regularization.activity_regularization import ActivityRegularization
from kfacade.layers.regularization.noise import AlphaDropout, GaussianDropout, GaussianNoise
from kfacade.layers.regularization.spatial_dropout import (
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)

__all__ = [
    "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise",
    "GaussianDropout", "AlphaDropout", "ActivityRegularization",
]
