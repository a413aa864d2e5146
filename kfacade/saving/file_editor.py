"""``KerasFileEditor``: inspect and edit the weights of a ``.keras`` or
``.weights.h5`` file without building its model, then write them to a new
``.weights.h5`` file. It serves adapting an old file to a changed architecture:
rename the object a layer moved to, drop a removed layer, add a new one.

The file is read once, whole, into ``weights_dict``: a nested dict whose keys
are the object paths of Keras 3's layout (``keras3_weights``: ``layers``, then
``dense``, ``dense_1``, ...) and whose leaves are NumPy arrays named by their
index in the object's ``vars`` group (``"0"``, ``"1"``, ...). Objects without
weights are left out. Unlike Keras 3.15, an object that has both weights and
sub-objects (a ``Bidirectional``) keeps both, renaming onto an existing name or
adding an existing weight raises instead of overwriting, and ``compare`` counts
each mismatch once.

Example:
    >>> editor = KerasFileEditor("model.keras")
    >>> editor.summary()
    >>> editor.rename_object("layers/dense_1", "dense_2")
    >>> editor.add_object("layers/dense_1", {"0": kernel, "1": bias})
    >>> editor.save("edited.weights.h5")
"""
import os

import numpy as np

from kfacade.layers.layer import Layer
from kfacade.ops.core import convert_to_numpy
from kfacade.saving import keras_zip
from kfacade.saving.atomic import atomic_write_path
from kfacade.saving.file_checks import import_h5py, read_h5
from kfacade.saving.weights_tree import (join, object_paths_of_tree, read_tree, reference_spec,
                                         shapes, write_tree)
from kfacade.utils.io_utils import print_msg


# ---------------------------------------------------------------- checks
def _check_weights(weights, argument="weights"):
    """`weights` as ``{name: NumPy array or nested dict}``; a clear error otherwise."""
    if not isinstance(weights, dict):
        raise ValueError(
            f"Argument `{argument}` should be a dict where keys are weight names (usually "
            f"'0', '1', etc.) and values are NumPy arrays. Received: type({argument})="
            f"{type(weights)}")
    checked = {}
    for name, value in weights.items():
        if not isinstance(name, str) or not name or "/" in name:
            raise ValueError(f"Weight names must be non-empty strings without '/' (e.g. '0'). "
                             f"Received: {name!r} in `{argument}`.")
        if isinstance(value, dict):
            checked[name] = _check_weights(value, argument)
        elif isinstance(value, np.ndarray):
            checked[name] = value
        else:  # lists and any backend's tensors (GPU ones too)
            checked[name] = np.asarray(convert_to_numpy(value))
    return checked


def _check_leaf_name(new_name):
    if not isinstance(new_name, str) or not new_name or "/" in new_name:
        raise ValueError("Argument `new_name` should be a leaf name, not a full path name. "
                         f"Received: new_name={new_name!r}")


