"""Preprocessing layers: image resizing and cropping, random augmentations
(active only in training), Rescaling; feature encodings (CategoryEncoding,
Normalization, Discretization); the host-side string and vocabulary layers
(Hashing, StringLookup, IntegerLookup, TextVectorization: see ``host_layer``)."""
from kfacade.layers.preprocessing.category_encoding import CategoryEncoding
from kfacade.layers.preprocessing.center_crop import CenterCrop
from kfacade.layers.preprocessing.discretization import Discretization
from kfacade.layers.preprocessing.hashing import Hashing
from kfacade.layers.preprocessing.normalization import Normalization
from kfacade.layers.preprocessing.random_color import RandomBrightness, RandomContrast
from kfacade.layers.preprocessing.random_crop import RandomCrop
from kfacade.layers.preprocessing.random_flip import RandomFlip
from kfacade.layers.preprocessing.random_rotation import RandomRotation
from kfacade.layers.preprocessing.random_translation import RandomTranslation
from kfacade.layers.preprocessing.random_zoom import RandomZoom
from kfacade.layers.preprocessing.rescaling import Rescaling
from kfacade.layers.preprocessing.resizing import Resizing
from kfacade.layers.preprocessing.string_lookup import IntegerLookup, StringLookup
from kfacade.layers.preprocessing.text_vectorization import TextVectorization

__all__ = [
    "CategoryEncoding", "CenterCrop", "Discretization", "Hashing", "IntegerLookup",
    "Normalization", "StringLookup", "TextVectorization", "RandomBrightness", "RandomContrast",
    "RandomCrop", "RandomFlip", "RandomRotation", "RandomTranslation", "RandomZoom", "Rescaling",
    "Resizing",
]
