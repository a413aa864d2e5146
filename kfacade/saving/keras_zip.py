"""Whole models in Keras 3's ``.keras`` format: a zip holding

- ``config.json``: the model as Keras 3 serializes it (``module``,
  ``class_name``, ``config``, ``registered_name``, and ``compile_config``
  for a compiled model: ``optimizer``, ``loss``, ``loss_weights``,
  ``metrics``, ``weighted_metrics``, ...);
- ``metadata.json``: ``keras_version`` and ``date_saved``;
- ``model.weights.h5``: the weights and optimizer state in Keras 3's layout
  (``keras3_weights``).

Files written here load in Keras 3 (``keras.saving.load_model``), and Keras
3's load here. The zip is written to a temporary file and renamed into place
(``atomic``). Loading never unpickles: the config is JSON, the weights HDF5,
and a ``Lambda``'s bytecode loads only with ``safe_mode=False``.
"""
import datetime
import io
import json
import os
import zipfile

from kfacade.engine import object_registry
from kfacade.saving import keras3_weights
from kfacade.saving.atomic import atomic_write_path
from kfacade.saving.file_checks import import_h5py, require_format
from kfacade.saving import config_compat
from kfacade.saving.h5_model import _json_default, _serialize_nested, compile_from_training_config
from kfacade.saving.serialization_lib import serialize_keras_object

CONFIG_FILENAME = "config.json"
METADATA_FILENAME = "metadata.json"
WEIGHTS_FILENAME = "model.weights.h5"

#: The Keras version written to metadata.json: the Keras 3 release whose format this is.
KERAS_FORMAT_VERSION = "3.15.1"


# ---------------------------------------------------------------- saving
def compile_config(model):
    """Keras 3's ``compile_config`` of a compiled model (JSON-ready), else None."""
    from kfacade import losses, metrics

    if not getattr(model, "compiled", False) or getattr(model, "optimizer", None) is None:
        return None
    compile_loss = getattr(model, "_compile_loss", None)
    compile_metrics = getattr(model, "_compile_metrics", None)
    return {
        "optimizer": serialize_keras_object(model.optimizer),
        "loss": _serialize_nested(compile_loss.loss if compile_loss else None, losses.serialize),
        "loss_weights": compile_loss.loss_weights if compile_loss else None,
        "metrics": _serialize_nested(compile_metrics.metrics_spec if compile_metrics else None,
                                     metrics.serialize),
        "weighted_metrics": _serialize_nested(
            compile_metrics.weighted_spec if compile_metrics else None, metrics.serialize),
        "run_eagerly": bool(getattr(model, "run_eagerly", False)),
        "steps_per_execution": int(getattr(model, "steps_per_execution", 1)),
        "jit_compile": getattr(model, "jit_compile", False) is True,
    }


def _is_reference(value):
    return (isinstance(value, list) and len(value) == 3 and isinstance(value[0], str)
            and all(isinstance(i, int) for i in value[1:]))


def _keras3_nodes(model, layer_configs):
    """Rewrites Keras 2's inbound nodes (``[[layer, node, tensor, kwargs], ...]``, as
    kfacade's ``get_config`` writes them) in Keras 3's encoding (``{"args", "kwargs"}``
    with ``__keras_tensor__`` references), which Keras 3 needs for tensors passed as
    keyword arguments (``MultiHeadAttention(query, value=...)``); nested models too."""
    layers = {layer.name: layer for layer in getattr(model, "layers", [])}

    def tensor(reference):
        name, node_index, tensor_index = reference
        shape, dtype = [], "float32"
        try:  # Keras 3 swaps the revived tensor for the real one: shape and dtype inform only
            nodes = layers[name]._inbound_nodes
            output = nodes[min(node_index, len(nodes) - 1)].outputs[tensor_index]
            shape, dtype = list(output.shape), str(output.dtype)
        except (KeyError, IndexError, AttributeError, TypeError):
            pass
        return {"class_name": "__keras_tensor__",
                "config": {"shape": shape, "dtype": dtype, "keras_history": list(reference)}}

    def convert(value):
        if _is_reference(value):
            return tensor(value)
        if isinstance(value, dict):
            return {key: convert(item) for key, item in value.items()}
        if isinstance(value, list):
            return [convert(item) for item in value]
        return value

    for entry in layer_configs:
        nested = layers.get(entry.get("name"))
        inner = entry.get("config")
        if nested is not None and isinstance(inner, dict) and "input_layers" in inner:
            _keras3_nodes(nested, inner.get("layers", []))
        nodes = []
        for node in entry.get("inbound_nodes") or []:
            if not (isinstance(node, list) and node and all(
                    isinstance(item, list) and _is_reference(item[:3]) for item in node)):
                nodes.append(node)
                continue
            tensors = [tensor(item[:3]) for item in node]
            kwargs = convert(node[0][3]) if len(node[0]) > 3 else {}
            nodes.append({"args": [tensors[0] if len(tensors) == 1 else tensors],
                          "kwargs": kwargs})
        if "inbound_nodes" in entry:
            entry["inbound_nodes"] = nodes


