"""The JAX adapter: implements kfacade/backend/contract.py with jax.numpy, jax.nn and jax.lax.

Variables are immutable ``jax.Array``s that ``kfacade.Variable`` swaps on
assignment; compiled steps are ``jax.jit`` over a pure function of the
state (see ``step.py``).
"""
name = "jax"
requirement = "jax>=0.4.20"

try:
    import jax  # noqa: F401
except ModuleNotFoundError as error:
    raise ModuleNotFoundError(
        f"KERAS_BACKEND='jax' needs JAX, which is not installed. "
        f"Install it with: pip install '{requirement}'"
    ) from error

from .variables import *  # noqa: E402,F401,F403
from .numpy import *  # noqa: E402,F401,F403
from .nn import *  # noqa: E402,F401,F403
from .core import *  # noqa: E402,F401,F403
from .linalg import *  # noqa: E402,F401,F403
from .fft import *  # noqa: E402,F401,F403
from .random import *  # noqa: E402,F401,F403
from .device import *  # noqa: E402,F401,F403
from .step import *  # noqa: E402,F401,F403
from .distribute import *  # noqa: E402,F401,F403
from .attention import *  # noqa: E402,F401,F403  (optional hook: fused_dot_product_attention)
from .shapes import *  # noqa: E402,F401,F403  (optional hook: eval_shape)
