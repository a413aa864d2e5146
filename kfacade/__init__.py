"""kfacade: one Keras API over TensorFlow, PyTorch or JAX (``KERAS_BACKEND``)."""
from kfacade import backend
from kfacade.variables import Variable

__version__ = "0.1.0"
