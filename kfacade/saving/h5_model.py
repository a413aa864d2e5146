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
import inspect
import json
import os
import warnings

import numpy as np

from kfacade.engine import object_registry
from kfacade.saving import config_compat, h5_weights
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
def _serialize_nested(identifiers, serialize, rename=None):
    """Losses or metrics (single, list or dict per output) in JSON form; names stay
    names (through `rename` when given)."""
    if identifiers is None:
        return identifiers
    if isinstance(identifiers, str):
        return rename(identifiers) if rename else identifiers
    if isinstance(identifiers, dict):
        return {key: _serialize_nested(value, serialize, rename)
                for key, value in identifiers.items()}
    if isinstance(identifiers, (list, tuple)):
        return [_serialize_nested(value, serialize, rename) for value in identifiers]
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
    def loss_name(name):
        # A short alias ("mse") as the function's name: Keras 3's legacy loader
        # reads "mse" as a metric and fails; both Kerases read the full name.
        found = losses.get(name)
        return found.__name__ if inspect.isfunction(found) else name

    try:
        config = {
            "loss": _serialize_nested(compile_loss.loss if compile_loss else None,
                                      losses.serialize, loss_name),
            "metrics": _serialize_nested(compile_metrics.metrics_spec if compile_metrics
                                         else None, metrics.serialize),
            "weighted_metrics": _serialize_nested(compile_metrics.weighted_spec
                                                  if compile_metrics else None,
                                                  metrics.serialize),
            "loss_weights": compile_loss.loss_weights if compile_loss else None,
            "optimizer_config": config_compat.legacy_optimizer_config(
                optimizers.serialize(model.optimizer)),
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
    model_config = _to_json(config_compat.legacy_model_config(
        {"class_name": object_registry.get_registered_name(type(model)), "config": config}))
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
                                            _keras3_optimizer_order(optimizer, model))


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


#: Keras 2's and Keras 3's names of optimizer slots, as kfacade names them.
_SLOT_ALIASES = {"m": "momentum", "v": "velocity", "vhat": "velocity_hat", "rms": "velocity",
                 "mg": "average_gradient", "momentum": "momentum", "velocity": "velocity",
                 "velocity_hat": "velocity_hat", "average_gradient": "average_gradient",
                 "accumulator": "accumulator", "delta_accumulator": "delta_accumulator",
                 "accumulated_grad": "accumulated_grad", "accumulated_delta_var":
                 "accumulated_delta_var", "u": "norm", "norm": "norm"}
_ITERATIONS = ("iteration", "iterations", "iter")
_LEARNING_RATE = ("learning_rate", "lr")


def _saved_optimizer_entry(name):
    """("iterations" | "learning_rate" | slot name | None, variable path) of a saved
    optimizer variable, from any Keras's naming:

    - tf_keras >= 2.11: ``iteration:0``, ``Adam/m/dense/kernel:0``;
    - Keras 2 before 2.11: ``Adam/iter:0``, ``Adam/dense/kernel/m:0``;
    - Keras 3: ``adam/iteration``, ``adam/learning_rate``, ``adam/dense_kernel_momentum``.
    """
    parts = name[:-2].split("/") if name.endswith(":0") else name.split("/")
    if parts[-1] in _ITERATIONS:
        return "iterations", None
    if parts[-1] in _LEARNING_RATE:
        return "learning_rate", None
    body = parts[1:] if len(parts) > 1 else parts
    if len(body) > 1 and body[0] in _SLOT_ALIASES:
        return _SLOT_ALIASES[body[0]], "/".join(body[1:])
    if len(body) > 1 and body[-1] in _SLOT_ALIASES:
        return _SLOT_ALIASES[body[-1]], "/".join(body[:-1])
    if len(body) == 1:
        for slot in sorted(_SLOT_ALIASES, key=len, reverse=True):
            if body[0].endswith("_" + slot):
                return _SLOT_ALIASES[slot], body[0][:-len(slot) - 1]
    return None, None


def _optimizer_slots(optimizer, trainable):
    """{slot name: [slot variable per trainable variable, in order]} of a built kfacade
    optimizer, plus its iterations and learning-rate variables."""
    prefix = {id(v): getattr(v, "path", v.name).replace("/", "_") for v in trainable}
    slots = {}
    paths = [prefix[id(v)] for v in trainable]
    for variable in optimizer.variables:
        name = variable.name.split("/")[-1]
        for index, path in enumerate(paths):
            if name.startswith(path + "_") and name[len(path) + 1:] in _SLOT_ALIASES.values():
                slots.setdefault(name[len(path) + 1:], [None] * len(paths))[index] = variable
                break
    return slots