class KerasFileEditor:
    """Utility to inspect, edit, and resave Keras weights files.

    Reads the weights of a ``.keras`` model file or a ``.weights.h5`` file
    (Keras 3's layout, written by kfacade or Keras 3) without building the
    model. Objects are named by path (``"layers/dense_2"``) or, where unique,
    by their last part (``"dense_2"``).

    Args:
        filepath: the ``.keras`` or ``.weights.h5`` file to inspect and edit.

    Attributes:
        weights_dict: ``{object or weight name: nested dict or NumPy array}``.
        config: the model's ``config.json`` dict (a ``.keras`` file), else None.
        metadata: the ``metadata.json`` dict (``keras_version``,
            ``date_saved``) of a ``.keras`` file, else None.
        object_metadata: ``{object path: attributes of its vars group}``
            (the layer's ``name``), kept through renames and written on save.

    Raises:
        ValueError: another extension, or a missing, corrupt or foreign file.

    Example:
        >>> editor = KerasFileEditor("my_model.weights.h5")
        >>> editor.summary()
        >>> editor.delete_object("layers/dense_2")
        >>> editor.add_object("layers/einsum_dense", weights={"0": kernel, "1": bias})
        >>> editor.resave_weights("edited_model.weights.h5")
    """

    def __init__(self, filepath):
        filepath = os.fspath(filepath)
        self.filepath = filepath
        self.config = None
        self.metadata = None
        self.object_metadata = {}
        if filepath.endswith(".keras"):
            self.config, weights_bytes = keras_zip._read_archive(filepath)
            self.metadata = keras_zip.read_metadata(filepath)
            try:
                with keras_zip._open_weights(filepath, weights_bytes) as f:
                    self.weights_dict = read_tree(f, filepath, self.object_metadata)
            except ValueError as error:
                if filepath in str(error):
                    raise
                raise ValueError(f"Unable to read the weights of {filepath!r}: {error}") from error
            except Exception as error:  # h5py reports damage as OSError, KeyError...
                raise ValueError(
                    f"Unable to read the weights of {filepath!r}: the file is truncated or "
                    f"corrupt ({type(error).__name__}: {error}).") from error
        elif filepath.endswith(".weights.h5"):
            self.weights_dict = read_h5(
                filepath, lambda f: read_tree(f, filepath, self.object_metadata), "weights")
        else:
            raise ValueError("Invalid filename: expected a `.keras` `.weights.h5` extension. "
                             f"Received: filepath={filepath}")
        print_msg(f"Keras model file '{filepath}'")
        if self.metadata:
            print_msg(f"Saved with Keras {self.metadata.get('keras_version')} - date: "
                      f"{self.metadata.get('date_saved')}")

    # ------------------------------------------------------------ inspecting
    def summary(self):
        """Prints the weight structure of the opened file as a text tree."""
        print_msg("Weights structure")
        for line in self._tree_lines(self.weights_dict, "", ""):
            print_msg(line)

    def _tree_lines(self, tree, path, prefix):
        lines, keys = [], list(tree)
        for index, key in enumerate(keys):
            last = index == len(keys) - 1
            connector, extend = ("└─ ", "    ") if last else ("├─ ", "│   ")
            value = tree[key]
            if isinstance(value, dict):
                name = self.object_metadata.get(join(path, key), {}).get("name")
                label = f" ('{name}')" if name is not None and name != key else ""
                lines.append(f"{prefix}{connector}{key}{label}")
                lines.extend(self._tree_lines(value, join(path, key), prefix + extend))
            else:
                lines.append(f"{prefix}{connector}{key}: shape={value.shape}, dtype={value.dtype}")
        return lines

    def compare(self, reference_model):
        """Compares the opened file to a reference model.

        Lists (prints) every object or weight present on one side only and
        every weight whose shape differs.

        Args:
            reference_model: a built kfacade model (or layer).

        Returns:
            Dict with the following keys: ``'status'`` (``'success'`` or
            ``'error'``), ``'error_count'`` (mismatches found) and
            ``'match_count'`` (weights of equal shape).
        """
        if not isinstance(reference_model, Layer):
            raise TypeError("Argument `reference_model` should be a Keras model. "
                            f"Received: type(reference_model)={type(reference_model)}")
        print_msg("Running comparison")
        counts = {"error": 0, "match": 0}
        self._compare(shapes(self.weights_dict), reference_spec(reference_model), "", counts)
        print_msg("─────────────────────")
        plural = lambda n: "" if n == 1 else "s"  # noqa: E731
        if counts["error"] == 0:
            status = "success"
            print_msg("Comparison successful: saved file is compatible with the reference model")
            print_msg(f"    Found {counts['match']} matching weight{plural(counts['match'])}")
        else:
            status = "error"
            print_msg(f"Found {counts['error']} error{plural(counts['error'])}: saved file is not "
                      "compatible with the reference model")
        return {"status": status, "error_count": counts["error"], "match_count": counts["match"]}

    def _compare(self, saved, reference, path, counts):
        sides = (("reference model", reference, "saved file", saved),
                 ("saved file", saved, "reference model", reference))
        keys = list(reference) + [key for key in saved if key not in reference]
        for key in keys:
            where = join(path, key)
            for present_name, present, missing_name, missing in sides:
                if key in present and key not in missing:
                    counts["error"] += 1
                    kind = "Object" if isinstance(present[key], dict) else "Weight"
                    print_msg(f"...{kind} {where} present in {present_name}, missing from "
                              f"{missing_name}")
                    if isinstance(present[key], dict):
                        print_msg(f"    In {present_name}, {where} contains the following keys: "
                                  f"{list(present[key])}")
            if key not in saved or key not in reference:
                continue
            ref_value, saved_value = reference[key], saved[key]
            if isinstance(ref_value, dict) and isinstance(saved_value, dict):
                self._compare(saved_value, ref_value, where, counts)
            elif isinstance(ref_value, dict) or isinstance(saved_value, dict):
                counts["error"] += 1
                what = lambda v: "an object" if isinstance(v, dict) else "a weight"  # noqa: E731
                print_msg(f"...{where} is {what(ref_value)} in reference model but "
                          f"{what(saved_value)} in saved file")
            elif ref_value != saved_value:
                counts["error"] += 1
                print_msg(f"...Weight shape mismatch for {where}\n"
                          f"    In reference model: shape={ref_value}\n"
                          f"    In saved file: shape={saved_value}")
            else:
                counts["match"] += 1

    # ------------------------------------------------------------ finding
    def _resolve(self, object_name):
        """The full path of an object named by path or by a unique last part."""
        if not isinstance(object_name, str) or not object_name.strip("/"):
            raise ValueError(f"Expected an object name or path (e.g. 'dense_2' or "
                             f"'layers/dense_2'). Received: {object_name!r}")
        object_name = object_name.strip("/")
        if "/" in object_name:
            self._object_at(object_name)
            return object_name
        found = [path for path in object_paths_of_tree(self.weights_dict)
                 if path.rsplit("/", 1)[-1] == object_name]
        if len(found) > 1:
            raise ValueError(f"Name '{object_name}' occurs more than once in the model "
                             f"({found}); try passing a complete path")
        if not found:
            raise ValueError(f"Source name '{object_name}' does not appear in the model. Use "
                             "`editor.summary()` to list all objects.")
        return found[0]

    def _object_at(self, path):
        """The dict of the object at the full `path`."""
        node = self.weights_dict
        for part in path.split("/"):
            if not isinstance(node, dict) or part not in node:
                raise ValueError(f"Path '{path}' not found in model. Use `editor.summary()` to "
                                 "list all objects.")
            node = node[part]
        if not isinstance(node, dict):
            raise ValueError(f"Path '{path}' is a weight, not an object.")
        return node

    def _parent(self, path):
        """(the dict holding the object at `path`, its last part)."""
        parent = self.weights_dict
        *folders, leaf = path.split("/")
        for part in folders:
            parent = parent[part]
        return parent, leaf

    def _move_metadata(self, old_path, new_path=None):
        """Moves (or, without `new_path`, drops) the metadata under `old_path`."""
        for path in list(self.object_metadata):
            if path == old_path or path.startswith(old_path + "/"):
                attributes = self.object_metadata.pop(path)
                if new_path is not None:
                    self.object_metadata[new_path + path[len(old_path):]] = attributes

    # ------------------------------------------------------------ editing
    def rename_object(self, object_name, new_name):
        """Rename an object in the file (e.g. a layer).

        Args:
            object_name: String, name or path of the object to rename (e.g.
                ``"dense_2"`` or ``"layers/dense_2"``).
            new_name: String, new name of the object (a leaf name, no ``/``).
        """
        _check_leaf_name(new_name)
        path = self._resolve(object_name)
        parent, leaf = self._parent(path)
        if new_name == leaf:
            return
        if new_name in parent:
            raise ValueError(f"Cannot rename '{path}' to '{new_name}': an object or weight named "
                             f"'{new_name}' already exists there. Rename or delete it first.")
        # Rebuilding keeps the renamed object at its place in the order.
        items = [(new_name if key == leaf else key, value) for key, value in parent.items()]
        parent.clear()
        parent.update(items)
        self._move_metadata(path, join(path.rpartition("/")[0], new_name))

    def delete_object(self, object_name):
        """Removes an object from the file (e.g. a layer).

        Args:
            object_name: String, name or path of the object to delete (e.g.
                ``"dense_2"`` or ``"layers/dense_2"``).
        """
        path = self._resolve(object_name)
        parent, leaf = self._parent(path)
        del parent[leaf]
        self._move_metadata(path)

    def add_object(self, object_path, weights):
        """Add a new object to the file (e.g. a layer).

        Args:
            object_path: String, full path of the object to add (e.g.
                ``"layers/dense_2"``); its parent must exist.
            weights: Dict mapping weight names to weight values (arrays),
                e.g. ``{"0": kernel_value, "1": bias_value}``.
        """
        weights = _check_weights(weights)
        if not isinstance(object_path, str) or not object_path.strip("/"):
            raise ValueError(f"Expected an object path (e.g. 'layers/dense_2'). "
                             f"Received: object_path={object_path!r}")
        object_path = object_path.strip("/")
        parent_path, _, leaf = object_path.rpartition("/")
        parent = self._object_at(parent_path) if parent_path else self.weights_dict
        if leaf in parent:
            raise ValueError(f"Cannot add the object '{object_path}': it already exists. Use "
                             "`add_weights()` to add weights to it, or delete it first.")
        parent[leaf] = weights
        self._move_metadata(object_path)  # a weightless object's old name is not the new one's

    def delete_weight(self, object_name, weight_name):
        """Removes a weight from an existing object.

        Args:
            object_name: String, name or path of the object from which to
                remove the weight (e.g. ``"dense_2"`` or ``"layers/dense_2"``).
            weight_name: String, name of the weight to delete (e.g. ``"0"``).
        """
        path = self._resolve(object_name)
        parent, leaf = self._parent(path)
        weights = parent[leaf]
        if weight_name not in weights or isinstance(weights[weight_name], dict):
            raise ValueError(f"Weight {weight_name} not found in object {object_name}. Weights "
                             f"found: {[k for k, v in weights.items() if not isinstance(v, dict)]}")
        del weights[weight_name]

    def add_weights(self, object_name, weights):
        """Add one or more new weights to an existing object.

        Args:
            object_name: String, name or path of the object to add the
                weights to (e.g. ``"dense_2"`` or ``"layers/dense_2"``).
            weights: Dict mapping weight names to weight values (arrays),
                e.g. ``{"0": kernel_value, "1": bias_value}``.
        """
        weights = _check_weights(weights)
        path = self._resolve(object_name)
        parent, leaf = self._parent(path)
        existing = [name for name in weights if name in parent[leaf]]
        if existing:
            raise ValueError(f"Object '{path}' already has the weights {existing}; delete them "
                             "with `delete_weight()` first to replace them.")
        parent[leaf].update(weights)

    # ------------------------------------------------------------ saving
    def save(self, filepath):
        """Save the edited weights file, atomically.

        Args:
            filepath: Path to save the file to. Must be a ``.weights.h5`` file.
        """
        filepath = os.fspath(filepath)
        if not str(filepath).endswith(".weights.h5"):
            raise ValueError("Invalid `filepath` argument: expected a `.weights.h5` extension. "
                             f"Received: filepath={filepath}")
        folder = os.path.dirname(filepath)
        if folder and not os.path.isdir(folder):
            raise FileNotFoundError(
                f"Cannot save weights to {filepath!r}: the folder {folder!r} does not exist.")
        h5py = import_h5py()
        with atomic_write_path(filepath) as temp:
            with h5py.File(temp, "w") as f:
                write_tree(f, self.weights_dict, self.object_metadata)

    def resave_weights(self, filepath):
        """Same as ``save(filepath)``: writes the edited weights to a ``.weights.h5`` file."""
        self.save(filepath)


__all__ = ["KerasFileEditor"]