def model_config(model, include_optimizer=True):
    """The ``config.json`` dict of `model`."""
    try:
        config = serialize_keras_object(model)
    except NotImplementedError as error:
        raise NotImplementedError(
            "Saving a model to .keras needs its config: build it as a Functional or "
            "Sequential model, or give the subclass get_config()/from_config(); or save only "
            f"its weights with save_weights('x.weights.h5'). {error}") from error
    if type(model).__name__ in ("Functional", "Sequential"):
        config["module"] = f"keras.src.models.{type(model).__name__.lower()}"
        config["registered_name"] = type(model).__name__
    inner = config["config"]
    if isinstance(inner, dict) and "input_layers" in inner:
        _keras3_nodes(model, inner.get("layers", []))
    for key, ends in (("input_layers", "inputs"), ("output_layers", "outputs")):
        # Keras 2 wraps a single input's reference in a list; Keras 3 does not.
        single = getattr(model, ends[:-1], None)
        if (isinstance(inner, dict) and isinstance(inner.get(key), list) and len(inner[key]) == 1
                and len(getattr(model, ends, None) or ()) == 1
                and not isinstance(single, (list, tuple, dict))):
            inner[key] = inner[key][0]
    compiled = None
    if include_optimizer:  # Keras 3's hook of a model whose compile is custom (Distiller)
        compiled = (model.get_compile_config() if hasattr(model, "get_compile_config")
                    else compile_config(model))
    if compiled is not None:
        config["compile_config"] = compiled
    else:
        config.pop("compile_config", None)
    return config


def save_model(model, filepath, include_optimizer=True):
    """Writes `model` to `filepath` in the ``.keras`` zip format, atomically.

    Example:
        >>> save_model(model, "model.keras")
    """
    h5py = import_h5py()
    filepath = os.fspath(filepath)
    folder = os.path.dirname(filepath)
    if folder and not os.path.isdir(folder):
        raise FileNotFoundError(
            f"Cannot save the model to {filepath!r}: the folder {folder!r} does not exist.")
    config_json = json.dumps(model_config(model, include_optimizer), default=_json_default)
    metadata_json = json.dumps({
        "keras_version": KERAS_FORMAT_VERSION,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
    })
    weights = io.BytesIO()
    with h5py.File(weights, "w") as f:
        keras3_weights.write_weights(f, model, include_optimizer=include_optimizer)
    with atomic_write_path(filepath) as temp:
        with zipfile.ZipFile(temp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(METADATA_FILENAME, metadata_json)
            archive.writestr(CONFIG_FILENAME, config_json)
            archive.writestr(WEIGHTS_FILENAME, weights.getvalue(),
                             compress_type=zipfile.ZIP_STORED)


# ---------------------------------------------------------------- loading
def _read_archive(filepath):
    """(config dict, weights bytes) of a .keras file; one ValueError naming the
    file for anything that is not a complete .keras zip."""
    require_format(filepath, "zip", "a model")
    try:
        with zipfile.ZipFile(filepath, "r") as archive:
            names = archive.namelist()
            missing = [name for name in (CONFIG_FILENAME, WEIGHTS_FILENAME) if name not in names]
            if missing:
                raise ValueError(
                    f"Unable to load a model from {filepath!r}: the zip holds no {missing} "
                    f"(it holds {names[:6]}); it is not a .keras model file.")
            config = json.loads(archive.read(CONFIG_FILENAME).decode("utf-8"))
            weights = archive.read(WEIGHTS_FILENAME)
    except ValueError as error:
        if filepath in str(error):
            raise
        raise ValueError(f"Unable to load a model from {filepath!r}: its config.json is not "
                         f"valid JSON ({error}).") from error
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, KeyError) as error:
        raise ValueError(f"Unable to load a model from {filepath!r}: the file is truncated or "
                         f"corrupt ({type(error).__name__}: {error}).") from error
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Unable to load a model from {filepath!r}: config.json holds no "
                         "model config (no 'class_name').")
    return config, weights