def _keras3_optimizer_order(optimizer, model):
    """The optimizer's variables in Keras 3's order (its legacy ``.h5`` loader assigns
    them by position): iterations, learning rate and other unslotted variables first,
    then each trainable variable's slots together (momentum, velocity, ...)."""
    trainable = list(model.trainable_variables)
    slots = _optimizer_slots(optimizer, trainable)
    slotted = {id(v) for per_var in slots.values() for v in per_var if v is not None}
    ordered = [v for v in optimizer.variables if id(v) not in slotted]
    for index in range(len(trainable)):
        ordered.extend(per_var[index] for per_var in slots.values()
                       if per_var[index] is not None)
    return ordered


def _restore_optimizer(optimizer, model, saved, filepath):
    """Builds `optimizer` on the model's trainable variables and assigns the saved
    values: by name for a file kfacade wrote; else (Keras 2's or Keras 3's names) the
    iteration count, the learning rate and each kind of slot, the slots matched to the
    trainable variables in order. What cannot be matched is named in one warning and
    left freshly initialized."""
    trainable = list(model.trainable_variables)
    optimizer.build(trainable)
    names, values = saved
    variables = optimizer.variables
    current = h5_weights._weight_names(variables)
    by_name = dict(zip(names, values))
    if set(current) == set(names) and all(
            tuple(v.shape) == tuple(by_name[n].shape) for v, n in zip(variables, current)):
        for variable, name in zip(variables, current):
            variable.assign(by_name[name])
        return
    pairs, unmatched, by_slot = [], [], {}
    for name, value in zip(names, values):
        kind, _ = _saved_optimizer_entry(name)
        if kind == "iterations" and getattr(optimizer, "iterations", None) is not None:
            pairs.append((optimizer.iterations, value.astype(np.int64).reshape(())
                          if value.ndim == 0 else value))
        elif kind == "learning_rate":
            rate = getattr(optimizer, "_learning_rate", None)
            if rate is not None and hasattr(rate, "assign") and np.ndim(value) == 0:
                pairs.append((rate, value))
        elif kind is None:
            unmatched.append(name)
        else:
            by_slot.setdefault(kind, []).append((name, value))
    slots = _optimizer_slots(optimizer, trainable)
    for kind, saved_slots in by_slot.items():
        targets = slots.get(kind)
        if (targets is None or len(targets) != len(saved_slots) or any(
                t is None or tuple(t.shape) != tuple(v.shape)
                for t, (_, v) in zip(targets, saved_slots))):
            unmatched.extend(name for name, _ in saved_slots)
            continue
        pairs.extend((t, v) for t, (_, v) in zip(targets, saved_slots))
    if unmatched:
        warnings.warn(
            f"{len(unmatched)} optimizer variable(s) saved in {filepath!r} match no variable of "
            f"the loaded model's {type(optimizer).__name__} and were not restored (those start "
            f"freshly initialized): {unmatched}",
            stacklevel=3,
        )
    for variable, value in pairs:
        variable.assign(np.asarray(value).astype(
            str(variable.dtype)) if hasattr(variable, "dtype") else value)


def compile_from_training_config(model, training_config, custom_objects=None):
    """Compiles `model` with a saved ``training_config`` (Keras 2's, or Keras 3's
    ``compile_config`` with its ``optimizer`` as ``optimizer_config``) of any
    Keras era; returns the optimizer."""
    from kfacade import losses, metrics, optimizers

    training_config = config_compat.training_config_compat(training_config)
    optimizer = optimizers.deserialize(training_config["optimizer_config"], custom_objects)
    compile_metrics = [_deserialize_nested(training_config.get(key), metrics.deserialize,
                                           custom_objects)
                       for key in ("metrics", "weighted_metrics")]
    if len(getattr(model, "outputs", None) or [None]) == 1:
        # Keras 2 writes a single output's metrics as a list per output: [[...]].
        compile_metrics = [m[0] if isinstance(m, list) and len(m) == 1
                           and isinstance(m[0], list) else m for m in compile_metrics]
    model.compile(
        optimizer=optimizer,
        loss=_deserialize_nested(training_config.get("loss"), losses.deserialize,
                                 custom_objects),
        metrics=compile_metrics[0],
        weighted_metrics=compile_metrics[1],
        loss_weights=training_config.get("loss_weights"),
        steps_per_execution=training_config.get("steps_per_execution") or 1,
    )
    return optimizer


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
    h5py = h5_weights._import_h5py()
    filepath = os.fspath(filepath)
    model_config, training_config, optimizer_weights = _read_model_file(h5py, filepath)
    model = config_compat.model_from_keras_config(model_config, custom_objects)
    h5_weights.load_weights_from_h5(model, filepath)
    if compile and training_config is not None:
        optimizer = compile_from_training_config(model, training_config, custom_objects)
        if optimizer_weights is not None:
            _restore_optimizer(optimizer, model, optimizer_weights, filepath)
    return model


__all__ = ["save_model_to_h5", "load_model_from_h5", "compile_from_training_config"]
