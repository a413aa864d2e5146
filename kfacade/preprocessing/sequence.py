"""Keras 2's ``keras.preprocessing.sequence``: `pad_sequences` (its home is now
``kfacade.utils.pad_sequences``, as in Keras 3)."""
from kfacade.utils.sequence_utils import pad_sequences

__all__ = ["pad_sequences"]