def read_metadata(filepath):
    """The ``metadata.json`` dict of a .keras file (``keras_version``, ``date_saved``),
    or None where the zip holds none; call it after ``_read_archive`` checked the file."""
    try:
        with zipfile.ZipFile(filepath, "r") as archive:
            if METADATA_FILENAME not in archive.namelist():
                return None
            metadata = json.loads(archive.read(METADATA_FILENAME).decode("utf-8"))
    except (ValueError, zipfile.BadZipFile, OSError, EOFError, KeyError) as error:
        raise ValueError(f"Unable to read {METADATA_FILENAME} of {filepath!r}: the file is "
                         f"truncated or corrupt ({type(error).__name__}: {error}).") from error
    return metadata if isinstance(metadata, dict) else None


def _open_weights(filepath, weights_bytes):
    h5py = import_h5py()
    try:
        return h5py.File(io.BytesIO(weights_bytes), "r")
    except Exception as error:
        raise ValueError(f"Unable to load a model from {filepath!r}: its {WEIGHTS_FILENAME} is "
                         f"truncated or corrupt ({type(error).__name__}: {error}).") from error


def _model_from_config(config, custom_objects, safe_mode):
    """The one place a .keras config becomes a model (configs of any Keras era)."""
    return config_compat.model_from_keras_config(config, custom_objects, safe_mode=safe_mode)


def compile_from_config(model, compile_config, custom_objects=None):
    """Compiles `model` with Keras 3's ``compile_config`` (the h5 loader's path)."""
    training_config = {key: value for key, value in compile_config.items() if key != "optimizer"}
    training_config["optimizer_config"] = compile_config.get("optimizer") or "rmsprop"
    if isinstance(training_config["optimizer_config"], str):
        training_config["optimizer_config"] = {"class_name": training_config["optimizer_config"],
                                               "config": {}}
    compile_from_training_config(model, training_config, custom_objects)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """A model from a ``.keras`` file written by kfacade or Keras 3.

    Args:
        filepath: the ``.keras`` file.
        custom_objects: ``{name: class or function}`` outside kfacade.
        compile: compile with the saved ``compile_config`` and restore the
            optimizer state.
        safe_mode: refuse a ``Lambda``'s Python bytecode.

    Raises:
        ValueError: not a complete .keras file, an unknown class, or weights
            that do not fit (each naming the file).

    Example:
        >>> model = load_model("model.keras")
    """
    filepath = os.fspath(filepath)
    config, weights_bytes = _read_archive(filepath)
    compiled = config.pop("compile_config", None)
    with object_registry.SafeModeScope(object_registry.in_safe_mode(safe_mode)):
        model = _model_from_config(config, custom_objects, safe_mode)
    if compile and compiled:
        if hasattr(model, "compile_from_config"):  # Keras 3's hook, as get_compile_config
            with object_registry.CustomObjectScope(custom_objects):
                model.compile_from_config(compiled)
        else:
            compile_from_config(model, compiled, custom_objects)
    with _open_weights(filepath, weights_bytes) as f:
        keras3_weights.load_weights(model, filepath, h5_file=f)
    return model


def load_weights_from_zip(model, filepath, skip_mismatch=False):
    """Loads the weights of a ``.keras`` file into `model`."""
    _, weights_bytes = _read_archive(filepath)
    with _open_weights(filepath, weights_bytes) as f:
        keras3_weights.load_weights(model, filepath, skip_mismatch=skip_mismatch, h5_file=f)


__all__ = ["save_model", "load_model", "load_weights_from_zip", "compile_config", "compile_from_config",
           "model_config", "read_metadata"]
