"""``clone_model``: the same architecture with new layers (and new weights).

Keras 3's ``keras.models.clone_model``: a functional model's graph is run
again through clones of its layers, a Sequential's stack is rebuilt from
clones, and a subclassed model goes through its config. A layer shared by
several calls is cloned once, so the clone shares it the same way.
"""
from kfacade.engine import tree
from kfacade.engine.keras_tensor import KerasTensor
from kfacade.layers.input_layer import Input, InputLayer
from kfacade.layers.layer import Layer
from kfacade.models.functional import Functional
from kfacade.models.sequential import Sequential
from kfacade.saving.serialization_lib import deserialize_keras_object, serialize_keras_object


def clone_model(model, input_tensors=None, clone_function=None, call_function=None,
                recursive=False, **kwargs):
    """A new model with the architecture of `model` and newly initialized weights.

    Args:
        model: a functional, Sequential or subclassed model (a subclassed
            model needs ``get_config``; it is rebuilt from it).
        input_tensors: symbolic tensors (from ``kfacade.Input``) the clone
            is built on, instead of new inputs like the model's.
        clone_function: ``layer -> new layer``, called once per layer
            (default: ``layer.__class__.from_config(layer.get_config())``);
            return the layer itself to share it with the clone.
        call_function: ``(layer, *args, **kwargs) -> outputs``, called
            instead of ``layer(*args, **kwargs)`` for each call in a
            functional model's graph (for wrapping calls).
        recursive: also clone the models nested in `model` the same way
            (else a nested model goes through `clone_function` whole).

    Returns:
        The new model (a ``Sequential`` for a Sequential, a ``Functional``
        or the model's own functional subclass for a functional model).

    Raises:
        ValueError: `input_tensors`, `clone_function` or `call_function`
            for a subclassed model, `call_function` for a Sequential, or
            input tensors that are not symbolic.

    Example:
        >>> clone = kfacade.models.clone_model(model)
        >>> clone.set_weights(model.get_weights())
    """
    cache = kwargs.pop("cache", None)
    if kwargs:
        raise ValueError(f"Unexpected keyword arguments: {sorted(kwargs)}")
    clone = _wrap_clone_function(clone_function, call_function, recursive,
                                 {} if cache is None else cache)
    if isinstance(model, Sequential):
        if call_function is not None:
            raise ValueError(
                "`call_function` is not supported for Sequential models: their layers are "
                f"called in a plain stack. Received: call_function={call_function!r}")
        return _clone_sequential(model, input_tensors, clone)
    if isinstance(model, Functional):
        return _clone_functional(model, input_tensors, clone, call_function)
    if input_tensors is not None or clone_function is not None or call_function is not None:
        raise ValueError(
            f"Model {model.name!r} is a subclassed model: it can be cloned only through its "
            "config, so `input_tensors`, `clone_function` and `call_function` are supported "
            "for functional and Sequential models only. Received: "
            f"input_tensors={input_tensors!r}, clone_function={clone_function!r}, "
            f"call_function={call_function!r}")
    config = serialize_keras_object(model)
    return deserialize_keras_object(config, custom_objects={type(model).__name__: type(model)})


def _wrap_clone_function(clone_function, call_function, recursive, cache):
    """`clone_function` with one clone per layer (shared layers stay shared)
    and, when `recursive`, nested models cloned through ``clone_model``."""
    if clone_function is None:
        def clone_function(layer):
            return layer.__class__.from_config(layer.get_config())

    def wrapped(layer):
        if id(layer) in cache:
            return cache[id(layer)]
        if recursive and isinstance(layer, Sequential):
            new = clone_model(layer, clone_function=clone_function, cache=cache)
        elif recursive and isinstance(layer, Functional):
            new = clone_model(layer, clone_function=clone_function, call_function=call_function,
                              recursive=True, cache=cache)
        else:
            new = clone_function(layer)
        cache[id(layer)] = new
        return new

    return wrapped


def _new_input_like(tensor):
    layer = tensor._keras_history[0]
    return Input(batch_shape=tuple(tensor.shape), dtype=tensor.dtype,
                 name=layer.name if isinstance(layer, InputLayer) else None)


def _check_symbolic(input_tensors):
    for x in tree.flatten(input_tensors):
        if not isinstance(x, KerasTensor):
            raise ValueError(
                "`input_tensors` must be symbolic tensors (from kfacade.Input or layers "
                f"called on them). Received: {x!r} of type {type(x).__name__}")


def _clone_sequential(model, input_tensors, clone):
    new_layers = [clone(layer) for layer in model.layers]
    if input_tensors is not None:
        if isinstance(input_tensors, (list, tuple)):
            if len(input_tensors) != 1:
                raise ValueError(
                    "A Sequential model takes one input tensor. Received: "
                    f"{len(input_tensors)} input tensors")
            input_tensors = input_tensors[0]
        _check_symbolic(input_tensors)
        history = input_tensors._keras_history
        if history is None or not isinstance(history[0], InputLayer):
            raise ValueError(
                "A Sequential model's `input_tensors` must come from kfacade.Input (a "
                f"Sequential starts with an InputLayer). Received: {input_tensors!r}")
        new_layers = [input_tensors] + new_layers
    elif model._input_layer is not None:
        new_layers = [_new_input_like(model._input_layer._input_tensor)] + new_layers
    return Sequential(new_layers, name=model.name, trainable=model.trainable)


def _clone_functional(model, input_tensors, clone, call_function):
    if input_tensors is not None:
        _check_symbolic(input_tensors)
        new_inputs = tree.flatten(input_tensors)
        if len(new_inputs) != len(model._inputs):
            raise ValueError(
                f"Model {model.name!r} has {len(model._inputs)} input(s), but "
                f"{len(new_inputs)} input tensors were given.")
        new_inputs_struct = tree.pack_sequence_as(model._inputs_struct, new_inputs)
    else:
        new_inputs = [_new_input_like(x) for x in model._inputs]
        new_inputs_struct = tree.pack_sequence_as(model._inputs_struct, new_inputs)

    def call_node(node, args, kwargs):  # each layer's clone, on the new tensors
        operation = node.operation
        if isinstance(operation, Layer):
            operation = clone(operation)
            if call_function is not None:
                return call_function(operation, *args, **kwargs)
        return operation(*args, **kwargs)

    new_outputs = model._run_through_graph(new_inputs, call_node)
    model_class = type(model) if _functional_constructor(type(model)) else Functional
    return model_class(new_inputs_struct, new_outputs, name=model.name)


def _functional_constructor(cls):
    """Whether `cls` is built as ``cls(inputs, outputs, name=...)`` (Functional
    itself, or a subclass that keeps Functional's constructor)."""
    return cls is Functional or cls.__init__ is Functional.__init__
