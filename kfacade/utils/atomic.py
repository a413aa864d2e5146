"""Atomic file replacement: write beside the target, then ``os.replace``.

A reader (or a crash) sees either the previous file or the complete new
one, never a half-written file under the final name. The temporary name
ends with the target's own name, so writers that infer the format from
the extension (".h5", ".weights.h5", ".keras") pick the same format.
"""
import contextlib
import os
import shutil
import uuid


def _remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)


def _fsync(path):
    """Flushes a written file to disk before the rename makes it visible."""
    if os.path.isfile(path):
        with open(path, "rb") as f:
            os.fsync(f.fileno())


def _fsync_folder(folder):
    """Makes a rename in `folder` durable (a crash after it cannot undo it)."""
    with contextlib.suppress(OSError):  # some file systems cannot open a folder
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_write_path(filepath):
    """Yields a temporary path in `filepath`'s folder; on success moves it onto `filepath`.

    If the body raises, the temporary file (or folder) is removed, `filepath`
    is left as it was, and the error propagates. The file is flushed to disk
    before the rename, and the folder after it. A failure of the file system
    (permission denied, disk full, a folder in the way) raises an ``OSError``
    naming `filepath`.

    Example:
        >>> with atomic_write_path("model.weights.h5") as tmp:
        ...     write_weights(tmp)
    """
    filepath = os.fspath(filepath)
    folder, name = os.path.split(os.path.abspath(filepath))
    temp = os.path.join(folder, f".tmp-{uuid.uuid4().hex[:12]}-{name}")
    try:
        yield temp
        if not os.path.exists(temp):
            raise OSError(f"Nothing was written to the temporary file {temp!r} for {filepath!r}.")
        _fsync(temp)
        if os.path.isdir(temp) and os.path.isdir(filepath):
            # A folder cannot be replaced atomically by another: remove the old one first.
            shutil.rmtree(filepath)
        os.replace(temp, filepath)
        _fsync_folder(folder)
    except OSError as error:
        _remove(temp)
        if os.fspath(filepath) in str(error):
            raise
        message = f"Could not save {filepath!r}: {error.strerror or error}"
        if error.errno is None:
            raise OSError(message) from error
        raise type(error)(error.errno, message) from error
    except BaseException:
        _remove(temp)
        raise
