"""`kfacade.preprocessing.image`: Keras 2's image preprocessing namespace.

The PIL/NumPy helpers (`load_img`, `img_to_array`, `array_to_img`) are
Keras 3's too and live in `kfacade.utils.image_utils`; `ImageDataGenerator`,
its iterators and the affine transforms exist only for Keras 2 programs and
live in `kfacade.legacy.preprocessing`.
"""
from kfacade.legacy.preprocessing.affine_transforms import apply_affine_transform
from kfacade.legacy.preprocessing.affine_transforms import apply_brightness_shift
from kfacade.legacy.preprocessing.affine_transforms import apply_channel_shift
from kfacade.legacy.preprocessing.image_data_generator import ImageDataGenerator
from kfacade.legacy.preprocessing.image_iterators import Iterator
from kfacade.legacy.preprocessing.image_iterators import NumpyArrayIterator
from kfacade.utils.image_utils import array_to_img
from kfacade.utils.image_utils import img_to_array
from kfacade.utils.image_utils import load_img

__all__ = [
    "ImageDataGenerator",
    "Iterator",
    "NumpyArrayIterator",
    "apply_affine_transform",
    "apply_brightness_shift",
    "apply_channel_shift",
    "array_to_img",
    "img_to_array",
    "load_img",
]
