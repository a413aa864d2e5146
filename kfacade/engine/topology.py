"""Keras 2's ``keras.engine.topology``: where old code imports ``Layer`` from."""
from kfacade.engine.input_spec import InputSpec
from kfacade.layers.input_layer import Input, InputLayer
from kfacade.layers.layer import Layer

__all__ = ["Layer", "InputSpec", "Input", "InputLayer"]
