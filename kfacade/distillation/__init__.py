"""``kfacade.distillation``: Keras 3's knowledge distillation API.

A ``Distiller`` trains a student model on its own loss plus losses that
pull its outputs (``LogitsDistillation``) or intermediate features
(``FeatureDistillation``) towards a frozen teacher's. Subclass
``DistillationLoss`` for other ways of comparing the two.

Example:
    >>> from kfacade import distillation
    >>> distiller = distillation.Distiller(
    ...     teacher, student, distillation.LogitsDistillation(temperature=3.0))
    >>> distiller.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    >>> distiller.fit(x, y)
"""
from kfacade.engine import object_registry as _object_registry
from kfacade.distillation.distillation_loss import (
    DistillationLoss, FeatureDistillation, LogitsDistillation,
)
from kfacade.distillation.distiller import Distiller

__all__ = ["DistillationLoss", "Distiller", "FeatureDistillation", "LogitsDistillation"]

# Configs name them with module "keras.distillation" (as Keras 3 writes
# them); the Distiller, a model, is found among the layers as well.
_object_registry.register("keras.distillation", {name: globals()[name] for name in __all__})
_object_registry.register("layers", {"Distiller": Distiller})
