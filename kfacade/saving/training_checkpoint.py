"""Training checkpoints: every piece of state a resumed ``fit`` needs, in one file.

A checkpoint is an HDF5 file holding the state variables' values
(``state/<i>``), arrays that callbacks keep (``arrays/<name>/<j>``), and a
JSON document (``meta``: the epoch and step reached, the shuffle seed, the
history, the callbacks' counters, the variables' paths). A SHA-256 over all
of it is stored beside, so a truncated, zeroed or otherwise damaged file is
recognised on reading.

Files are written atomically (``atomic_write_path``) under increasing
sequence numbers; the previous checkpoint is deleted only once the new one
is complete. Reading takes the newest intact file and warns about each
damaged one it skips.
"""
import glob
import hashlib
import json
import os
import re
import warnings

import h5py
import numpy as np

from kfacade.saving.atomic import atomic_write_path

_NAME = "checkpoint-{:08d}.h5"
_PATTERN = re.compile(r"^checkpoint-(\d{8})\.h5$")
FORMAT = "kfacade-training-checkpoint-1"


class DamagedCheckpoint(ValueError):
    """A checkpoint file that cannot be read back as written."""


def _digest(meta_text, arrays):
    digest = hashlib.sha256(meta_text.encode("utf-8"))
    for array in arrays:
        array = np.ascontiguousarray(array)
        digest.update(str(array.dtype).encode() + str(array.shape).encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def checkpoint_files(folder):
    """The checkpoint files in `folder`, newest first."""
    found = []
    for path in glob.glob(os.path.join(glob.escape(folder), "checkpoint-*.h5")):
        match = _PATTERN.match(os.path.basename(path))
        if match:
            found.append((int(match.group(1)), path))
    return [path for _, path in sorted(found, reverse=True)]


def write(folder, state_values, meta, arrays=None, keep=1):
    """Writes a new checkpoint into `folder`; returns its path.

    Args:
        state_values: NumPy arrays, in the order of the meta's variable paths.
        meta: a JSON-serializable dict.
        arrays: ``{name: [arrays]}`` kept by callbacks (e.g. best weights).
        keep: how many earlier checkpoints to keep after this one is complete.

    Raises:
        OSError: the folder cannot be written (naming the path).
    """
    os.makedirs(folder, exist_ok=True)
    # Temporary files of writes that were killed (only one process writes here).
    for stale in glob.glob(os.path.join(glob.escape(folder), ".tmp-*-checkpoint-*.h5")):
        try:
            os.remove(stale)
        except OSError:
            pass
    existing = checkpoint_files(folder)
    sequence = 0
    if existing:
        sequence = int(_PATTERN.match(os.path.basename(existing[0])).group(1)) + 1
    path = os.path.join(folder, _NAME.format(sequence))
    arrays = arrays or {}
    meta_text = json.dumps(dict(meta, format=FORMAT), sort_keys=True)
    flat = [np.asarray(v) for v in state_values]
    flat_arrays = [(name, j, np.asarray(a)) for name in sorted(arrays)
                   for j, a in enumerate(arrays[name])]
    checksum = _digest(meta_text, flat + [a for _, _, a in flat_arrays])
    with atomic_write_path(path) as temp:
        with h5py.File(temp, "w") as file:
            group = file.create_group("state")
            for i, value in enumerate(flat):
                group.create_dataset(str(i), data=value)
            extra = file.create_group("arrays")
            for name, j, value in flat_arrays:
                extra.require_group(name).create_dataset(str(j), data=value)
            file.attrs["meta"] = meta_text
            file.attrs["checksum"] = checksum
    for old in existing[keep:]:
        try:
            os.remove(old)
        except FileNotFoundError:
            pass
    return path


def read(path):
    """``(state values, meta, arrays)`` of the checkpoint at `path`.

    Raises:
        DamagedCheckpoint: the file is truncated, zeroed, not HDF5, not a
            training checkpoint, or its content does not match its checksum.
    """
    try:
        with h5py.File(path, "r") as file:
            meta_text = file.attrs["meta"]
            checksum = file.attrs["checksum"]
            if isinstance(meta_text, bytes):
                meta_text = meta_text.decode("utf-8")
            meta = json.loads(meta_text)
            state = file["state"]
            values = [np.asarray(state[str(i)]) for i in range(len(state))]
            arrays = {}
            for name in sorted(file["arrays"]):
                group = file["arrays"][name]
                arrays[name] = [np.asarray(group[str(j)]) for j in range(len(group))]
    except (OSError, KeyError, ValueError, TypeError) as error:
        raise DamagedCheckpoint(f"{path!r} is not a readable training checkpoint ({error}).") \
            from None
    if meta.get("format") != FORMAT:
        raise DamagedCheckpoint(f"{path!r} is not a kfacade training checkpoint.")
    flat_arrays = [a for name in sorted(arrays) for a in arrays[name]]
    if _digest(meta_text, values + flat_arrays) != checksum:
        raise DamagedCheckpoint(f"{path!r} is damaged: its content does not match its checksum.")
    return values, meta, arrays


def read_latest(folder):
    """The newest intact checkpoint in `folder` as ``(path, values, meta, arrays)``, or None.

    Each damaged newer file is skipped with a warning naming it.
    """
    for path in checkpoint_files(folder):
        try:
            values, meta, arrays = read(path)
        except DamagedCheckpoint as error:
            warnings.warn(f"Skipping a damaged checkpoint: {error} Using the previous one.",
                          RuntimeWarning, stacklevel=2)
            continue
        return path, values, meta, arrays
    return None
