"""``save_model`` / ``load_model`` / ``save_weights`` / ``load_weights``: the one
place a path is dispatched to a format.

- ".keras": Keras 3's zip (``keras_zip``);
- ".h5" / ".hdf5": Keras 2's whole-model HDF5 layout (``h5_model``);
- weights: a name ending in ".weights.h5" is written in Keras 3's layout
  (``keras3_weights``), any other in Keras 2's (``h5_weights``); loading
  reads the layout from the file itself, and takes a ".keras" file's weights.

Loaders look at the file's bytes first (``file_checks``): a missing, empty,
truncated or foreign file gives one error naming it, and is never changed.
TensorFlow SavedModel folders are not supported and say so.
"""
import os

from kfacade.engine import object_registry
from kfacade.saving import h5_model, keras3_weights, keras_zip
from kfacade.saving.file_checks import read_h5, require_file, require_format, sniff_format
from kfacade.saving.h5_weights import KERAS3_WEIGHTS_SUFFIX, load_weights_from_h5
from kfacade.saving.h5_weights import save_weights_to_h5

_H5_EXTENSIONS = (".h5", ".hdf5")


def _ask_to_proceed_with_overwrite(filepath):
    """Asks on the terminal whether to overwrite `filepath` (Keras's prompt)."""
    try:
        answer = input(f"[WARNING] {filepath} already exists - overwrite? [y/n]").strip().lower()
        while answer not in ("y", "n"):
            answer = input('Enter "y" (overwrite) or "n" (cancel).').strip().lower()
    except (EOFError, OSError):
        raise FileExistsError(
            f"{filepath!r} already exists and overwrite=False, and there is no terminal to "
            "ask whether to replace it. Pass overwrite=True to replace it."
        ) from None
    if answer == "n":
        return False
    print("[TIP] Next time specify overwrite=True!")
    return True


def save_model(model, filepath, overwrite=True, include_optimizer=True, save_format=None,
               **kwargs):
    """Saves `model` to `filepath` (see ``Model.save``): ".keras" in Keras 3's
    zip format, ".h5"/".hdf5" in Keras 2's HDF5 layout.

    Raises:
        ValueError: another extension (a SavedModel folder) or `save_format`.

    Example:
        >>> kfacade.saving.save_model(model, "model.keras")
    """
    filepath = os.fspath(filepath)
    lower = filepath.lower()
    if save_format is None:
        if lower.endswith(".keras"):
            save_format = "keras"
        elif lower.endswith(_H5_EXTENSIONS):
            save_format = "h5"
        else:
            raise ValueError(
                f"Received: filepath={filepath!r}; expected a path ending in '.keras' (Keras "
                "3's format) or '.h5' (Keras 2's); TensorFlow SavedModel folders are not "
                "supported.")
    if save_format not in ("keras", "keras_v3", "h5", "hdf5"):
        raise ValueError(
            f"Received: save_format={save_format!r}; expected 'keras' or 'h5' (TensorFlow "
            "SavedModel folders are not supported).")
    if not overwrite and os.path.exists(filepath):
        if not _ask_to_proceed_with_overwrite(filepath):
            return
    if save_format in ("keras", "keras_v3"):
        keras_zip.save_model(model, filepath, include_optimizer=include_optimizer)
    else:
        h5_model.save_model_to_h5(model, filepath, include_optimizer=include_optimizer)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True, **kwargs):
    """Loads a model saved by ``save_model`` / ``Model.save``, Keras 3 (".keras")
    or Keras 2 (".h5"); the format is read from the file's bytes.

    Args:
        filepath: the ".keras" or ".h5" file.
        custom_objects: ``{name: class or function}`` for layers, losses,
            metrics or optimizers outside kfacade.
        compile: compile the model with the saved training configuration
            and restore its optimizer state.
        safe_mode: refuse to load Python bytecode (a ``Lambda`` layer's
            lambda); see ``kfacade.config.enable_unsafe_deserialization``.

    Raises:
        FileNotFoundError: no file at `filepath`.
        ValueError: an empty, truncated or corrupt file, a file of another
            format, or an unknown class (each naming the file).

    Example:
        >>> model = kfacade.models.load_model("model.keras")
    """
    filepath = os.fspath(filepath)
    require_file(filepath, "a model")
    found = sniff_format(filepath)
    expected = "zip" if filepath.lower().endswith(".keras") else "hdf5"
    if found not in ("zip", "hdf5") or filepath.lower().endswith((".keras",) + _H5_EXTENSIONS):
        require_format(filepath, expected, "a model")  # names what the file is instead
    try:
        if found == "zip":
            return keras_zip.load_model(filepath, custom_objects=custom_objects,
                                        compile=compile, safe_mode=safe_mode)
        with object_registry.SafeModeScope(object_registry.in_safe_mode(safe_mode)):
            return h5_model.load_model_from_h5(filepath, custom_objects=custom_objects,
                                               compile=compile)
    except (ValueError, TypeError) as error:
        # An unknown class, a missing custom object, an argument a layer refuses:
        # one error that names the file too.
        if filepath in str(error):
            raise
        raise type(error)(f"Unable to load a model from {filepath!r}: {error}") from error


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


