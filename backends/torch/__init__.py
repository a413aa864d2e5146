"""The PyTorch adapter: kfacade's contract (kfacade/backend/contract.py) on torch.

Tensors are plain ``torch.Tensor``s and variables ``torch.nn.Parameter``s. New
tensors go to the current device: CUDA when available, else the CPU, changed
with ``device_scope``.
"""
name = "torch"
requirement = "torch>=2.1"

try:
    import torch  # noqa: F401
except ModuleNotFoundError as error:
    if error.name != "torch":  # torch is there but broken: keep the real message
        raise
    raise ModuleNotFoundError(
        f"KERAS_BACKEND='torch' needs PyTorch, which is not installed. Install it "
        f"with: pip install '{requirement}'"
    ) from error

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
from .rnn import *  # noqa: E402,F401,F403  (optional hooks: lstm, gru)
from .normalization import *  # noqa: E402,F401,F403  (optional hooks: fused_*_normalization)
from .attention import *  # noqa: E402,F401,F403  (optional hook: fused_dot_product_attention)
from .optimizers import *  # noqa: E402,F401,F403  (optional hook: fused_optimizer_update)
from .losses import *  # noqa: E402,F401,F403  (optional hooks: fused_[mean_]sparse_categorical_crossentropy)
from .affine import *  # noqa: E402,F401,F403  (optional hooks: fused_dense, fused_conv)
