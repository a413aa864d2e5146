"""Merging layers: combine a list of inputs (Keras's ``keras.layers.Add`` ...)."""
from kfacade.layers.merging.base_merge import Merge
from kfacade.layers.merging.concatenate import Concatenate, concatenate
from kfacade.layers.merging.dot import Dot, dot
from kfacade.layers.merging.elementwise import (
    Add,
    Average,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    maximum,
    minimum,
    multiply,
    subtract,
)

__all__ = [
    "Merge", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate",
    "Dot", "add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot",
]
