"""Data sets and downloads, with no network: `get_file` is fed through
file:// URLs, MNIST through a small stand-in file."""
import hashlib
import io
import os
import sys
import tarfile
import urllib.request
import zipfile

import numpy as np
import pytest

from kfacade.datasets import digits
from kfacade.datasets import mnist
from kfacade.utils import file_utils
from kfacade.utils import get_file


def sha256(data):
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def source(tmp_path):
    """A file to 'download' and its file:// URL."""
    payload = b"kfacade test payload\n" * 1000
    path = tmp_path / "origin" / "data.bin"
    path.parent.mkdir()
    path.write_bytes(payload)
    return path, path.as_uri(), payload


def read_bytes(path):
    with open(path, "rb") as handle:
        return handle.read()


def leftovers(folder):
    """Files in the cache folder other than the final ones (partial files)."""
    return sorted(name for name in os.listdir(folder) if name.endswith(".part"))


# ---------------------------------------------------------------------------
# get_file
def test_get_file_downloads_and_caches(source, tmp_path):
    path, url, payload = source
    cache = tmp_path / "cache"
    fpath = get_file("data.bin", url, file_hash=sha256(payload), cache_dir=str(cache))
    assert fpath == str(cache / "datasets" / "data.bin")
    assert read_bytes(fpath) == payload
    assert leftovers(cache / "datasets") == []
    # Cached: a second call does not need the origin any more.
    path.unlink()
    again = get_file("data.bin", url, file_hash=sha256(payload), cache_dir=str(cache))
    assert again == fpath and read_bytes(again) == payload


def test_get_file_uses_keras_home_and_creates_it_only_to_download(
    source, tmp_path, monkeypatch
):
    _, url, payload = source
    home = tmp_path / "keras_home"
    monkeypatch.setenv("KERAS_HOME", str(home))
    assert not home.exists()
    fpath = get_file(origin=url, cache_subdir="things")  # fname from the URL
    assert fpath == str(home / "things" / "data.bin")
    assert read_bytes(fpath) == payload


def test_get_file_md5_and_explicit_algorithm(source, tmp_path):
    _, url, payload = source
    md5 = hashlib.md5(payload).hexdigest()
    fpath = get_file("a.bin", url, file_hash=md5, cache_dir=str(tmp_path / "c"))
    assert file_utils.validate_file(fpath, md5)
    assert file_utils.validate_file(fpath, sha256(payload), algorithm="sha256")
    with pytest.raises(ValueError, match="hash_algorithm='crc'"):
        get_file("b.bin", url, file_hash=md5, hash_algorithm="crc", cache_dir=str(tmp_path))


def test_get_file_rejects_a_download_with_the_wrong_hash(source, tmp_path):
    _, url, payload = source
    cache = tmp_path / "cache"
    wrong = "0" * 64
    with pytest.raises(ValueError) as error:
        get_file("data.bin", url, file_hash=wrong, cache_dir=str(cache))
    message = str(error.value)
    assert "data.bin" in message and wrong in message and sha256(payload) in message
    folder = cache / "datasets"
    assert os.listdir(folder) == []  # neither the file nor a partial file


def test_get_file_replaces_a_corrupted_cached_file(source, tmp_path):
    _, url, payload = source
    cache = tmp_path / "cache"
    folder = cache / "datasets"
    folder.mkdir(parents=True)
    (folder / "data.bin").write_bytes(b"truncated")
    with pytest.warns(UserWarning, match="downloaded again"):
        fpath = get_file("data.bin", url, file_hash=sha256(payload), cache_dir=str(cache))
    assert read_bytes(fpath) == payload
    assert leftovers(folder) == []


def test_get_file_corrupted_cache_and_bad_origin_raises(tmp_path):
    cache = tmp_path / "cache"
    folder = cache / "datasets"
    folder.mkdir(parents=True)
    (folder / "data.bin").write_bytes(b"truncated")
    missing = (tmp_path / "nowhere.bin").as_uri()
    with pytest.warns(UserWarning, match="downloaded again"):
        with pytest.raises(OSError, match="nowhere.bin"):
            get_file("data.bin", missing, file_hash="1" * 64, cache_dir=str(cache))
    assert leftovers(folder) == []


