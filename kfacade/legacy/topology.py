"""Keras 2's ``keras.engine.topology``: where old code imports ``Layer`` from.

Served as ``kfacade.engine.topology`` (``kfacade/__init__.py`` installs the alias).
"""
from kfacade.engine.input_spec import InputSpec
from kfacade.layers.input_layer import Input, InputLayer
from kfacade.layers.layer import Layer

__all__ = ["Layer", "InputSpec", "Input", "InputLayer"]
