"""`keras.config`: the process-wide settings, under Keras 3's names.

The settings themselves live lower down (``kfacade.backend.config`` for the
numeric ones, ``kfacade.engine.object_registry`` for safe mode,
``kfacade.utils.io_utils`` for logging); this namespace only gathers them,
so the modules that read a setting never import a public namespace.

Setters change this process only: nothing is written to ``keras.json``.

Example:

>>> import kfacade
>>> kfacade.config.floatx()
'float32'
>>> kfacade.config.set_epsilon(1e-6); kfacade.config.epsilon()
1e-06
>>> kfacade.config.set_epsilon(1e-7)
"""
import warnings

from kfacade.backend.config import epsilon, floatx, image_data_format
from kfacade.backend.config import set_epsilon, set_floatx, set_image_data_format
from kfacade.backend.config import (disable_flash_attention, enable_flash_attention,
                                    is_flash_attention_enabled)
from kfacade.backend.config import (max_epochs, max_steps_per_epoch, set_max_epochs,
                                    set_max_steps_per_epoch)
from kfacade.backend.active import backend
from kfacade.dtype_policies import dtype_policy, set_dtype_policy
from kfacade.engine.object_registry import enable_unsafe_deserialization
from kfacade.utils.io_utils import (disable_interactive_logging, enable_interactive_logging,
                                    is_interactive_logging_enabled)

__all__ = [
    "backend", "disable_flash_attention", "disable_interactive_logging",
    "disable_traceback_filtering", "dtype_policy", "enable_flash_attention",
    "enable_interactive_logging", "enable_traceback_filtering", "enable_unsafe_deserialization",
    "epsilon", "floatx", "image_data_format", "is_flash_attention_enabled",
    "is_interactive_logging_enabled", "is_nnx_enabled", "is_traceback_filtering_enabled",
    "max_epochs", "max_steps_per_epoch", "set_dtype_policy", "set_epsilon", "set_floatx",
    "set_image_data_format", "set_max_epochs", "set_max_steps_per_epoch",
]


def is_traceback_filtering_enabled():
    """False: kfacade never filters tracebacks (Keras 3 hides its own frames by default)."""
    return False


def disable_traceback_filtering():
    """Does nothing: kfacade's tracebacks are always complete."""


def enable_traceback_filtering():
    """Warns and does nothing: kfacade does not filter tracebacks, every frame is shown."""
    warnings.warn("kfacade does not filter tracebacks: errors always show every frame. "
                  "enable_traceback_filtering() has no effect.", stacklevel=2)


def is_nnx_enabled():
    """False: kfacade has no Flax NNX integration (Keras 3's ``KERAS_NNX_ENABLED``)."""
    return False
