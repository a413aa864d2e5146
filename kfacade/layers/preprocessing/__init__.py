"""Image preprocessing layers: random augmentations (active only in training) and Rescaling."""
from kfacade.layers.preprocessing.affine_transform import affine_transform
from kfacade.layers.preprocessing.random_flip import RandomFlip
from kfacade.layers.preprocessing.random_rotation import RandomRotation
from kfacade.layers.preprocessing.random_translation import RandomTranslation
from kfacade.layers.preprocessing.random_zoom import RandomZoom
from kfacade.layers.preprocessing.rescaling import Rescaling

__all__ = [
    "RandomFlip", "RandomRotation", "RandomTranslation", "RandomZoom", "Rescaling",
    "affine_transform",
]
