"""Keras 2 preprocessing utilities on NumPy: `image`, `sequence`, `text`."""
from kfacade.preprocessing import image, sequence, text

__all__ = ["image", "sequence", "text"]
