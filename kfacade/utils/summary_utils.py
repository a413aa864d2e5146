"""``print_summary``: the plain-text table behind ``Model.summary()``.

The layout is tf_keras 2's (``keras/utils/layer_utils.py``): a
``Layer (type)`` / ``Output Shape`` / ``Param #`` table, with a
``Connected to`` column (``dense[0][0]``) for a functional model that is not
a plain chain, an optional ``Trainable`` column, nested models drawn inside
``|`` borders when `expand_nested`, then the totals with their memory size.
Keras 3 draws the same table with rich boxes and adds ``Optimizer params``
once the optimizer is built; kfacade prints that line too.

The model is duck-typed (``layers``, ``weights``, ``trainable_weights``,
``optimizer``; a functional model's ``_nodes`` and ``_inputs``), so this
module sits with the utilities and never imports the models.
"""
import re

import numpy as np

from kfacade.utils.io_utils import print_msg

_LINE_BREAKS = ("),", "},", "],", "',")


def count_params(weights):
    """The number of scalars in `weights` (each counted once)."""
    return sum(int(np.prod(w.shape)) for w in _unique(weights))


def weight_memory_size(weights):
    """The bytes `weights` hold (each counted once)."""
    return sum(int(np.prod(w.shape)) * _itemsize(w.dtype) for w in _unique(weights))


def readable_memory_size(size):
    """``"1.55 MB"``: `size` bytes in the largest unit below 1024, as tf_keras writes it."""
    units = ["Byte", "KB", "MB", "GB", "TB", "PB"]
    for unit in units:
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} {units[-1]}"


