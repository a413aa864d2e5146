"""Keras 2.1-2.3's ``keras.mixed_precision.experimental`` names."""
from kfacade.dtype_policies import DTypePolicy as Policy
from kfacade.dtype_policies import dtype_policy as global_policy
from kfacade.dtype_policies import set_dtype_policy as set_policy
from kfacade.optimizers import LossScaleOptimizer

__all__ = ["LossScaleOptimizer", "Policy", "global_policy", "set_policy"]
