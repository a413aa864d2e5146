"""Reading the data sets' files without running code from them.

CIFAR's batches are Python pickles and IMDB/Reuters store ragged sequences
as NumPy object arrays, which NumPy can only save as pickles. A pickle can
name any global and call it, so `pickle.load` or `np.load(allow_pickle=True)`
on a tampered file runs arbitrary code. `RestrictedUnpickler` rebuilds only
NumPy arrays, dtypes and scalars; lists, dicts, strings, bytes and numbers
need no global at all. Any other global is refused.
"""
import io
import pickle
import zipfile

import numpy as np

__all__ = ["RestrictedUnpickler", "load_pickle", "load_npz"]


def _allowed_globals():
    # The functions NumPy pickles name, taken from NumPy itself, so both
    # spellings (numpy.core for files written by NumPy < 2, numpy._core
    # since) map to this NumPy's objects without importing the deprecated path.
    reconstruct = np.ndarray.__reduce__(np.zeros(1))[0]
    scalar = np.float64(0).__reduce__()[0]
    allowed = {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype}
    for package in ("numpy.core.multiarray", "numpy._core.multiarray"):
        allowed[(package, "_reconstruct")] = reconstruct
        allowed[(package, "scalar")] = scalar
    # Python 3 writes bytes in pickle protocols < 3 as _codecs.encode(str, "latin1").
    allowed[("_codecs", "encode")] = __import__("codecs").encode
    return allowed


_ALLOWED = _allowed_globals()


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that rebuilds NumPy arrays and plain Python data only."""

    def find_class(self, module, name):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"Refusing to load `{module}.{name}` from a data set file: only NumPy "
                "arrays, lists, dicts, strings, bytes and numbers are read. The file is "
                "corrupted or was tampered with; delete it so that it is downloaded again."
            ) from None


def load_pickle(file, encoding="bytes"):
    """Reads one pickle from an open binary file with `RestrictedUnpickler`.

    `encoding="bytes"` reads Python 2 strings (CIFAR's keys) as bytes.
    """
    return RestrictedUnpickler(file, encoding=encoding).load()


def _read_npy(stream):
    """One `.npy` member: numeric arrays with pickling off, object arrays
    through `RestrictedUnpickler`."""
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(stream)
    else:
        # 3.0 differs from 2.0 only in the header text's encoding (utf-8).
        shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(stream)
    if not dtype.hasobject:
        stream.seek(0)
        return np.lib.format.read_array(stream, allow_pickle=False)
    array = load_pickle(stream, encoding="latin1")
    if not isinstance(array, np.ndarray):
        raise pickle.UnpicklingError(
            f"Expected a NumPy array in the .npy member, found {type(array).__name__}.")
    return array


def load_npz(path):
    """Reads an `.npz` file into a dict of arrays, object arrays included,
    without `allow_pickle=True`.

    Args:
        path: Path of the `.npz` file.

    Returns:
        `{name: array}` for every `.npy` member.
    """
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.endswith(".npy"):
                with archive.open(member) as raw:
                    arrays[member[: -len(".npy")]] = _read_npy(io.BytesIO(raw.read()))
    return arrays