def _itemsize(dtype):
    name = str(getattr(dtype, "name", dtype))
    try:
        return np.dtype(name).itemsize
    except TypeError:  # bfloat16, float8_*: numpy does not know them
        bits = re.search(r"(\d+)", name)
        return max(1, int(bits.group(1)) // 8) if bits else 4


def _unique(weights):
    seen, result = set(), []
    for w in weights:
        if id(w) not in seen:
            seen.add(id(w))
            result.append(w)
    return result


def _graph(model):
    """``(nodes, input tensors)`` of a functional model (a built Sequential's
    inner graph included), else None (a subclassed model)."""
    graph = model if hasattr(model, "_nodes") else getattr(model, "_functional", None)
    if graph is None or not hasattr(graph, "_nodes"):
        return None
    return graph._nodes, graph._inputs


def _is_chain(model):
    """Whether the model is a plain stack: one input, each node fed only by
    the single output of the node before it (tf_keras's "sequential-like")."""
    graph = _graph(model)
    if graph is None:
        return True
    nodes, inputs = graph
    if len(inputs) != 1:
        return False
    previous = inputs
    for node in nodes:
        if len(node.input_tensors) != 1 or node.input_tensors[0] is not previous[0]:
            return False
        if len(node.outputs) != 1:
            return False
        previous = node.outputs
    return True


def _connections(layer, model_nodes):
    """``["dense[0][0]", ...]``: the tensors feeding `layer`'s nodes in the
    model, as ``name[node index][tensor index]``; node indices count the
    model's nodes of each layer, as the functional config writes them."""
    connections = []
    for node in layer._inbound_nodes:
        if id(node) not in model_nodes:
            continue
        for tensor in node.input_tensors:
            source, node_index, tensor_index = tensor._keras_history
            kept = [n for n in source._inbound_nodes[:node_index] if id(n) in model_nodes]
            connections.append(f"{source.name}[{len(kept)}][{tensor_index}]")
    return connections


def _output_shape(layer, model_nodes):
    """The layer's output shape in this model; "multiple" (as tf_keras says)
    when its calls here differ or it was never called on symbolic tensors
    (a layer of a subclassed model)."""
    nodes = [n for n in getattr(layer, "_inbound_nodes", []) if id(n) in model_nodes] or list(
        getattr(layer, "_inbound_nodes", [])[:1])
    if not nodes:
        return "multiple"
    shapes = []
    for node in nodes:
        outputs = [tuple(x.shape) for x in node.outputs]
        shapes.append(outputs[0] if len(outputs) == 1 else outputs)
    return shapes[0] if all(s == shapes[0] for s in shapes) else "multiple"


def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False,
                  show_trainable=False, layer_range=None):
    """Prints `model`'s layers, output shapes and parameter counts.

    Args:
        model: a built model (functional, Sequential or subclassed).
        line_length: the table's width (65 for a chain of layers, 98 with
            the ``Connected to`` column).
        positions: where each column ends, as fractions of `line_length`
            or as absolute positions (default ``[.45, .85, 1.]``, or
            ``[.3, .6, .7, 1.]`` with ``Connected to``).
        print_fn: called with each line (default: print).
        expand_nested: also list the layers of nested models, inside borders.
        show_trainable: add a ``Trainable`` column (``Y``/``N``).
        layer_range: ``[first name, last name]`` (inclusive) of the layers to list.

    Raises:
        ValueError: `positions` does not give one position per column, or a
            name of `layer_range` is not a layer of the model.
    """
    print_fn = print_fn or print_msg
    chain = _is_chain(model)
    columns = ["Layer (type)", "Output Shape", "Param #"]
    if chain:
        line_length = line_length or 65
        positions = positions or [0.45, 0.85, 1.0]
    else:
        line_length = line_length or 98
        positions = positions or [0.3, 0.6, 0.70, 1.0]
        columns.append("Connected to")
    positions = list(positions)
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]
    positions = positions[:len(columns)]
    if len(positions) != len(columns):
        raise ValueError(
            f"`positions` needs one entry per column ({columns}). Received: positions={positions}")
    if show_trainable:
        line_length += 11
        positions.append(line_length)
        columns.append("Trainable")

    def print_row(fields, nested_level=0):
        left = [str(x) for x in fields]
        while any(left):
            line = ""
            for col in range(len(left)):
                start = positions[col - 1] if col > 0 else 0
                last = col == len(positions) - 1
                space = 0 if last else 2
                cutoff = positions[col] - start - space - (0 if last else 1)
                if col == 0:
                    cutoff -= nested_level
                fitted = left[col][:cutoff]
                # Break long cells after a closing bracket or quote, as tf_keras does.
                breaks = [fitted.find(b) + len(b) for b in _LINE_BREAKS if fitted.find(b) >= 0]
                if breaks:
                    cutoff = min(breaks)
                    fitted = fitted[:cutoff]
                if col == 0:
                    line += "|" * nested_level + " "
                line += fitted + " " * space
                left[col] = left[col][cutoff:]
                if nested_level and last:
                    line += " " * (positions[col] - len(line) - nested_level)
                else:
                    line += " " * (positions[col] - len(line))
            print_fn(line + "|" * nested_level)

    def print_layer(layer, owner, nested_level=0, is_nested_last=False, owner_trainable=True):
        # A frozen model freezes the layers it holds, whatever their own flag says.
        trainable = owner_trainable and layer.trainable
        graph = _graph(owner)
        model_nodes = {id(n) for n in graph[0]} if graph else set()
        if graph:
            model_nodes.update(id(x._keras_history[0]._inbound_nodes[x._keras_history[1]])
                               for x in graph[1] if x._keras_history)
        if not layer.built and not hasattr(layer, "_nodes"):
            params = "0 (unused)"
        else:
            params = count_params(layer.weights)
        fields = [f"{layer.name} ({type(layer).__name__})", _output_shape(layer, model_nodes),
                  params]
        if not chain:
            fields.append(_connections(layer, model_nodes))
        if show_trainable:
            fields.append("Y" if trainable else "N")
        print_row(fields, nested_level)
        inner = getattr(layer, "layers", None) if expand_nested else None
        if inner:
            print_fn("|" * (nested_level + 1) + "\u00af" * (line_length - 2 * nested_level - 2)
                     + "|" * (nested_level + 1))
            for i, sublayer in enumerate(inner):
                print_layer(sublayer, layer, nested_level + 1, i == len(inner) - 1, trainable)
            print_fn("|" * nested_level + "\u00af" * (line_length - 2 * nested_level)
                     + "|" * nested_level)
            return  # the closing border separates it from the next row
        if not is_nested_last:
            print_fn("|" * nested_level + " " * (line_length - 2 * nested_level)
                     + "|" * nested_level)

    layers = _layers_in_range(model, layer_range)
    print_fn(f'Model: "{model.name}"')
    print_fn("_" * line_length)
    print_row(columns)
    print_fn("=" * line_length)
    for layer in layers:
        print_layer(layer, model)
    print_fn("=" * line_length)

    trainable = model.trainable_weights
    trainable_ids = {id(w) for w in trainable}
    non_trainable = [w for w in model.weights if id(w) not in trainable_ids]
    trainable_count, non_trainable_count = count_params(trainable), count_params(non_trainable)
    trainable_size, non_trainable_size = (weight_memory_size(trainable),
                                          weight_memory_size(non_trainable))
    print_fn(f"Total params: {trainable_count + non_trainable_count} "
             f"({readable_memory_size(trainable_size + non_trainable_size)})")
    print_fn(f"Trainable params: {trainable_count} ({readable_memory_size(trainable_size)})")
    print_fn(f"Non-trainable params: {non_trainable_count} "
             f"({readable_memory_size(non_trainable_size)})")
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and getattr(optimizer, "built", False):
        variables = optimizer.variables
        print_fn(f"Optimizer params: {count_params(variables)} "
                 f"({readable_memory_size(weight_memory_size(variables))})")
    print_fn("_" * line_length)


def _layers_in_range(model, layer_range):
    layers = list(model.layers)
    if layer_range is None:
        return layers
    if len(layer_range) != 2:
        raise ValueError(
            f"`layer_range` must be [first layer name, last layer name]. Received: {layer_range}")
    names = [layer.name for layer in layers]
    for name in layer_range:
        if name not in names:
            raise ValueError(
                f"`layer_range` names {name!r}, which is not a layer of the model. "
                f"Its layers are: {names}")
    first, last = names.index(layer_range[0]), names.index(layer_range[1])
    return layers[first:last + 1]
