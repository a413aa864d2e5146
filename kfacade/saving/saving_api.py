"""``save_model`` / ``load_model``: whole models, by file extension.

".h5" and ".hdf5" use Keras 2's HDF5 layout (``h5_model``); the ".keras"
zip format and TensorFlow SavedModel folders are not supported yet and
say so rather than writing something else.
"""
import os

from kfacade.engine import object_registry

_H5_EXTENSIONS = (".h5", ".hdf5")


def _keras_format_error(filepath):
    return NotImplementedError(
        f"Received: filepath={filepath!r}. kfacade writes Keras 2's HDF5 format only; the "
        ".keras format is not supported yet; save to .h5 (e.g. 'model.h5')."
    )


def save_model(model, filepath, overwrite=True, include_optimizer=True, save_format=None,
               **kwargs):
    """Saves `model` to `filepath` (see ``Model.save``).

    Raises:
        NotImplementedError: a ".keras" path or save_format="keras".
        ValueError: a path that is neither ".h5" nor ".hdf5" without
            save_format="h5", or another `save_format`.

    Example:
        >>> kfacade.saving.save_model(model, "model.h5")
    """
    from kfacade.saving.h5_model import save_model_to_h5
    from kfacade.saving.h5_weights import _ask_to_proceed_with_overwrite

    filepath = os.fspath(filepath)
    lower = filepath.lower()
    if save_format in ("keras", "keras_v3") or (save_format is None and lower.endswith(".keras")):
        raise _keras_format_error(filepath)
    if save_format not in (None, "h5", "hdf5"):
        raise ValueError(
            f"Received: save_format={save_format!r}; expected 'h5' (kfacade saves whole models "
            "in Keras 2's HDF5 format only)."
        )
    if save_format is None and not lower.endswith(_H5_EXTENSIONS):
        raise ValueError(
            f"Received: filepath={filepath!r}; expected a path ending in '.h5' or '.hdf5' "
            "(TensorFlow SavedModel folders are not supported), or pass save_format='h5'."
        )
    if not overwrite and os.path.exists(filepath):
        if not _ask_to_proceed_with_overwrite(filepath):
            return
    save_model_to_h5(model, filepath, include_optimizer=include_optimizer)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True, **kwargs):
    """Loads a model saved by ``save_model`` / ``Model.save`` (or Keras 2's ".h5").

    Args:
        filepath: the HDF5 file.
        custom_objects: ``{name: class or function}`` for layers, losses,
            metrics or optimizers outside kfacade.
        compile: compile the model with the saved training configuration
            and restore its optimizer state.
        safe_mode: refuse to load Python bytecode (a ``Lambda`` layer's
            lambda); see ``kfacade.config.enable_unsafe_deserialization``.

    Raises:
        FileNotFoundError: no file at `filepath`.
        ValueError: not a Keras HDF5 model file (naming it), or an unknown
            layer (naming it and `custom_objects`).
        NotImplementedError: a ".keras" file or a SavedModel folder.

    Example:
        >>> model = kfacade.models.load_model("model.h5")
    """
    from kfacade.saving.h5_model import load_model_from_h5

    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"Unable to load a model: no file or folder at {filepath!r}.")
    if os.path.isdir(filepath):
        raise NotImplementedError(
            f"Received: filepath={filepath!r}, a folder (a TensorFlow SavedModel?). kfacade "
            "loads Keras 2's HDF5 model files only; save the model to .h5."
        )
    if filepath.lower().endswith(".keras"):
        raise _keras_format_error(filepath)
    with object_registry.SafeModeScope(object_registry.in_safe_mode(safe_mode)):
        return load_model_from_h5(filepath, custom_objects=custom_objects, compile=compile)


def save_weights(model, filepath, overwrite=True, **kwargs):
    """Keras 3's ``keras.saving.save_weights``: ``model.save_weights(filepath, overwrite)``.

    Example:
        >>> kfacade.saving.save_weights(model, "model.weights.h5")
    """
    return model.save_weights(filepath, overwrite=overwrite, **kwargs)


def load_weights(model, filepath, skip_mismatch=False, **kwargs):
    """Keras 3's ``keras.saving.load_weights``: ``model.load_weights(filepath, ...)``.

    Example:
        >>> kfacade.saving.load_weights(model, "model.weights.h5")
    """
    return model.load_weights(filepath, skip_mismatch=skip_mismatch, **kwargs)
