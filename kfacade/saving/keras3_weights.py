"""Model weights in Keras 3's HDF5 layout (``model.save_weights("w.weights.h5")``
and the ``model.weights.h5`` inside a ``.keras`` zip).

The layout, as Keras 3 (``keras/src/saving/saving_lib.py``) writes it, so that
files move between kfacade and Keras 3 (and tf_keras >= 2.13) both ways:

- every saveable object (the model, each layer, the optimizer) is a group at
  its *object path*, holding a group ``vars`` whose datasets ``"0"``, ``"1"``,
  ... are the object's own variables in Keras's order (trainable, then
  non-trainable: BatchNormalization gamma, beta, moving_mean,
  moving_variance); ``vars`` carries the object's name as attribute ``name``;
- the object path is the path of attributes from the model: a Sequential
  or Functional model's ``layers`` list comes first, each item named by its
  snake-cased class name made unique in its list (``layers/dense``,
  ``layers/dense_1``, ``layers/sequential/layers/dense``); then the other
  attributes holding layers, public names before private ones
  (``layers/lstm/cell``, ``layers/bidirectional/forward_layer/cell``,
  ``layers/multi_head_attention/query_dense``);
- the root's own variables sit in the root ``vars`` group;
- the optimizer is at ``optimizer``: ``vars/0`` is ``iterations``, then the
  learning rate when it is a variable, then the slots in Keras 3's order
  (kfacade creates them in that order, so its ``optimizer.variables`` is
  the list as saved).

Loading reads the whole file and checks every count and shape before
changing any variable.
"""
import os
import warnings

import numpy as np

from kfacade.layers.layer import Layer, to_snake_case
from kfacade.saving.atomic import atomic_write_path
from kfacade.saving.file_checks import import_h5py, read_h5, require_file

_VARS = "vars"
_OPTIMIZER = "optimizer"
#: Model classes whose layers Keras 3 saves as the list "layers" (the classes sit on a
#: higher floor, so they are recognised by name).
_GRAPH_MODELS = ("Functional", "Sequential")


# ---------------------------------------------------------------- the walk
def _own_variables(layer):
    """A layer's own variables in Keras 3's order: trainable, then non-trainable."""
    extra = layer._own_variables()
    return (list(layer._trainable_weights) + [v for v in extra if v.trainable]
            + list(layer._non_trainable_weights) + [v for v in extra if not v.trainable])


def _name_key(name):
    """Keras 3 visits public attributes before private ones."""
    return f"~{name}" if name.startswith("_") else name


def _public_name(obj, attribute, value):
    """The name Keras 3 sees: a private attribute also served by a public property
    (``_query_dense`` / ``query_dense``) is found first under its public name."""
    public = attribute.lstrip("_")
    if public != attribute and isinstance(getattr(type(obj), public, None), property):
        try:
            if getattr(obj, public) is value:
                return public
        except Exception:  # a property that cannot be read now is not the attribute
            pass
    return attribute


def _holds_layers(value):
    if isinstance(value, Layer):
        return True
    if isinstance(value, dict):
        value = list(value.values())
    return isinstance(value, (list, tuple)) and any(_holds_layers(item) for item in value)


def _children(layer):
    """(attribute name, layer or list of layers) in the order Keras 3 visits them."""
    children = []
    if any(cls.__name__ in _GRAPH_MODELS for cls in type(layer).__mro__):
        # Keras 3 visits a Sequential's or Functional's layers first, as "layers";
        # their other attributes are the model's own machinery.
        return [("layers", list(layer.layers))]
    named = {}
    for attribute, value in vars(layer).items():
        if attribute.startswith("_inbound") or attribute in ("_layers_override",):
            continue
        if value is layer or not _holds_layers(value):
            continue
        named.setdefault(_public_name(layer, attribute, value), value)
    if any(cls.__name__ == "Model" for cls in type(layer).__mro__):
        # A subclassed model: Keras 3 also visits its `layers` property, in name order,
        # where the layers no attribute reached so far get their class names.
        named.setdefault("layers", list(layer.layers))
    for name in sorted(named, key=_name_key):
        children.append((name, named[name]))
    return children


