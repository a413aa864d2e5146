"""Symbolic-graph helpers of `keras.utils`: `get_source_inputs`, `is_keras_tensor`."""
from kfacade.engine.keras_tensor import is_keras_tensor

__all__ = ["get_source_inputs", "is_keras_tensor"]


def get_source_inputs(tensor):
    """The input tensors (`keras.Input`s) that the symbolic `tensor` is computed from.

    Args:
        tensor: a KerasTensor; anything else is returned as is.

    Returns:
        A list of input KerasTensors, each once, in the order they are met.

    Example:

    ```python
    x = kfacade.Input((3,))
    y = kfacade.layers.Dense(2)(x)
    assert kfacade.utils.get_source_inputs(y)[0] is x
    ```
    """
    history = getattr(tensor, "_keras_history", None)
    if not history:
        return tensor
    operation, node_index, _ = history
    if not operation or not operation._inbound_nodes:
        return [tensor]
    node = operation._inbound_nodes[node_index]
    if not node.input_tensors:  # an input node
        return list(node.outputs)
    sources = []
    for previous in node.input_tensors:
        for source in get_source_inputs(previous):
            if all(source is not known for known in sources):
                sources.append(source)
    return sources