class WeightsIOMixin:
    """Adds ``save_weights``/``load_weights`` (Keras 3's and Keras 2's HDF5
    layouts) to a model class."""

    def save_weights(self, filepath, overwrite=True, save_format=None):
        """Saves all layer weights to `filepath`: a name ending in ".weights.h5"
        gets Keras 3's layout (with the optimizer state), any other name Keras
        2's HDF5 layout, as Keras 2 wrote for ".h5".

        Args:
            filepath: the file to write, usually ending in ".weights.h5".
            overwrite: when False and the file exists, ask before replacing it.
            save_format: None or "h5" ("tf" checkpoints are not supported).

        Raises:
            ValueError: `save_format` is not "h5".

        Example:
            >>> model.save_weights("model.weights.h5")
        """
        if save_format not in (None, "h5", "hdf5", "keras"):
            raise ValueError(
                f"Received: save_format={save_format!r}; expected 'h5' (kfacade saves weights "
                "in HDF5 only)."
            )
        filepath = os.fspath(filepath)
        if not overwrite and os.path.exists(filepath):
            if not _ask_to_proceed_with_overwrite(filepath):
                return
        if filepath.endswith(KERAS3_WEIGHTS_SUFFIX):
            keras3_weights.save_weights(self, filepath)
        else:
            save_weights_to_h5(self, filepath)

    def load_weights(self, filepath, by_name=False, skip_mismatch=False):
        """Loads weights saved by ``save_weights``, by Keras 2 or by Keras 3: the
        layout is read from the file (Keras 2's ``layer_names``, or Keras 3's
        ``layers/<name>/vars``), and a ".keras" file gives its weights.

        Args:
            filepath: the ".weights.h5", ".h5" or ".keras" file.
            by_name: match layers by name rather than by order (Keras 2 layout).
            skip_mismatch: skip (with a warning) layers whose shapes differ.

        Raises:
            ValueError: the file is empty, truncated, of another format, or
                does not fit the model (naming the file).

        Example:
            >>> model.load_weights("model.weights.h5")
        """
        filepath = os.fspath(filepath)
        require_file(filepath, "weights")
        lower = filepath.lower()
        if lower.endswith(".keras"):
            require_format(filepath, "zip", "weights")
        elif lower.endswith(_H5_EXTENSIONS):
            require_format(filepath, "hdf5", "weights")
        if sniff_format(filepath) == "zip":
            keras_zip.load_weights_from_zip(self, filepath, skip_mismatch=skip_mismatch)
        elif read_h5(filepath, keras3_weights.is_keras3_layout, "weights"):
            keras3_weights.load_weights(self, filepath, skip_mismatch=skip_mismatch)
        else:
            load_weights_from_h5(self, filepath, by_name=by_name, skip_mismatch=skip_mismatch)