def _join(path, name):
    return f"{path}/{name}" if path else name


def object_paths(model):
    """``[(path, layer, own variables)]`` for `model` and every layer in it, as
    Keras 3 would name them (the model itself at path "")."""
    found, visited = [], set()

    def visit(layer, path):
        if id(layer) in visited:
            return
        visited.add(id(layer))
        found.append((path, layer, _own_variables(layer)))
        for name, child in _children(layer):
            if isinstance(child, Layer):
                visit(child, _join(path, name))
            else:
                visit_container(child, _join(path, name))

    def visit_container(items, path):
        used = {}
        for item in (list(items.values()) if isinstance(items, dict) else items):
            if isinstance(item, Layer):
                base = to_snake_case(type(item).__name__)
                if base in used:
                    used[base] += 1
                    name = f"{base}_{used[base]}"
                else:
                    used[base] = 0
                    name = base
                visit(item, _join(path, name))
            elif isinstance(item, (list, tuple, dict)):
                base = "container"
                used[base] = used.get(base, -1) + 1
                visit_container(item, _join(path, base if used[base] == 0
                                             else f"{base}_{used[base]}"))

    visit(model, "")
    return found


def _optimizer_of(model):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not getattr(optimizer, "built", False):
        return None
    return optimizer


# ---------------------------------------------------------------- writing
def _to_numpy(variable):
    value = np.asarray(variable.numpy() if hasattr(variable, "numpy") else variable)
    if value.dtype.name == "bfloat16":  # HDF5 has no bfloat16; float32 holds it exactly
        value = value.astype("float32")
    return value


def _write_vars(group, name, variables):
    vars_group = group.require_group(_VARS)
    if name is not None:
        vars_group.attrs["name"] = name
    for index, variable in enumerate(variables):
        value = _to_numpy(variable)
        dataset = vars_group.create_dataset(str(index), value.shape, dtype=value.dtype)
        dataset[()] = value


def write_weights(h5_file, model, include_optimizer=True):
    """Writes `model`'s variables (and its built optimizer's) into an open
    HDF5 file in Keras 3's layout."""
    for path, layer, variables in object_paths(model):
        group = h5_file.require_group(path) if path else h5_file
        _write_vars(group, layer.name, variables)
    optimizer = _optimizer_of(model) if include_optimizer else None
    if optimizer is not None:
        _write_vars(h5_file.require_group(_OPTIMIZER), optimizer.name, optimizer.variables)


def save_weights(model, filepath):
    """Writes `model`'s weights (and optimizer state) to `filepath` in Keras 3's
    ``.weights.h5`` layout, atomically.

    Example:
        >>> save_weights(model, "model.weights.h5")
    """
    h5py = import_h5py()
    filepath = os.fspath(filepath)
    folder = os.path.dirname(filepath)
    if folder and not os.path.isdir(folder):
        raise FileNotFoundError(
            f"Cannot save weights to {filepath!r}: the folder {folder!r} does not exist.")
    with atomic_write_path(filepath) as temp:
        with h5py.File(temp, "w") as f:
            write_weights(f, model)


# ---------------------------------------------------------------- reading
def is_keras3_layout(h5_file):
    """True for a file (or group) in Keras 3's layout (a ``layers`` or ``vars``
    group, no Keras 2 ``layer_names`` attribute)."""
    if "layer_names" in h5_file.attrs or "layer_names0" in h5_file.attrs:
        return False
    return "layers" in h5_file or _VARS in h5_file or "_layer_checkpoint_dependencies" in h5_file


def read_weights(h5_file):
    """``{object path: [arrays]}`` for every ``vars`` group of an open file."""
    saved = {}

    def visit(name, obj):
        if name == _VARS or name.endswith("/" + _VARS):
            path = name[: -len(_VARS)].rstrip("/")
            keys = sorted(obj.keys(), key=int)
            saved[path] = [np.asarray(obj[key]) for key in keys]

    if _VARS in h5_file:
        visit(_VARS, h5_file[_VARS])
    h5_file.visititems(visit)
    return saved


