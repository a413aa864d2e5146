"""Activation layers with parameters: ReLU, LeakyReLU, PReLU, ELU, Softmax, ThresholdedReLU.

(``Activation``, which wraps a named activation, lives with the core layers.)
"""
from kfacade.layers.activations.prelu import PReLU
from kfacade.layers.activations.relu import ELU, LeakyReLU, ReLU, ThresholdedReLU
from kfacade.layers.activations.softmax import Softmax

__all__ = ["ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "ThresholdedReLU"]
