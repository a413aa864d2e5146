"""Whole models in Keras 2's HDF5 layout (``model.save("model.h5")``).

The layout, as Keras 2 writes it:

- root attributes ``model_config`` (JSON ``{"class_name", "config"}``),
  ``keras_version``, ``backend`` and, for a compiled model saved with its
  optimizer, ``training_config`` (JSON of the compile arguments: ``loss``,
  ``metrics``, ``weighted_metrics``, ``loss_weights`` and
  ``optimizer_config`` = ``{"class_name", "config"}``);
- group ``model_weights``: the weights, exactly as ``save_weights`` lays
  them out (``h5_weights.write_weights_group``);
- group ``optimizer_weights``: every optimizer variable (iterations, the
  learning rate, the slots) under its name, listed in ``weight_names``.

Loading rebuilds the model from its config, loads the weights, compiles it
with the saved arguments and restores the optimizer's variables, so that
``fit`` continues exactly where the saved model stopped.
"""
import json
import os
import warnings

import numpy as np

from kfacade.engine import object_registry
from kfacade.saving import h5_weights
from kfacade.saving.atomic import atomic_write_path
from kfacade.saving.file_checks import require_format


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable: {value!r}")


def _to_json(value):
    return json.dumps(value, default=_json_default)


def _decode(attribute):
    return attribute.decode("utf8") if isinstance(attribute, bytes) else str(attribute)


# ---------------------------------------------------------------- training config
def _serialize_nested(identifiers, serialize):
    """Losses or metrics (single, list or dict per output) in JSON form."""
    if identifiers is None or isinstance(identifiers, str):
        return identifiers
    if isinstance(identifiers, dict):
        return {key: _serialize_nested(value, serialize) for key, value in identifiers.items()}
    if isinstance(identifiers, (list, tuple)):
        return [_serialize_nested(value, serialize) for value in identifiers]
    serialized = serialize(identifiers)
    if serialized == "<lambda>":
        raise ValueError(f"{identifiers!r} is a lambda, which has no name to save.")
    return serialized


def _deserialize_nested(config, deserialize, custom_objects):
    """The inverse of ``_serialize_nested``: names stay names (compile resolves them)."""
    if config is None:
        return None
    if isinstance(config, str):
        return object_registry.custom_objects_in_effect(custom_objects).get(config, config)
    if isinstance(config, dict):
        if "class_name" in config:
            return deserialize(config, custom_objects)
        return {key: _deserialize_nested(value, deserialize, custom_objects)
                for key, value in config.items()}
    return [_deserialize_nested(value, deserialize, custom_objects) for value in config]


def _training_config(model):
    """Keras 2's ``training_config`` of a compiled model as JSON, or None (with
    a warning) when a loss, metric or the learning rate cannot be saved."""
    from kfacade import losses, metrics, optimizers

    compile_loss = getattr(model, "_compile_loss", None)
    compile_metrics = getattr(model, "_compile_metrics", None)
    try:
        config = {
            "loss": _serialize_nested(compile_loss.loss if compile_loss else None,
                                      losses.serialize),
            "metrics": _serialize_nested(compile_metrics.metrics_spec if compile_metrics
                                         else None, metrics.serialize),
            "weighted_metrics": _serialize_nested(compile_metrics.weighted_spec
                                                  if compile_metrics else None,
                                                  metrics.serialize),
            "loss_weights": compile_loss.loss_weights if compile_loss else None,
            "optimizer_config": optimizers.serialize(model.optimizer),
        }
        return _to_json(config)
    except (ValueError, TypeError) as e:
        warnings.warn(
            f"The model's compile arguments cannot be saved ({e}); it is saved without its "
            "training configuration and optimizer state, and will load uncompiled. Use "
            "named functions or Loss/Metric classes to save them.",
            stacklevel=3,
        )
        return None


# ---------------------------------------------------------------- saving
def save_model_to_h5(model, filepath, include_optimizer=True):
    """Writes `model` (config, weights, compile arguments and optimizer state)
    to `filepath` in Keras 2's whole-model HDF5 layout, atomically: on any
    error the previous file is left untouched.

    Args:
        model: a functional or Sequential kfacade model.
        filepath: the file to write (str or PathLike).
        include_optimizer: also save ``training_config`` and the optimizer's
            variables when the model is compiled.

    Raises:
        NotImplementedError: a subclassed model (it has no config).

    Example:
        >>> save_model_to_h5(model, "model.h5")
    """
    h5py = h5_weights._import_h5py()
    filepath = os.fspath(filepath)
    try:
        config = model.get_config()
    except NotImplementedError as e:
        raise NotImplementedError(
            "Saving the model to HDF5 format requires the model to be a Functional model or "
            f"a Sequential model. It does not work for subclassed models. {e}"
        ) from e
    model_config = _to_json({"class_name": object_registry.get_registered_name(type(model)),
                             "config": config})
    training_config = None
    optimizer = getattr(model, "optimizer", None)
    if include_optimizer and optimizer is not None and getattr(model, "compiled", False):
        training_config = _training_config(model)
    folder = os.path.dirname(filepath)
    if folder and not os.path.isdir(folder):
        raise FileNotFoundError(
            f"Cannot save the model to {filepath!r}: the folder {folder!r} does not exist."
        )
    from kfacade.version import __version__
    from kfacade.backend.active import backend

    with atomic_write_path(filepath) as temp:
        with h5py.File(temp, "w") as f:
            f.attrs["backend"] = backend().encode("utf8")
            f.attrs["keras_version"] = str(__version__).encode("utf8")
            f.attrs["model_config"] = model_config.encode("utf8")
            h5_weights.write_weights_group(f.create_group("model_weights"), model)
            if training_config is not None:
                f.attrs["training_config"] = training_config.encode("utf8")
                if optimizer.variables:
                    h5_weights._save_subset(f.create_group("optimizer_weights"),
                                            optimizer.variables)