def _plan(model, saved, filepath, skip_mismatch):
    """The (variable, value) pairs to assign; raises (or warns) on any mismatch."""
    pairs, problems = [], []
    for path, layer, variables in object_paths(model):
        if not variables:
            continue
        where = path or "the model itself"
        values = saved.get(path)
        if values is None:
            problems.append(f"no weights for layer {layer.name!r} (expected at '{path}/vars')")
            continue
        if len(values) != len(variables):
            problems.append(
                f"layer {layer.name!r} at '{where}' expects {len(variables)} variables, the "
                f"file holds {len(values)}")
            continue
        for variable, value in zip(variables, values):
            if tuple(variable.shape) != tuple(value.shape):
                problems.append(
                    f"layer {layer.name!r} at '{where}': variable {variable.name!r} expects "
                    f"shape {tuple(variable.shape)}, the file holds {tuple(value.shape)}")
                break
        else:
            pairs.extend(zip(variables, values))
    if problems:
        message = (f"Unable to load weights from {filepath!r} (Keras 3 layout) into the model "
                   f"{getattr(model, 'name', '')!r}: " + "; ".join(problems[:5])
                   + (f"; and {len(problems) - 5} more" if len(problems) > 5 else ""))
        if not skip_mismatch:
            raise ValueError(message)
        warnings.warn("Skipping the mismatched layers. " + message, stacklevel=3)
    return pairs


def restore_optimizer(optimizer, model, values, filepath):
    """Builds `optimizer` on the model's trainable variables and assigns Keras 3's
    ``optimizer/vars`` list; warns and leaves it fresh when the lists differ."""
    optimizer.build(model.trainable_variables)
    variables = optimizer.variables
    # tf_keras (2.13+) saves no learning-rate variable: iterations, then the slots.
    without_rate = [v for v in variables if v is not getattr(optimizer, "_learning_rate", None)]
    for candidate in (variables, without_rate):
        if len(candidate) == len(values) and all(
                tuple(v.shape) == tuple(value.shape) for v, value in zip(candidate, values)):
            variables = candidate
            break
    else:
        warnings.warn(
            f"The optimizer state saved in {filepath!r} ({len(values)} variables) does not "
            f"match the optimizer of the model ({len(variables)} variables); the optimizer "
            "starts freshly initialized.", stacklevel=3)
        return
    for variable, value in zip(variables, values):
        variable.assign(value)


def load_weights(model, filepath, skip_mismatch=False, h5_file=None):
    """Loads a Keras 3 layout file into `model` (built); restores the optimizer
    state too when the model's optimizer is set.

    Args:
        model: a built kfacade model.
        filepath: the file (named in errors).
        skip_mismatch: warn and skip layers whose variables differ instead of
            raising.
        h5_file: an open file to read instead of opening `filepath`.

    Raises:
        ValueError: a missing layer or a count or shape that differs (naming
            the file, the layer and both shapes).

    Example:
        >>> load_weights(model, "model.weights.h5")
    """
    filepath = os.fspath(filepath)
    if h5_file is None:
        require_file(filepath, "weights")
        saved = read_h5(filepath, read_weights, "weights")
    else:
        saved = read_weights(h5_file)
    if not getattr(model, "built", True) and not model.weights:
        raise ValueError(
            f"Unable to load weights from {filepath!r} into a model which has not created its "
            "variables yet. Call the model first (or build it), then load the weights.")
    pairs = _plan(model, saved, filepath, skip_mismatch)
    for variable, value in pairs:
        variable.assign(value)
    optimizer_values = saved.get(_OPTIMIZER)
    optimizer = getattr(model, "optimizer", None)
    if optimizer_values is not None and optimizer is not None and model.trainable_variables:
        restore_optimizer(optimizer, model, optimizer_values, filepath)


__all__ = ["object_paths", "write_weights", "save_weights", "is_keras3_layout",
           "read_weights", "load_weights", "restore_optimizer"]
