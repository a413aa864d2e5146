"""Model weights in Keras 2's HDF5 layout (``model.save_weights("w.h5")``).

The layout, as Keras 2 (tf.keras 2.13+) writes it, so that files move
between kfacade and Keras 2 in both directions:

- root attributes: ``layer_names`` (the model's layers in ``model.layers``
  order, as bytes), ``backend`` and ``keras_version``;
- one group per layer, named after it, with attribute ``weight_names``
  listing its weights as "<layer name>/<weight name>:0" in the order of
  ``layer.trainable_weights + layer.non_trainable_weights`` (a nested
  model lists every weight of its sub-layers, each named by its own layer);
- each weight is a dataset at "<group>/<weight name>", i.e.
  ``f["dense"]["dense"]["kernel:0"]``;
- a group ``top_level_model_weights`` for weights the model owns itself.

An attribute larger than HDF5's 64 KB object-header limit is split into
``name0``, ``name1``, ... as Keras 2 does. Files are written to a
temporary file beside the target and renamed into place, so an error
never leaves a damaged file; loading reads and checks everything before
changing any variable.
"""
import os
import warnings

import numpy as np

from kfacade.saving.atomic import atomic_write_path
from kfacade.saving.file_checks import import_h5py as _import_h5py
from kfacade.saving.file_checks import require_format

#: Bytes an HDF5 attribute may hold in an object header (Keras 2's constant).
HDF5_OBJECT_HEADER_LIMIT = 64512

_TOP_LEVEL_GROUP = "top_level_model_weights"

#: The suffix Keras 3 requires for ``save_weights``; such files get Keras 3's layout.
KERAS3_WEIGHTS_SUFFIX = ".weights.h5"


# ------------------------------------------------------------- attributes
def _save_attribute(group, name, values):
    """Stores a list of strings as attribute `name`, split in chunks when too large."""
    encoded = [v.encode("utf8") if isinstance(v, str) else v for v in values]
    too_long = [v for v in encoded if len(v) > HDF5_OBJECT_HEADER_LIMIT]
    if too_long:
        raise RuntimeError(
            "The following attributes cannot be saved to HDF5 file because they are larger "
            f"than {HDF5_OBJECT_HEADER_LIMIT} bytes: {too_long[:3]}"
        )
    array = np.asarray(encoded)
    chunks = 1
    pieces = [array]
    while any(piece.nbytes > HDF5_OBJECT_HEADER_LIMIT for piece in pieces):
        chunks += 1
        pieces = np.array_split(array, chunks)
    if chunks == 1:
        group.attrs[name] = encoded
    else:
        for index, piece in enumerate(pieces):
            group.attrs[f"{name}{index}"] = piece


def _has_attribute(group, name):
    return name in group.attrs or f"{name}0" in group.attrs


def _load_attribute(group, name):
    """The list of strings stored by `_save_attribute` (chunked or not)."""
    def decode(values):
        return [v.decode("utf8") if isinstance(v, bytes) else str(v) for v in values]

    if name in group.attrs:
        return decode(np.atleast_1d(group.attrs[name]).tolist())
    values, index = [], 0
    while f"{name}{index}" in group.attrs:
        values.extend(decode(np.atleast_1d(group.attrs[f"{name}{index}"]).tolist()))
        index += 1
    return values


# ---------------------------------------------------------------- weights
def _legacy_weights(layer):
    """A layer's weights in Keras 2's saving order: trainable, then non-trainable."""
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def _top_level_weights(model):
    """Weights of `model` that belong to none of ``model.layers``."""
    in_layers = {id(w) for layer in model.layers for w in _legacy_weights(layer)}
    return [w for w in _legacy_weights(model) if id(w) not in in_layers]


def _weight_names(weights):
    """Keras 2 names "<layer>/<weight>:0", made unique as TensorFlow does ("kernel_1:0")."""
    names, used = [], set()
    for weight in weights:
        base = getattr(weight, "path", None) or weight.name
        name, suffix = f"{base}:0", 1
        while name in used:
            name = f"{base}_{suffix}:0"
            suffix += 1
        used.add(name)
        names.append(name)
    return names


def _to_numpy(weight):
    value = np.asarray(weight.numpy() if hasattr(weight, "numpy") else weight)
    if value.dtype.name == "bfloat16":  # HDF5 has no bfloat16; float32 holds it exactly
        value = value.astype("float32")
    return value


def _save_subset(group, weights):
    names = _weight_names(weights)
    _save_attribute(group, "weight_names", names)
    for name, weight in zip(names, weights):
        value = _to_numpy(weight)
        dataset = group.create_dataset(name, value.shape, dtype=value.dtype)
        dataset[()] = value