def test_get_file_failed_download_leaves_no_partial_file(source, tmp_path, monkeypatch):
    _, url, payload = source
    cache = tmp_path / "cache"

    class BrokenStream(io.BytesIO):
        def read(self, size=-1):
            if self.tell() > 100:
                raise ConnectionResetError("connection dropped")
            return super().read(min(size, 64))

    monkeypatch.setattr(urllib.request, "urlopen", lambda origin: BrokenStream(payload))
    with pytest.raises(OSError, match="connection dropped"):
        get_file("data.bin", url, cache_dir=str(cache))
    folder = cache / "datasets"
    assert os.listdir(folder) == []
    with pytest.raises(OSError, match="URL fetch failure"):
        get_file("other.bin", (tmp_path / "missing").as_uri(), cache_dir=str(cache))


def test_get_file_extracts_archives(tmp_path):
    member = tmp_path / "hello.txt"
    member.write_text("hello")
    tar_path = tmp_path / "bundle.tar.gz"
    with tarfile.open(tar_path, "w:gz") as archive:
        archive.add(member, arcname="bundle/hello.txt")
    zip_path = tmp_path / "pack.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        archive.write(member, arcname="pack/hello.txt")
    cache = tmp_path / "cache"
    get_file("bundle.tar.gz", tar_path.as_uri(), extract=True, cache_dir=str(cache))
    assert (cache / "datasets" / "bundle" / "hello.txt").read_text() == "hello"
    get_file("pack.zip", zip_path.as_uri(), extract=True, cache_dir=str(cache))
    assert (cache / "datasets" / "pack" / "hello.txt").read_text() == "hello"

    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("../escaped.txt", "x")
    with pytest.raises(ValueError, match="outside"):
        get_file("evil.zip", evil.as_uri(), extract=True, cache_dir=str(cache))
    assert not (cache / "escaped.txt").exists()


def test_get_file_needs_an_origin():
    with pytest.raises(ValueError, match="origin=None"):
        get_file("x.bin")


# ---------------------------------------------------------------------------
# mnist
def test_mnist_uses_the_keras_url_and_hash():
    assert mnist.ORIGIN == (
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
    )
    assert mnist.FILE_HASH == (
        "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
    )


def test_mnist_load_data_through_get_file(tmp_path, monkeypatch):
    arrays = {
        "x_train": np.arange(2 * 28 * 28, dtype="uint8").reshape(2, 28, 28),
        "y_train": np.array([3, 7], dtype="uint8"),
        "x_test": np.zeros((1, 28, 28), "uint8"),
        "y_test": np.array([1], dtype="uint8"),
    }
    stand_in = tmp_path / "mnist_stand_in.npz"
    np.savez(stand_in, **arrays)
    monkeypatch.setattr(mnist, "ORIGIN", stand_in.as_uri())
    monkeypatch.setattr(mnist, "FILE_HASH", sha256(stand_in.read_bytes()))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    assert (tmp_path / "home" / "datasets" / "mnist.npz").exists()
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    np.testing.assert_array_equal(y_train, [3, 7])
    assert x_test.shape == (1, 28, 28) and y_test.tolist() == [1]


# ---------------------------------------------------------------------------
# digits
def test_digits_shapes_dtypes_and_classes():
    pytest.importorskip("sklearn")
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    assert x_train.shape == (1437, 8, 8) and x_test.shape == (360, 8, 8)
    assert y_train.shape == (1437,) and y_test.shape == (360,)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    assert x_train.min() == 0 and x_train.max() == 16
    assert set(np.unique(y_train)) == set(range(10))
    assert set(np.unique(y_test)) == set(range(10))
    (x_again, _), _ = digits.load_data()
    np.testing.assert_array_equal(x_again, x_train)  # the seed fixes the split
    (x_other, _), _ = digits.load_data(seed=1)
    assert not np.array_equal(x_other, x_train)
    (x_all, _), (x_none, _) = digits.load_data(test_split=0.0)
    assert len(x_all) == 1797 and len(x_none) == 0


def test_digits_without_scikit_learn(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        digits.load_data()
    with pytest.raises(ValueError, match="test_split=1.5"):
        digits.load_data(test_split=1.5)