# ---------------------------------------------------------------- loading
def _read_model_file(h5py, filepath):
    """(model config, training config or None, optimizer (names, values) or None)."""
    require_format(filepath, "hdf5", "a model")
    try:
        f = h5py.File(filepath, "r")
    except OSError as e:
        raise ValueError(
            f"Unable to load a model from {filepath!r}: it is not a readable HDF5 file (it "
            f"may be truncated or corrupt). Error: {e}"
        ) from e
    try:
        with f:
            if "model_config" not in f.attrs:
                raise ValueError(
                    f"Unable to load a model from {filepath!r}: the HDF5 file holds no model "
                    "config (root attribute 'model_config'). If it was written by "
                    "save_weights, build the model and call model.load_weights() instead."
                )
            model_config = json.loads(_decode(f.attrs["model_config"]))
            training_config = None
            if "training_config" in f.attrs:
                training_config = json.loads(_decode(f.attrs["training_config"]))
            optimizer_weights = None
            if "optimizer_weights" in f:
                group = f["optimizer_weights"]
                names = h5_weights._load_attribute(group, "weight_names")
                optimizer_weights = (names, [np.asarray(group[name]) for name in names])
    except ValueError as e:
        if str(filepath) in str(e):
            raise
        raise ValueError(
            f"Unable to load a model from {filepath!r}: the file is corrupt. "
            f"Error: {type(e).__name__}: {e}"
        ) from e
    except Exception as e:  # h5py reports damage as OSError, KeyError, ...
        raise ValueError(
            f"Unable to load a model from {filepath!r}: the file is truncated or corrupt. "
            f"Error: {type(e).__name__}: {e}"
        ) from e
    return model_config, training_config, optimizer_weights


def _restore_optimizer(optimizer, model, saved, filepath):
    """Builds `optimizer` on the model's trainable variables and assigns the
    saved values, matched by name (by order when the names differ, as for a
    file from another Keras)."""
    optimizer.build(model.trainable_variables)
    names, values = saved
    variables = optimizer.variables
    current = h5_weights._weight_names(variables)
    by_name = dict(zip(names, values))
    if set(current) == set(names):
        pairs = [(variable, by_name[name]) for variable, name in zip(variables, current)]
    else:
        pairs = list(zip(variables, values)) if len(variables) == len(values) else None
    if pairs is None or any(tuple(v.shape) != tuple(value.shape) for v, value in pairs):
        warnings.warn(
            f"The optimizer state saved in {filepath!r} ({len(values)} variables: "
            f"{names[:4]}...) does not match the optimizer of the loaded model ({len(variables)} "
            f"variables: {current[:4]}...); the optimizer starts freshly initialized.",
            stacklevel=3,
        )
        return
    for variable, value in pairs:
        variable.assign(value)


def load_model_from_h5(filepath, custom_objects=None, compile=True):
    """A model saved by ``save_model_to_h5`` (or by Keras 2's ``model.save``).

    Args:
        filepath: the HDF5 file.
        custom_objects: ``{name: class or function}`` for layers, losses,
            metrics or optimizers outside kfacade.
        compile: compile the model with the saved training configuration
            (if any) and restore the optimizer's state.

    Raises:
        ValueError: the file is not a readable Keras model file (naming it),
            or a layer class is unknown (naming it and `custom_objects`).

    Example:
        >>> model = load_model_from_h5("model.h5")
    """
    from kfacade import losses, metrics, optimizers
    from kfacade.layers.serialization import deserialize_layer

    h5py = h5_weights._import_h5py()
    filepath = os.fspath(filepath)
    model_config, training_config, optimizer_weights = _read_model_file(h5py, filepath)
    model = deserialize_layer(model_config, custom_objects)
    h5_weights.load_weights_from_h5(model, filepath)
    if compile and training_config is not None:
        optimizer = optimizers.deserialize(training_config["optimizer_config"], custom_objects)
        model.compile(
            optimizer=optimizer,
            loss=_deserialize_nested(training_config.get("loss"), losses.deserialize,
                                     custom_objects),
            metrics=_deserialize_nested(training_config.get("metrics"), metrics.deserialize,
                                        custom_objects),
            weighted_metrics=_deserialize_nested(training_config.get("weighted_metrics"),
                                                 metrics.deserialize, custom_objects),
            loss_weights=training_config.get("loss_weights"),
        )
        if optimizer_weights is not None:
            _restore_optimizer(optimizer, model, optimizer_weights, filepath)
    return model


__all__ = ["save_model_to_h5", "load_model_from_h5"]
