"""``plot_model`` and ``model_to_dot``: a model's layer graph drawn with pydot and Graphviz.

Each layer is a box (``name: ClassName``, optionally its activation, dtype,
input/output shapes and whether it trains); an edge joins a layer to each
layer it is called on. With `expand_nested`, a nested model is a dashed
cluster of its own layers, with the edges passing through it.

The model is duck-typed (``layers``, a functional model's ``_nodes`` and
``_inputs``/``_outputs``, a Sequential's inner ``_functional``), so this
module never imports the models. pydot and Graphviz's ``dot`` are needed
only when a drawing is made; their absence raises an ``ImportError`` that
says how to install them.
"""
import os
import shutil

from kfacade.utils.atomic import atomic_write_path

#: Formats Graphviz writes, by the file's extension; ".dot" is the graph's source.
_FORMATS = {"png": "png", "svg": "svg", "pdf": "pdf", "jpg": "jpg", "jpeg": "jpeg",
            "gif": "gif", "ps": "ps", "dot": "raw"}


def _import_pydot():
    try:
        import pydot
    except ImportError:
        pydot = None
    if pydot is None:
        raise ImportError(
            "plot_model and model_to_dot need pydot, which is not installed. Install it "
            "with `pip install pydot` (and Graphviz: `apt-get install graphviz`, "
            "`brew install graphviz`, or see https://graphviz.org/download/).")
    return pydot


def _check_graphviz():
    """Graphviz's `dot` program must be on the PATH to render a drawing."""
    if shutil.which("dot") is None:
        raise ImportError(
            "plot_model needs Graphviz's `dot` program to draw the graph, and it is not on "
            "the PATH. Install Graphviz: `apt-get install graphviz` (Debian/Ubuntu), "
            "`brew install graphviz` (macOS), or see https://graphviz.org/download/. "
            "Writing a '.dot' file needs only pydot.")


def _graph_of(model):
    """A functional graph (``_nodes``, ``_inputs``, ``_outputs``, ``layers``) for
    `model`, a built Sequential's inner one, else None (subclassed or unbuilt)."""
    if hasattr(model, "_nodes"):
        return model
    inner = getattr(model, "_functional", None)
    return inner if inner is not None and hasattr(inner, "_nodes") else None


def _escape(text):
    """Record labels reserve braces, bars and angle brackets."""
    for char in "\\{}|<>":
        text = text.replace(char, "\\" + char)
    return text


def _shape_text(tensors):
    shapes = [tuple(x.shape) for x in tensors]
    if not shapes:
        return "?"
    return str(shapes[0]) if len(shapes) == 1 else str(shapes)


def _label(layer, show_shapes, show_dtype, show_layer_names, show_layer_activations,
           show_trainable, trainable):
    class_name = type(layer).__name__
    fields = [_escape(f"{layer.name}: {class_name}" if show_layer_names else class_name)]
    activation = getattr(layer, "activation", None)
    if show_layer_activations and activation is not None:
        fields.append(_escape(getattr(activation, "__name__", str(activation))))
    nodes = list(getattr(layer, "_inbound_nodes", []))
    if show_dtype:
        dtypes = sorted({str(x.dtype) for n in nodes[:1] for x in n.outputs}) or [
            str(getattr(layer, "dtype", "?"))]
        fields.append(_escape(", ".join(dtypes)))
    if show_shapes:
        inputs = _shape_text(nodes[0].input_tensors) if nodes else "?"
        outputs = _shape_text(nodes[0].outputs) if nodes else "?"
        if type(layer).__name__ == "InputLayer":
            inputs = outputs
        fields.append(f"{{input:|output:}}|{{{{{_escape(inputs)}}}|{{{_escape(outputs)}}}}}")
    if show_trainable:
        fields.append("Trainable" if trainable else "Non-trainable")
    return "|".join(fields)


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True, rankdir="TB",
                 expand_nested=False, dpi=200, subgraph=False, show_layer_activations=False,
                 show_trainable=False, **kwargs):
    """A ``pydot.Dot`` graph of `model`'s layers.

    Args:
        model: a functional, Sequential or subclassed model (subclassed
            models give their layers without edges: their calls are Python).
        show_shapes: add each layer's input and output shapes.
        show_dtype: add each layer's output dtype.
        show_layer_names: label each box ``name: ClassName`` (else ``ClassName``).
        rankdir: Graphviz's direction: "TB" (top to bottom) or "LR".
        expand_nested: draw nested models as clusters of their layers.
        dpi: the drawing's resolution.
        subgraph: return a ``pydot.Cluster`` (used for nested models).
        show_layer_activations: add the activation of layers that have one.
        show_trainable: add whether each layer trains.

    Returns:
        A ``pydot.Dot`` (or ``pydot.Cluster`` when `subgraph`).

    Raises:
        ImportError: pydot is not installed.
        ValueError: the model is not built, or `rankdir` is not "TB" or "LR".

    Example:
        >>> dot = kfacade.utils.model_to_dot(model, show_shapes=True)
        >>> svg = dot.create(format="svg")
    """
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {sorted(kwargs)}")
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"`rankdir` must be 'TB' or 'LR'. Received: rankdir={rankdir!r}")
    if not getattr(model, "built", False):
        raise ValueError(
            f"Model {model.name!r} has not been built yet, so its graph is unknown. Build it "
            "first: call it on a batch, call `model.build(input_shape)`, or give the first "
            "layer an `input_shape`.")
    pydot = _import_pydot()
    options = dict(show_shapes=show_shapes, show_dtype=show_dtype,
                   show_layer_names=show_layer_names,
                   show_layer_activations=show_layer_activations, show_trainable=show_trainable)
    if subgraph:
        dot = pydot.Cluster(graph_name=model.name, style="dashed", label=model.name)
    else:
        dot = pydot.Dot()
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set_node_defaults(shape="record")
    _add_model(pydot, dot, model, expand_nested, options, model.trainable)
    return dot


