"""Downloading and caching files: Keras's `get_file`.

Uses only the standard library (urllib, hashlib, tarfile, zipfile). A
download goes to a temporary file in the cache folder, is checked against
`file_hash`, and only then is renamed into place (`os.replace`), so the
cache never holds a partial or corrupted file under the final name. An
archive is extracted into a temporary folder, every member checked first
(no absolute path, no `..`, no link pointing out), then renamed into place.
"""
import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile

from kfacade.utils import io_utils
from kfacade.utils.progbar import Progbar

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


def _offline_hint(final_path, expected_hash, algorithm):
    check = f" (its {algorithm} hash must be {expected_hash})" if expected_hash else ""
    return (f" Without network access, download the file elsewhere and put it at "
            f"{final_path}{check}.")


def _download(origin, datadir, fname, expected_hash, algorithm, final_path):
    """Downloads `origin` to a temporary file in `datadir`, with a progress bar.

    Returns the temporary path after verifying `expected_hash` (if any);
    removes it and raises on any failure. `final_path` is where the file
    will live, named in the error when the origin cannot be reached.
    """
    handle, part_path = tempfile.mkstemp(
        dir=datadir, prefix=f".{os.path.basename(fname)}.", suffix=".part"
    )
    try:
        hasher = hashlib.new(algorithm) if expected_hash else None
        with os.fdopen(handle, "wb") as out:
            try:
                with urllib.request.urlopen(origin) as response:
                    io_utils.print_msg(f"Downloading data from {origin}")
                    headers = getattr(response, "headers", None)
                    length = headers.get("Content-Length") if headers else None
                    progbar = Progbar(int(length) if length else None, unit_name="byte")
                    received = 0
                    for chunk in iter(lambda: response.read(_CHUNK_SIZE), b""):
                        out.write(chunk)
                        received += len(chunk)
                        progbar.update(received)
                        if hasher is not None:
                            hasher.update(chunk)
                    if progbar.target is None or received < progbar.target:
                        progbar.update(received, finalize=True)
            except urllib.error.HTTPError as error:
                raise OSError(
                    f"Downloading {fname!r} failed: URL fetch failure on "
                    f"{origin}: HTTP {error.code} -- {error.reason}."
                    + _offline_hint(final_path, expected_hash, algorithm)
                ) from error
            except (urllib.error.URLError, OSError) as error:
                reason = getattr(error, "reason", error)
                raise OSError(
                    f"Downloading {fname!r} failed: URL fetch failure on "
                    f"{origin}: {reason}."
                    + _offline_hint(final_path, expected_hash, algorithm)
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


def _inside(root, path):
    """Whether `path` (already resolved) lies in the resolved folder `root`."""
    try:
        return os.path.commonpath([root, path]) == root
    except ValueError:  # different drives on Windows
        return False


def _check_tar_member(member, root, file_path):
    """Raises if `member` would write, or link, outside the folder `root`."""
    name = member.name
    destination = os.path.realpath(os.path.join(root, name))
    escapes = os.path.isabs(name) or not _inside(root, destination)
    if not escapes and member.issym():
        # A symlink resolves from the folder it sits in.
        target = os.path.realpath(os.path.join(os.path.dirname(destination), member.linkname))
        escapes = os.path.isabs(member.linkname) or not _inside(root, target)
    elif not escapes and member.islnk():
        # A hard link names a member from the archive's root.
        target = os.path.realpath(os.path.join(root, member.linkname))
        escapes = os.path.isabs(member.linkname) or not _inside(root, target)
    if escapes or not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
        what = f"{name!r} -> {member.linkname!r}" if member.issym() or member.islnk() else repr(name)
        raise ValueError(
            f"Refusing to extract {what} from {file_path}: it would be written or "
            f"point outside {root}, or it is not a plain file, folder or link. "
            "Nothing was extracted."
        )


def _check_zip_member(name, root, file_path):
    destination = os.path.realpath(os.path.join(root, name))
    if os.path.isabs(name) or name.startswith(("/", "\\")) or not _inside(root, destination):
        raise ValueError(
            f"Refusing to extract {name!r} from {file_path}: it would be written "
            f"outside {root}. Nothing was extracted."
        )


def _extract_archive(file_path, path, archive_format="auto"):
    """Extracts a tar or zip archive into the folder `path`; returns True if it did.

    Every member is checked before anything is written: a path outside
    `path` (absolute, `..`), a link pointing outside it, or a device file
    refuses the whole archive with a ValueError. The members go to a
    temporary folder beside `path`, renamed into place only when all were
    written, so a failure leaves no half-extracted folder.
    """
    if archive_format is None:
        return False
    if archive_format == "auto":
        archive_format = ["tar", "zip"]
    if isinstance(archive_format, str):
        archive_format = [archive_format]
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    for kind in archive_format:
        if kind == "tar" and tarfile.is_tarfile(file_path):
            opener = tarfile.open
        elif kind == "zip" and zipfile.is_zipfile(file_path):
            opener = zipfile.ZipFile
        else:
            continue
        staging = tempfile.mkdtemp(dir=parent, prefix=f".{os.path.basename(path)}.", suffix=".part")
        root = os.path.realpath(staging)
        try:
            with opener(file_path) as archive:
                if opener is tarfile.open:
                    for member in archive.getmembers():
                        _check_tar_member(member, root, file_path)
                    if hasattr(tarfile, "data_filter"):
                        archive.extractall(staging, filter="data")
                    else:  # Python < 3.10.12: members were checked above.
                        archive.extractall(staging)
                else:
                    for name in archive.namelist():
                        _check_zip_member(name, root, file_path)
                    archive.extractall(staging)
            os.chmod(staging, 0o755)  # mkdtemp makes it private; a cache is not secret
            if os.path.isdir(path):
                shutil.rmtree(path)
            os.replace(staging, path)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
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
        untar: Deprecated; same as `extract=True` for a tar file.
        md5_hash: Deprecated; use `file_hash`.
        file_hash: Expected sha256 or md5 hex digest of the file.
        cache_subdir: Subfolder of the cache where the file is saved.
        hash_algorithm: `"auto"` (sha256 for 64-character hashes, else
            md5), `"sha256"` or `"md5"`.
        extract: Whether to extract the archive (tar, tar.gz, tar.bz2,
            zip). As in Keras 3, `fname="name"` keeps the archive as
            `name_archive` and extracts it into the folder `name`;
            `fname="name.tar.gz"` extracts into `name_extracted`. It is
            extracted after each download, or when the folder is missing. A
            member that would land outside the folder (an absolute path,
            `..`, a link pointing out) refuses the whole archive.
        archive_format: `"auto"`, `"tar"`, `"zip"`, a list of those, or None.
        cache_dir: Cache location. Defaults to `$KERAS_HOME` or `~/.keras`.
        force_download: Download again even if the file is cached.

    Returns:
        The path of the downloaded file, or with `extract`/`untar` of the
        folder it was extracted into.

    Raises:
        ValueError: if `origin` is missing, the download's hash differs, or
            an archive holds a member that would escape its folder.
        OSError: if the download fails (the message names where to put the
            file by hand when there is no network).

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
    extraction_dir = None
    if extract or untar:
        # Keras 3's names: "name.tar.gz" is kept as is and extracted into
        # "name_extracted"; a name without a suffix is the folder, and the
        # archive is kept beside it as "name_archive".
        if untar:
            archive_format = "tar"
        base = os.path.basename(fname)
        if "." in base:
            fpath = os.path.join(datadir, fname)
            extraction_dir = os.path.join(
                os.path.dirname(fpath), base[: base.index(".")] + "_extracted")
        else:
            extraction_dir = os.path.join(datadir, fname)
            fpath = extraction_dir + "_archive"
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
        part_path = _download(origin, target_dir, fname, file_hash, algorithm or "sha256",
                              fpath)
        # mkstemp makes the file private (0600); a cache file is not secret.
        os.chmod(part_path, 0o644)
        os.replace(part_path, fpath)

    if extraction_dir is not None:
        if download or not os.path.isdir(extraction_dir):
            if not _extract_archive(fpath, extraction_dir, archive_format):
                raise ValueError(
                    f"{fpath} is not a {archive_format} archive that can be "
                    "extracted (expected tar, tar.gz, tar.bz2 or zip)."
                )
        return extraction_dir
    return fpath
