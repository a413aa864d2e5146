"""The TensorFlow adapter: implements kfacade/backend/contract.py with ``tf`` ops.

Variables are ``tf.Variable``s that every op accepts as a tensor; compiled
steps are ``tf.function``s (``jit_compile`` -> XLA), and random ops are
stateless, seeded from a ``SeedGenerator`` state variable, so they stay
pure inside a step. Importing the adapter changes no TensorFlow setting and
no environment variable.
"""
name = "tensorflow"
requirement = "tensorflow>=2.15"


def _import_tensorflow():
    """``import tensorflow`` without the side effects it has outside TensorFlow.

    TensorFlow's import also imports two other packages when installed: JAX
    (tensorflow/lite/python/util.py: ``try: from jax import jit``) and Keras 3
    (an eager ``keras.src.optimizers`` import). Both are optional, guarded by
    ``except ImportError``: None entries in sys.modules make them fail as if
    the packages were absent, so a kfacade process loads one framework and
    seconds less code (tf.keras still imports Keras on first use). And its
    legacy tensorflow/python/keras/backend.py writes ``$KERAS_HOME/keras.json``
    (``~/.keras``) when absent: pointing KERAS_HOME at a scratch folder during
    the import keeps the user's home untouched. That module reads the same
    defaults either way, and the environment is restored afterwards.
    """
    import os
    import shutil
    import sys
    import tempfile

    if sys.modules.get("tensorflow") is not None:  # imported already: nothing to avoid
        return
    hidden = [module for module in ("jax", "keras") if module not in sys.modules]
    keras_home = os.environ.get("KERAS_HOME")
    config_dir = keras_home or os.path.join(os.path.expanduser("~"), ".keras")
    config = os.path.join(config_dir, "keras.json")
    scratch = None if os.path.exists(config) else tempfile.mkdtemp(prefix="kfacade_keras_home_")
    sys.modules.update(dict.fromkeys(hidden))
    if scratch:
        os.environ["KERAS_HOME"] = scratch
    try:
        import tensorflow  # noqa: F401
    finally:
        if scratch:
            if keras_home is None:
                os.environ.pop("KERAS_HOME", None)
            else:
                os.environ["KERAS_HOME"] = keras_home
            shutil.rmtree(scratch, ignore_errors=True)
        for module in hidden:
            if sys.modules.get(module, 0) is None:  # still our placeholder
                del sys.modules[module]


try:
    _import_tensorflow()
except ModuleNotFoundError as error:
    if not (error.name or "").startswith("tensorflow"):
        raise
    raise ModuleNotFoundError(
        f"KERAS_BACKEND='tensorflow' needs TensorFlow, which is not installed. "
        f"Install it with: pip install '{requirement}' (or 'tensorflow-cpu>=2.15' "
        f"on a machine without a GPU)"
    ) from error
del _import_tensorflow

from .variables import *  # noqa: E402,F401,F403
from .variables import variable_assign_add, variable_assign_sub  # noqa: E402,F401  (optional hooks)
from .numpy import *  # noqa: E402,F401,F403
from .nn import *  # noqa: E402,F401,F403
from .core import *  # noqa: E402,F401,F403
from .linalg import *  # noqa: E402,F401,F403
from .fft import *  # noqa: E402,F401,F403
from .random import *  # noqa: E402,F401,F403
from .device import *  # noqa: E402,F401,F403
from .step import *  # noqa: E402,F401,F403
from .distribute import *  # noqa: E402,F401,F403
from .rnn import *  # noqa: E402,F401,F403  (optional hook: lstm)
from .normalization import *  # noqa: E402,F401,F403  (optional hook: fused_batch_normalization)
from .attention import *  # noqa: E402,F401,F403  (optional hook: fused_dot_product_attention)
from .losses import *  # noqa: E402,F401,F403  (optional hook: fused_sparse_categorical_crossentropy)
