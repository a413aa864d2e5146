"""kfacade: one Keras API over TensorFlow, PyTorch or JAX (``KERAS_BACKEND``).

Example:
    >>> import kfacade as keras
    >>> model = keras.Sequential([keras.layers.Dense(10, input_dim=4)])
"""
import sys as _sys

from kfacade import backend
from kfacade import activations, constraints, initializers, ops, regularizers
from kfacade import layers
from kfacade.layers import Input, InputLayer, InputSpec, Layer
from kfacade.models import Model, Sequential
from kfacade.variables import Variable
from kfacade import models
from kfacade import callbacks, datasets, losses, metrics, optimizers, preprocessing, random, utils
from kfacade import engine
from kfacade import legacy
from kfacade.legacy import topology as _topology
from kfacade.legacy import training as _legacy_training
from kfacade.trainers.trainer import Trainer as _Trainer
from kfacade.device import device
from kfacade import distribution
from kfacade import distillation
from kfacade import dtype_policies, mixed_precision
from kfacade.dtype_policies import DTypePolicy
from kfacade.dtype_policies import DTypePolicy as FloatDTypePolicy
from kfacade import config, saving, tree
from kfacade import visualization
# Keras 3's top-level base classes.
from kfacade.engine.keras_tensor import KerasTensor
from kfacade.engine.operation import Operation
from kfacade.engine.function import Function
from kfacade.backend.symbolic_scope import SymbolicScope
from kfacade.engine.name_scope import name_scope
from kfacade.engine.remat import RematScope, remat
from kfacade.initializers import Initializer
from kfacade.losses import Loss
from kfacade.metrics import Metric
from kfacade.optimizers import Optimizer
from kfacade.regularizers import Regularizer
from kfacade.variables import StatelessScope

# Keras 2's import path of Layer: ``from keras.engine.topology import Layer``.
engine.topology = _topology
_sys.modules["kfacade.engine.topology"] = _topology
# Keras 2's homes of multi_gpu_model: keras.utils.multi_gpu_utils (2.1.x+),
# keras.utils.training_utils (2.0.x).
from kfacade.legacy import multi_gpu as _multi_gpu  # noqa: E402

_sys.modules["kfacade.utils.multi_gpu_utils"] = _multi_gpu
_sys.modules["kfacade.utils.training_utils"] = _multi_gpu
utils.multi_gpu_utils = utils.training_utils = _multi_gpu
# Keras 2's Model.fit_generator / evaluate_generator / predict_generator.
_legacy_training.add_to(_Trainer)
# Keras 2's Model.reset_states and Sequential.predict_classes / predict_proba.
_legacy_training.add_model_methods(Model, Sequential)

from kfacade.version import __version__  # noqa: E402

# Keras 2's module paths (keras.layers.recurrent, keras.utils.np_utils, keras.wrappers.scikit_learn, ...).
from kfacade.legacy import module_paths as _module_paths  # noqa: E402

_module_paths.install()


def version():
    """The kfacade version string (Keras 3's ``keras.version()``)."""
    return __version__
