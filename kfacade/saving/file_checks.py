"""Checks every loader runs before it trusts a file, so that a missing,
empty, truncated or foreign file gives one error naming the file and the
problem (never a traceback from deep inside h5py or zipfile).

The format is told from the file's first bytes, not its extension: an HDF5
file starts with ``\\x89HDF\\r\\n\\x1a\\n``, a zip (``.keras``) with ``PK``.
Nothing here writes: a file that fails a check is left as it was.

Example:
    >>> require_file("model.keras", "a model")
    >>> sniff_format("model.keras")
    'zip'
"""
import os

_SIGNATURES = (
    (b"\x89HDF\r\n\x1a\n", "hdf5"),
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),  # an empty zip
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF8", "gif"),
    (b"\x80", "pickle"),
    (b"{", "json"),
)

_DESCRIPTIONS = {"hdf5": "an HDF5 file", "zip": "a zip file (the .keras format)",
                 "png": "a PNG image", "jpeg": "a JPEG image", "gif": "a GIF image",
                 "pickle": "a Python pickle", "json": "a JSON text",
                 "empty": "an empty (zero-length) file", "unknown": "of an unknown format"}


def import_h5py():
    """h5py, or an ImportError saying how to install it."""
    try:
        import h5py
    except ImportError as e:
        raise ImportError(
            "Saving or loading weights in HDF5 format requires the h5py package. "
            "Install it with `pip install h5py`."
        ) from e
    return h5py


def sniff_format(filepath):
    """'hdf5', 'zip', 'png', 'jpeg', 'gif', 'pickle', 'json', 'empty' or 'unknown'."""
    with open(filepath, "rb") as f:
        head = f.read(8)
    if not head:
        return "empty"
    for signature, name in _SIGNATURES:
        if head.startswith(signature):
            return name
    return "unknown"


def require_file(filepath, what):
    """Raises FileNotFoundError (no file) or ValueError (a folder, an empty
    file), naming `filepath`."""
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"Unable to load {what}: no such file {filepath!r}.")
    if os.path.isdir(filepath):
        raise ValueError(
            f"Unable to load {what} from {filepath!r}: it is a folder (a TensorFlow "
            "SavedModel?); kfacade loads .keras, .h5 and .weights.h5 files.")
    if os.path.getsize(filepath) == 0:
        raise ValueError(f"Unable to load {what} from {filepath!r}: the file is empty "
                         "(zero bytes); it was probably not written completely.")


def require_format(filepath, expected, what):
    """Raises ValueError naming `filepath` unless its bytes are of `expected`
    format ('hdf5' or 'zip'); says what the file is instead."""
    require_file(filepath, what)
    found = sniff_format(filepath)
    if found == expected:
        return
    hint = ""
    if found == "zip":
        hint = " It looks like a .keras file: rename it to end in '.keras'."
    elif found == "hdf5":
        hint = (" It looks like an HDF5 file: rename it to end in '.h5' (a whole model) or "
                "'.weights.h5' (weights).")
    raise ValueError(
        f"Unable to load {what} from {filepath!r}: expected {_DESCRIPTIONS[expected]}, but the "
        f"file is {_DESCRIPTIONS[found]}.{hint}")


def read_h5(filepath, reader, what):
    """``reader(open h5py.File)`` for an HDF5 file at `filepath`; any failure
    of a truncated or corrupt file becomes one ValueError naming it."""
    h5py = import_h5py()
    require_format(filepath, "hdf5", what)
    try:
        with h5py.File(filepath, "r") as f:
            return reader(f)
    except ValueError as error:
        if filepath in str(error):
            raise
        raise ValueError(f"Unable to load {what} from {filepath!r}: the file is truncated or "
                         f"corrupt. Error: {error}") from error
    except Exception as error:  # h5py reports damage as OSError, KeyError, RuntimeError...
        raise ValueError(f"Unable to load {what} from {filepath!r}: the file is truncated or "
                         f"corrupt. Error: {type(error).__name__}: {error}") from error


__all__ = ["import_h5py", "sniff_format", "require_file", "require_format", "read_h5"]
