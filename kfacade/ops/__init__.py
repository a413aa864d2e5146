"""``kfacade.ops``: backend-agnostic ops with ``keras.ops``'s names.

Every function takes native tensors, NumPy arrays, scalars or Variables and
returns a native tensor of the active backend; called on ``KerasTensor``s it
builds a functional graph node instead.

Example:
    >>> from kfacade import ops
    >>> ops.softmax(ops.matmul(x, w), axis=-1)
"""
from kfacade.ops.core import *  # noqa: F401,F403
from kfacade.ops.core import cast, convert_to_numpy, convert_to_tensor, dtype, is_tensor, scan, stop_gradient  # noqa: F401
from kfacade.ops.nn import *  # noqa: F401,F403
from kfacade.ops.numpy import *  # noqa: F401,F403
from kfacade.ops.numpy import _NAMES as _NUMPY_NAMES  # noqa: F401
from kfacade.ops.elementwise import *  # noqa: F401,F403
from kfacade.ops.reductions import *  # noqa: F401,F403
from kfacade.ops.arrays import *  # noqa: F401,F403
from kfacade.ops.products import *  # noqa: F401,F403
from kfacade.ops.linalg import *  # noqa: F401,F403
from kfacade.ops.fft import *  # noqa: F401,F403
from kfacade.ops.signal import *  # noqa: F401,F403
from kfacade.ops.scatter import *  # noqa: F401,F403
from kfacade.ops.attention import *  # noqa: F401,F403
from kfacade.ops.adaptive_pooling import *  # noqa: F401,F403
from kfacade.ops.bitcast import *  # noqa: F401,F403
from kfacade.ops.folding import *  # noqa: F401,F403
from kfacade.ops.einops import *  # noqa: F401,F403
from kfacade.ops.ctc import *  # noqa: F401,F403
from kfacade.ops.transforms import *  # noqa: F401,F403
from kfacade.ops.set_ops import *  # noqa: F401,F403
from kfacade.ops import nn, numpy, core, linalg, image  # noqa: F401  (linalg: keras.ops.linalg)

from kfacade.engine import keras_tensor as _keras_tensor  # noqa: E402

# KerasTensor's operators (+, *, [], <, ...) build nodes through these ops.
_keras_tensor.register_operator_ops({name: globals()[name] for name in _keras_tensor.OPERATOR_OP_NAMES})