def save_weights_to_h5(model, filepath):
    """Writes the weights of `model` to `filepath` in Keras 2's HDF5 layout.

    The file is written beside `filepath` and renamed into place when
    complete: on any error the previous file is left untouched and no
    temporary file remains.

    Args:
        model: a kfacade model (anything with ``layers`` whose items have
            ``name``, ``trainable_weights`` and ``non_trainable_weights``).
        filepath: the file to write (str or PathLike).

    Example:
        >>> save_weights_to_h5(model, "model.weights.h5")
    """
    h5py = _import_h5py()
    filepath = os.fspath(filepath)
    folder = os.path.dirname(filepath)
    if folder and not os.path.isdir(folder):
        raise FileNotFoundError(
            f"Cannot save weights to {filepath!r}: the folder {folder!r} does not exist."
        )
    with atomic_write_path(filepath) as temp:
        with h5py.File(temp, "w") as f:
            write_weights_group(f, model)


def write_weights_group(group, model):
    """Writes the weights of `model` into an open HDF5 group (a file's root, or
    the ``model_weights`` group of a whole-model file) in Keras 2's layout."""
    from kfacade.version import __version__
    from kfacade.backend.active import backend

    layers = list(model.layers)
    _save_attribute(group, "layer_names", [layer.name for layer in layers])
    group.attrs["backend"] = backend().encode("utf8")
    group.attrs["keras_version"] = str(__version__).encode("utf8")
    # Groups in name order, as Keras 2 (avoids one name prefixing another mid-write).
    for layer in sorted(layers, key=lambda layer: layer.name):
        _save_subset(group.create_group(layer.name), _legacy_weights(layer))
    _save_subset(group.create_group(_TOP_LEVEL_GROUP), _top_level_weights(model))


# ---------------------------------------------------------------- loading
def _read_file(h5py, filepath):
    """{layer name: (weight names, arrays)}, the saved layer order, and top-level weights."""
    require_format(filepath, "hdf5", "weights")
    try:
        f = h5py.File(filepath, "r")
    except OSError as e:
        raise ValueError(
            f"Unable to load weights from {filepath!r}: it is not a readable HDF5 file "
            f"(it may be truncated or corrupt). Error: {e}"
        ) from e
    layer_names = None
    try:
        with f:
            root = f
            if not _has_attribute(f, "layer_names") and "model_weights" in f:
                root = f["model_weights"]  # a whole-model file saved by Keras 2's model.save
            if _has_attribute(root, "layer_names"):
                layer_names = _load_attribute(root, "layer_names")
                saved = {}
                for name in layer_names:
                    group = root[name]
                    names = _load_attribute(group, "weight_names")
                    saved[name] = (names, [np.asarray(group[n]) for n in names])
                top_level = None
                if _TOP_LEVEL_GROUP in root:
                    group = root[_TOP_LEVEL_GROUP]
                    names = _load_attribute(group, "weight_names")
                    top_level = [np.asarray(group[n]) for n in names]
    except Exception as e:  # h5py reports damage as OSError, KeyError, ValueError...
        raise ValueError(
            f"Unable to load weights from {filepath!r}: the file is truncated or corrupt. "
            f"Error: {type(e).__name__}: {e}"
        ) from e
    if layer_names is None:
        raise ValueError(
            f"Unable to load weights from {filepath!r}: it is an HDF5 file but not a Keras "
            "weights file (its root has no 'layer_names' attribute)."
        )
    return layer_names, saved, top_level


def _check_shapes(pairs, k, layer_name, saved_name, skip_mismatch):
    """The (variable, value) pairs whose shapes agree; a ValueError (or a warning) otherwise."""
    kept = []
    for variable, value in pairs:
        expected, received = tuple(variable.shape), tuple(value.shape)
        if expected == received:
            kept.append((variable, value))
            continue
        where = f"layer #{k} (named {layer_name!r}"
        if saved_name != layer_name:
            where += f" in the current model, {saved_name!r} in the save file"
        where += ")"
        weight = getattr(variable, "path", None) or variable.name
        if skip_mismatch:
            warnings.warn(
                f"Skipping loading weights for {where} due to mismatch in shape for weight "
                f"{weight}. Weight expects shape {expected}. Received saved weight with shape "
                f"{received}",
                stacklevel=4,
            )
            continue
        raise ValueError(
            f"Shape mismatch in {where} for weight {weight}. Weight expects shape {expected}. "
            f"Received saved weight with shape {received}"
        )
    return kept


