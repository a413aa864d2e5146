"""Downloading and caching files: Keras's `get_file`.

Uses only the standard library (urllib, hashlib, tarfile, zipfile). A
download goes to a temporary file in the cache folder, is checked against
`file_hash`, and only then is renamed into place (`os.replace`), so the
cache never holds a partial or corrupted file under the final name.
"""
import hashlib
import os
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile

__all__ = ["get_file", "validate_file", "hash_file"]

_CHUNK_SIZE = 1 << 16


def _hash_algorithm_for(file_hash, hash_algorithm):
    if hash_algorithm not in ("auto", "sha256", "md5"):
        raise ValueError(
            f"Received: hash_algorithm={hash_algorithm!r}; expected one of "
            "'auto', 'sha256', 'md5'."
        )
    if hash_algorithm == "auto":
        return "sha256" if len(file_hash) == 64 else "md5"
    return hash_algorithm


def hash_file(fpath, algorithm="sha256", chunk_size=_CHUNK_SIZE):
    """Computes the hex digest of a file.

    Args:
        fpath: Path of the file.
        algorithm: `"sha256"` (default) or `"md5"`.
        chunk_size: Bytes read at a time.

    Returns:
        The hex digest (string).
    """
    hasher = hashlib.new(algorithm)
    with open(fpath, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=_CHUNK_SIZE):
    """Checks a file against a sha256 or md5 hash.

    Args:
        fpath: Path of the file.
        file_hash: Expected hex digest.
        algorithm: `"auto"` (sha256 for 64-character hashes, else md5),
            `"sha256"` or `"md5"`.
        chunk_size: Bytes read at a time.

    Returns:
        True if the file's digest equals `file_hash`.
    """
    algorithm = _hash_algorithm_for(file_hash, algorithm)
    return hash_file(fpath, algorithm, chunk_size) == str(file_hash).lower()


def _cache_root(cache_dir):
    if cache_dir is None:
        cache_dir = os.environ.get("KERAS_HOME") or os.path.join(
            os.path.expanduser("~"), ".keras"
        )
    return os.path.expanduser(cache_dir)


def _download(origin, datadir, fname, expected_hash, algorithm):
    """Downloads `origin` to a temporary file in `datadir`.

    Returns the temporary path after verifying `expected_hash` (if any);
    removes it and raises on any failure.
    """
    handle, part_path = tempfile.mkstemp(
        dir=datadir, prefix=f".{os.path.basename(fname)}.", suffix=".part"
    )
    try:
        hasher = hashlib.new(algorithm) if expected_hash else None
        with os.fdopen(handle, "wb") as out:
            try:
                with urllib.request.urlopen(origin) as response:
                    for chunk in iter(lambda: response.read(_CHUNK_SIZE), b""):
                        out.write(chunk)
                        if hasher is not None:
                            hasher.update(chunk)
            except urllib.error.HTTPError as error:
                raise OSError(
                    f"Downloading {fname!r} failed: URL fetch failure on "
                    f"{origin}: HTTP {error.code} -- {error.reason}"
                ) from error
            except (urllib.error.URLError, OSError) as error:
                reason = getattr(error, "reason", error)
                raise OSError(
                    f"Downloading {fname!r} failed: URL fetch failure on "
                    f"{origin}: {reason}"
                ) from error
        if hasher is not None:
            received = hasher.hexdigest()
            if received != str(expected_hash).lower():
                raise ValueError(
                    f"Incomplete or corrupted download of {fname!r} from "
                    f"{origin}: its {algorithm} hash is {received}, expected "
                    f"{str(expected_hash).lower()}. The partial file was "
                    "removed; retry, or check `file_hash`."
                )
        return part_path
    except BaseException:
        # KeyboardInterrupt included: never leave a partial file behind.
        try:
            os.remove(part_path)
        except FileNotFoundError:
            pass
        raise