def _add_model(pydot, dot, model, expand_nested, options, trainable):
    """Adds `model`'s layers and edges to `dot`; returns ``(entries, exits)``:
    the node names its input tensors go to and its output tensors come from."""
    graph = _graph_of(model)
    layers = list(graph.layers) if graph is not None else list(model.layers)
    ends = {}  # id(layer) -> (entry node names, exit node names)
    for layer in layers:
        layer_trainable = trainable and layer.trainable
        if expand_nested and getattr(layer, "layers", None) and layer.built:
            cluster = pydot.Cluster(graph_name=f"cluster_{id(layer)}", style="dashed",
                                    label=layer.name)
            ends[id(layer)] = _add_model(pydot, cluster, layer, True, options, layer_trainable)
            dot.add_subgraph(cluster)
        else:
            name = str(id(layer))
            dot.add_node(pydot.Node(name, label=_label(layer, trainable=layer_trainable,
                                                       **options)))
            ends[id(layer)] = ([name], [name])
    if graph is None:
        if layers and getattr(model, "_stack", None) is not None:  # unbuilt-graph Sequential
            for before, after in zip(layers, layers[1:]):
                _add_edge(pydot, dot, ends[id(before)][1][-1], ends[id(after)][0][0])
        names = [n for layer in layers for n in ends[id(layer)][0]]
        return names[:1], names[-1:]
    for node in graph._nodes:
        operation = node.operation
        if id(operation) not in ends:  # a kfacade.ops call between layers: a box of its own
            name = str(id(operation))
            dot.add_node(pydot.Node(name, label=_label(operation, trainable=trainable, **options)))
            ends[id(operation)] = ([name], [name])
    for node in graph._nodes:
        target = ends[id(node.operation)]
        for position, tensor in enumerate(node.input_tensors):
            source, _, tensor_index = tensor._keras_history
            if id(source) not in ends:
                continue
            exits = ends[id(source)][1]
            entries = target[0]
            source_name = exits[tensor_index] if tensor_index < len(exits) else exits[-1]
            if len(entries) == len(node.input_tensors):
                _add_edge(pydot, dot, source_name, entries[position])
            else:
                for entry in entries:
                    _add_edge(pydot, dot, source_name, entry)
    entries = [ends[id(x._keras_history[0])][1][0] for x in graph._inputs
               if id(x._keras_history[0]) in ends]
    exits = [ends[id(x._keras_history[0])][1][min(x._keras_history[2],
                                                  len(ends[id(x._keras_history[0])][1]) - 1)]
             for x in graph._outputs if id(x._keras_history[0]) in ends]
    return entries, exits


def _add_edge(pydot, dot, source, target):
    if not dot.get_edge(source, target):
        dot.add_edge(pydot.Edge(source, target))


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=True, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, **kwargs):
    """Draws `model`'s layer graph into `to_file` (PNG, SVG, PDF, ... by its extension).

    The file is written atomically: a reader sees the previous file or the
    new drawing, never half of one. A ".dot" file holds the Graphviz source
    and needs only pydot.

    Args:
        model: the model to draw.
        to_file: the output path; its extension picks the format (".png",
            ".svg", ".pdf", ".jpg", ".gif", ".ps", ".dot"; none means PNG).
        show_shapes, show_dtype, show_layer_names, rankdir, expand_nested,
        dpi, show_layer_activations, show_trainable: as in ``model_to_dot``.

    Returns:
        In a notebook (IPython present), an ``IPython.display.Image`` of a
        PNG; else None.

    Raises:
        ImportError: pydot or Graphviz's `dot` is missing (the message says
            how to install them).
        ValueError: an extension Graphviz does not write, or an unbuilt model.

    Example:
        >>> kfacade.utils.plot_model(model, to_file="model.svg", show_shapes=True)
    """
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:].lower() or "png"
    if extension not in _FORMATS:
        raise ValueError(
            f"plot_model cannot write a {extension!r} file. Received: to_file={to_file!r}; "
            f"expected an extension among {sorted(_FORMATS)}.")
    _import_pydot()
    if extension != "dot":
        _check_graphviz()
    dot = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype,
                       show_layer_names=show_layer_names, rankdir=rankdir,
                       expand_nested=expand_nested, dpi=dpi,
                       show_layer_activations=show_layer_activations,
                       show_trainable=show_trainable, **kwargs)
    with atomic_write_path(to_file) as temp:
        dot.write(temp, format=_FORMATS[extension])
    if extension == "png":
        try:
            from IPython import display, get_ipython
        except ImportError:
            return None
        if get_ipython() is not None:
            return display.Image(filename=to_file)
    return None