def _top_level_pairs(model, top_level, skip_mismatch):
    if top_level is None:  # written by Keras 2 before 2.13: no such group
        return []
    weights = _top_level_weights(model)
    if len(weights) != len(top_level):
        message = (
            "Weight count mismatch for top-level weights when loading weights from file. "
            f"Model expects {len(weights)} top-level weight(s). Received {len(top_level)} "
            "saved top-level weight(s)"
        )
        if skip_mismatch:
            warnings.warn("Skipping loading top-level weights: " + message, stacklevel=3)
            return []
        raise ValueError(message)
    name = getattr(model, "name", "model")
    return _check_shapes(list(zip(weights, top_level)), "top", name, _TOP_LEVEL_GROUP,
                         skip_mismatch)


def load_weights_from_h5(model, filepath, by_name=False, skip_mismatch=False):
    """Loads weights saved in Keras 2's HDF5 layout into `model`.

    By default each layer with weights takes the saved layer of its name when
    the model's and the file's layers with weights have the same names (in any
    order), else layers are matched by order (topological, as Keras 2), so the
    architecture must be the same; with `by_name`, weights go to the layers of the same
    name and other layers are left alone (for a different architecture
    sharing some layers). No variable changes unless the whole load
    succeeds.

    Args:
        model: a built kfacade model.
        filepath: the HDF5 file.
        by_name: match layers by name instead of by order.
        skip_mismatch: with `by_name`, skip (with a warning) layers whose
            weight count or shapes differ instead of raising.

    Raises:
        ValueError: the file is not a readable Keras weights file (the
            message names the file); the layer or weight counts differ; a
            shape differs (the message names the layer, the weight and both
            shapes); `skip_mismatch` without `by_name`.
        FileNotFoundError: no file at `filepath`.

    Example:
        >>> load_weights_from_h5(model, "model.weights.h5")
    """
    if skip_mismatch and not by_name:
        raise ValueError(
            "When calling model.load_weights, skip_mismatch can only be set to True when "
            "by_name is True."
        )
    h5py = _import_h5py()
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"Unable to load weights: no such file {filepath!r}.")
    layer_names, saved, top_level = _read_file(h5py, filepath)
    layers = list(model.layers)
    pairs = []
    if by_name:
        index = {}
        for layer in layers:
            index.setdefault(layer.name, []).append(layer)
        for k, name in enumerate(layer_names):
            _, values = saved[name]
            for layer in index.get(name, []):
                weights = _legacy_weights(layer)
                if len(weights) != len(values):
                    message = (
                        f"Weight count mismatch for layer #{k} (named {layer.name}). Layer "
                        f"expects {len(weights)} weight(s). Received {len(values)} saved "
                        "weight(s)"
                    )
                    if skip_mismatch:
                        warnings.warn(f"Skipping loading of weights: {message}", stacklevel=2)
                        continue
                    raise ValueError(message)
                pairs += _check_shapes(list(zip(weights, values)), k, layer.name, name,
                                       skip_mismatch)
    else:
        model_layers = [layer for layer in layers if _legacy_weights(layer)]
        saved_layers = [name for name in layer_names if saved[name][0]]
        if not model_layers and saved_layers and not getattr(model, "built", True):
            raise ValueError(
                "Unable to load weights saved in HDF5 format into a model which has not "
                "created its variables yet. Call the model first (or build it), then load "
                "the weights."
            )
        if len(model_layers) != len(saved_layers):
            raise ValueError(
                f"Layer count mismatch when loading weights from file {filepath!r}. Model "
                f"expected {len(model_layers)} layers, found {len(saved_layers)} saved layers."
            )
        model_names = [layer.name for layer in model_layers]
        if sorted(model_names) == sorted(saved_layers) and len(set(model_names)) == len(model_names):
            saved_layers = model_names  # the same names: each layer takes its own
        for k, (layer, name) in enumerate(zip(model_layers, saved_layers)):
            weights = _legacy_weights(layer)
            values = saved[name][1]
            if len(weights) != len(values):
                raise ValueError(
                    f"Weight count mismatch for layer #{k} (named {layer.name} in the current "
                    f"model, {name} in the save file). Layer expects {len(weights)} weight(s). "
                    f"Received {len(values)} saved weight(s)"
                )
            pairs += _check_shapes(list(zip(weights, values)), k, layer.name, name, False)
    pairs += _top_level_pairs(model, top_level, skip_mismatch)
    for variable, value in pairs:
        variable.assign(value)
