"""kfacade: one Keras API over TensorFlow, PyTorch or JAX (``KERAS_BACKEND``).

Example:
    >>> import kfacade as keras
    >>> model = keras.Sequential([keras.layers.Dense(10, input_dim=4)])
"""
from kfacade import backend
from kfacade import activations, constraints, initializers, ops, regularizers
from kfacade import layers
from kfacade.layers import Input, InputLayer, InputSpec, Layer
from kfacade.models import Model, Sequential
from kfacade.variables import Variable
from kfacade import models
from kfacade import callbacks, datasets, losses, metrics, optimizers, preprocessing, random, utils
from kfacade import engine
from kfacade.engine import topology as _topology  # noqa: F401  (kfacade.engine.topology)
from kfacade.device import device

__version__ = "0.1.0"
