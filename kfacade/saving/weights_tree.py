"""Keras 3 weights files (``keras3_weights``' layout) as nested dicts, for
``KerasFileEditor``: ``{object or weight name: nested dict or NumPy array}``,
each object's ``vars`` datasets ("0", "1", ...) as arrays beside its
sub-objects; objects without weights are left out. Read with the checks Keras
3 runs on untrusted files (no links out of the file, no huge datasets), written
back in the same layout, and compared with the spec a model would save.

Example:
    >>> with h5py.File("model.weights.h5") as f:
    ...     tree = read_tree(f, "model.weights.h5", metadata={})
    >>> tree["layers"]["dense"]["0"].shape
    (3, 4)
"""
import math

import numpy as np

from kfacade.saving import keras3_weights
from kfacade.saving.file_checks import import_h5py

_VARS = "vars"
#: The largest dataset read (as Keras 3): a larger one is taken for a malicious file.
_MAX_DATASET_BYTES = 1 << 32


def join(path, name):
    """``path/name``, or `name` at the root."""
    return f"{path}/{name}" if path else name


def _weight_order(key):
    """Weights "0", "1", ..., "10" in number order (HDF5 lists them as text)."""
    return (0, int(key), "") if key.isdigit() else (1, 0, key)


# ---------------------------------------------------------------- reading
def _read_dataset(h5py, dataset, path):
    if not isinstance(dataset, h5py.Dataset):
        raise ValueError(f"Expected a weight (an HDF5 dataset) at '{path}', found a group.")
    if dataset.external or dataset.is_virtual:
        raise ValueError(f"Not allowed: the HDF5 dataset at '{path}' is external or virtual; "
                         "a Keras weights file holds its values itself.")
    size = math.prod(dataset.shape) * dataset.dtype.itemsize
    if len(dataset.shape) > 64 or size > _MAX_DATASET_BYTES:
        raise ValueError(f"The HDF5 dataset at '{path}' (shape={dataset.shape}) is too large "
                         f"to load safely (limit {_MAX_DATASET_BYTES} bytes).")
    return dataset[()]


def _child(h5py, group, key, path):
    """``group[key]``, refusing soft and external links (they reach outside the file)."""
    link = group.get(key, getclass=True, getlink=True)
    if link in (h5py.SoftLink, h5py.ExternalLink):
        raise ValueError(f"Not allowed: the HDF5 file has a {link.__name__} at '{path}'.")
    return group[key]


def _read_group(h5py, group, path, metadata):
    """The nested dict of `group` (an object): its ``vars`` datasets, then its
    sub-objects that hold weights; the attributes of each ``vars`` go to `metadata`."""
    tree = {}
    if _VARS in group:
        vars_group = _child(h5py, group, _VARS, join(path, _VARS))
        if vars_group.attrs:
            metadata[path] = dict(vars_group.attrs)
        for key in sorted(vars_group.keys(), key=_weight_order):
            where = join(join(path, _VARS), key)
            tree[key] = _read_dataset(h5py, _child(h5py, vars_group, key, where), where)
    for key in group.keys():
        if key == _VARS:
            continue
        where = join(path, key)
        child = _child(h5py, group, key, where)
        if not isinstance(child, h5py.Group):
            raise ValueError(f"The dataset '{where}' lies outside a 'vars' group: the file is "
                             "not in Keras 3's weights layout.")
        sub_tree = _read_group(h5py, child, where, metadata)
        if key in tree and sub_tree:
            raise ValueError(f"'{where}' is both a weight and an object in the file.")
        if sub_tree:
            tree[key] = sub_tree
    return tree


def read_tree(h5_file, filepath, metadata):
    """The nested dict of an open Keras 3 layout file; each ``vars`` group's
    attributes (the layer's ``name``) go to ``metadata[object path]``.

    Raises:
        ValueError: Keras 2's layout, a link, an oversized dataset, or a
            dataset outside a ``vars`` group.
    """
    h5py = import_h5py()
    if "layer_names" in h5_file.attrs or "layer_names0" in h5_file.attrs:
        raise ValueError(f"{filepath!r} holds weights in Keras 2's layout (one group per layer "
                         "name); KerasFileEditor edits Keras 3's layout only.")
    return _read_group(h5py, h5_file, "", metadata)


def write_tree(group, tree, metadata, path=""):
    """Writes `tree` into an open HDF5 file or group in Keras 3's layout: each
    object's weights in its ``vars`` group (with ``metadata[path]`` as
    attributes), each sub-object holding weights as a group."""
    weights = {key: value for key, value in tree.items() if not isinstance(value, dict)}
    if weights:
        vars_group = group.create_group(_VARS)
        for key, value in metadata.get(path, {}).items():
            vars_group.attrs[key] = value
        for key, value in weights.items():
            vars_group.create_dataset(key, data=np.asarray(value))
    for key, value in tree.items():
        if isinstance(value, dict) and has_weights(value):
            write_tree(group.create_group(key), value, metadata, join(path, key))


# ---------------------------------------------------------------- trees
def has_weights(tree):
    """Whether `tree` holds a weight at any depth."""
    return any(not isinstance(v, dict) or has_weights(v) for v in tree.values())


def object_paths_of_tree(tree, path=""):
    """The full path of every object (nested dict) in `tree`, parents first."""
    paths = []
    for key, value in tree.items():
        if isinstance(value, dict):
            paths.append(join(path, key))
            paths.extend(object_paths_of_tree(value, join(path, key)))
    return paths


def shapes(tree):
    """`tree` with each array replaced by its shape (a tuple)."""
    return {key: shapes(value) if isinstance(value, dict) else tuple(np.shape(value))
            for key, value in tree.items()}


def reference_spec(model):
    """The nested ``{name: shape}`` dict that saving `model` would write."""
    spec = {}

    def put(path, variables):
        node = spec
        for part in path.split("/") if path else []:
            node = node.setdefault(part, {})
        for index, variable in enumerate(variables):
            node[str(index)] = tuple(variable.shape)

    for path, _, variables in keras3_weights.object_paths(model):
        if variables:
            put(path, variables)
    optimizer = keras3_weights._optimizer_of(model)
    if optimizer is not None and optimizer.variables:
        put("optimizer", optimizer.variables)
    return spec


__all__ = ["read_tree", "write_tree", "has_weights", "object_paths_of_tree", "shapes",
           "reference_spec", "join"]
