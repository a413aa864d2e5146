"""``kfacade.mixed_precision``: Keras's mixed-precision API (Keras 3, and Keras 2's names).

Example:
    >>> kfacade.mixed_precision.set_global_policy("mixed_float16")
    >>> model = build_model()  # float32 variables, float16 computations
"""
from kfacade.dtype_policies import DTypePolicy, dtype_policy, set_dtype_policy
from kfacade.mixed_precision import experimental
from kfacade.optimizers import LossScaleOptimizer

#: Keras 2's name of a policy.
Policy = DTypePolicy

__all__ = ["DTypePolicy", "LossScaleOptimizer", "Policy", "dtype_policy", "global_policy",
           "set_dtype_policy", "set_global_policy", "experimental"]


def set_global_policy(policy):
    """Sets the policy of layers created afterwards (Keras 2.4+'s name of ``set_dtype_policy``)."""
    set_dtype_policy(policy)


def global_policy():
    """The global policy (Keras 2.4+'s name of ``dtype_policy``)."""
    return dtype_policy()