def _extract_archive(file_path, path, archive_format="auto"):
    """Extracts a tar or zip archive into `path`; returns True if it did."""
    if archive_format is None:
        return False
    if archive_format == "auto":
        archive_format = ["tar", "zip"]
    if isinstance(archive_format, str):
        archive_format = [archive_format]
    real_root = os.path.realpath(path)

    def check_member(name):
        target = os.path.realpath(os.path.join(path, name))
        if os.path.commonpath([real_root, target]) != real_root:
            raise ValueError(
                f"Refusing to extract {name!r} from {file_path}: it would be "
                f"written outside {path}."
            )

    for kind in archive_format:
        if kind == "tar" and tarfile.is_tarfile(file_path):
            with tarfile.open(file_path) as archive:
                for member in archive.getmembers():
                    check_member(member.name)
                if hasattr(tarfile, "data_filter"):
                    archive.extractall(path, filter="data")
                else:  # Python < 3.10.12: members were checked above.
                    archive.extractall(path)
            return True
        if kind == "zip" and zipfile.is_zipfile(file_path):
            with zipfile.ZipFile(file_path) as archive:
                for name in archive.namelist():
                    check_member(name)
                archive.extractall(path)
            return True
    return False


def get_file(
    fname=None,
    origin=None,
    untar=False,
    md5_hash=None,
    file_hash=None,
    cache_subdir="datasets",
    hash_algorithm="auto",
    extract=False,
    archive_format="auto",
    cache_dir=None,
    force_download=False,
):
    """Downloads a file from a URL if it is not already in the cache.

    Files are cached under `cache_dir/cache_subdir` (by default
    `$KERAS_HOME/datasets`, or `~/.keras/datasets`); the folder is created
    only when a download happens. With `file_hash`, a cached file is
    checked before use and re-downloaded if it does not match, and a fresh
    download that does not match raises (and leaves nothing behind).

    Args:
        fname: Name of the file. An absolute path is used as is. Defaults to
            the last component of `origin`'s path.
        origin: URL of the file (`http(s)://`, `ftp://` or `file://`).
        untar: Deprecated; same as `extract=True` for a tar file, returning
            the extracted folder.
        md5_hash: Deprecated; use `file_hash`.
        file_hash: Expected sha256 or md5 hex digest of the file.
        cache_subdir: Subfolder of the cache where the file is saved.
        hash_algorithm: `"auto"` (sha256 for 64-character hashes, else
            md5), `"sha256"` or `"md5"`.
        extract: Whether to extract an archive (tar, tar.gz, zip) next to
            the file after download.
        archive_format: `"auto"`, `"tar"`, `"zip"`, a list of those, or None.
        cache_dir: Cache location. Defaults to `$KERAS_HOME` or `~/.keras`.
        force_download: Download again even if the file is cached.

    Returns:
        The path of the downloaded file (or, with `untar`, of the extracted
        folder).

    Raises:
        ValueError: if `origin` is missing or the download's hash differs.
        OSError: if the download fails.

    Example:

    ```python
    path = get_file(
        "mnist.npz",
        origin="https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
        file_hash="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    )
    ```
    """
    if not origin:
        raise ValueError(
            f"Received: origin={origin!r}; `get_file` needs the URL to download "
            "from."
        )
    if fname is None:
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not fname:
            raise ValueError(
                f"Cannot derive a file name from origin={origin!r}; pass `fname`."
            )
    fname = os.fspath(fname)
    if md5_hash is not None and file_hash is None:
        file_hash = md5_hash
        hash_algorithm = "md5"
    algorithm = _hash_algorithm_for(file_hash, hash_algorithm) if file_hash else None

    datadir = os.path.join(_cache_root(cache_dir), cache_subdir)
    if untar:
        untar_fpath = os.path.join(datadir, fname)
        fpath = untar_fpath + ".tar.gz"
    else:
        fpath = os.path.join(datadir, fname)
    # The folder holding the file (fname may contain subfolders).
    target_dir = os.path.dirname(os.path.abspath(fpath))

    download = force_download or not os.path.exists(fpath)
    if not download and file_hash is not None:
        if not validate_file(fpath, file_hash, algorithm):
            warnings.warn(
                f"A local file was found at {fpath}, but its {algorithm} hash "
                f"does not match the expected {file_hash}: the file is "
                "incomplete or outdated, so it will be downloaded again.",
                stacklevel=2,
            )
            download = True

    if download:
        os.makedirs(target_dir, exist_ok=True)
        part_path = _download(origin, target_dir, fname, file_hash, algorithm or "sha256")
        # mkstemp makes the file private (0600); a cache file is not secret.
        os.chmod(part_path, 0o644)
        os.replace(part_path, fpath)

    if untar:
        if not os.path.exists(untar_fpath):
            _extract_archive(fpath, datadir, archive_format="tar")
        return untar_fpath
    if extract:
        _extract_archive(fpath, target_dir, archive_format)
    return fpath

