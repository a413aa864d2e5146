"""The Keras 2 backend API (``from keras import backend as K``) over kfacade.ops."""
__all__ = []
