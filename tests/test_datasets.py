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


def test_get_file_extracts_archives_with_keras3_names(tmp_path):
    member = tmp_path / "hello.txt"
    member.write_text("hello")
    tar_path = tmp_path / "bundle.tar.gz"
    with tarfile.open(tar_path, "w:gz") as archive:
        archive.add(member, arcname="bundle/hello.txt")
    zip_path = tmp_path / "pack.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        archive.write(member, arcname="pack/hello.txt")
    cache = tmp_path / "cache"
    folder = cache / "datasets"
    # A name with a suffix: the archive keeps it, the folder is "<stem>_extracted".
    out = get_file("bundle.tar.gz", tar_path.as_uri(), extract=True, cache_dir=str(cache))
    assert out == str(folder / "bundle_extracted")
    assert (folder / "bundle_extracted" / "bundle" / "hello.txt").read_text() == "hello"
    assert (folder / "bundle.tar.gz").exists()
    # A bare name is the folder; the archive sits beside it as "<name>_archive".
    out = get_file("pack", zip_path.as_uri(), extract=True, cache_dir=str(cache))
    assert out == str(folder / "pack")
    assert (folder / "pack" / "pack" / "hello.txt").read_text() == "hello"
    assert (folder / "pack_archive").exists()
    # untar (Keras 2) is extract for a tar.
    out = get_file("old", tar_path.as_uri(), untar=True, cache_dir=str(cache))
    assert (folder / "old" / "bundle" / "hello.txt").read_text() == "hello"
    assert [name for name in os.listdir(folder) if name.endswith(".part")] == []


def evil_tar(path, add):
    with tarfile.open(path, "w") as archive:
        good = tarfile.TarInfo("inside/ok.txt")
        good.size = 2
        archive.addfile(good, io.BytesIO(b"ok"))
        add(archive)


def file_member(name, data=b"x"):
    def add(archive):
        info = tarfile.TarInfo(name)
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return add


def link_member(name, target, kind=tarfile.SYMTYPE):
    def add(archive):
        info = tarfile.TarInfo(name)
        info.type = kind
        info.linkname = target
        archive.addfile(info)
    return add


@pytest.mark.parametrize("add", [
    file_member("../escaped.txt"),
    file_member("inside/../../escaped.txt"),
    file_member("/tmp/kfacade_absolute_escape.txt"),
    link_member("inside/link", "../../.."),
    link_member("inside/abs_link", "/etc/passwd"),
    link_member("inside/hard", "../escaped.txt", kind=tarfile.LNKTYPE),
], ids=["dotdot", "nested-dotdot", "absolute", "symlink-out", "symlink-absolute",
        "hardlink-out"])
def test_get_file_refuses_archive_members_that_escape(tmp_path, add):
    archive = tmp_path / "evil.tar"
    evil_tar(archive, add)
    cache = tmp_path / "cache"
    with pytest.raises(ValueError, match="Refusing to extract"):
        get_file("evil", archive.as_uri(), extract=True, cache_dir=str(cache))
    folder = cache / "datasets"
    # Nothing extracted, nothing half-extracted, nothing outside.
    assert sorted(os.listdir(folder)) == ["evil_archive"]
    assert not (cache / "escaped.txt").exists() and not (tmp_path / "escaped.txt").exists()
    assert not os.path.exists("/tmp/kfacade_absolute_escape.txt")


def test_get_file_refuses_zip_members_that_escape(tmp_path):
    cache = tmp_path / "cache"
    for name in ("../escaped.txt", "/abs_escaped.txt"):
        evil = tmp_path / "evil.zip"
        with zipfile.ZipFile(evil, "w") as archive:
            archive.writestr("fine.txt", "x")
            archive.writestr(name, "x")
        with pytest.raises(ValueError, match="Refusing to extract"):
            get_file("evil.zip", evil.as_uri(), extract=True, cache_dir=str(cache),
                     force_download=True)
        assert not (cache / "escaped.txt").exists()
        assert not (cache / "datasets" / "evil_extracted").exists()


def test_get_file_offline_error_names_where_to_put_the_file(tmp_path):
    cache = tmp_path / "cache"
    missing = (tmp_path / "offline" / "mnist.npz").as_uri()
    with pytest.raises(OSError) as error:
        get_file("mnist.npz", missing, file_hash="a" * 64, cache_dir=str(cache))
    message = str(error.value)
    target = str(cache / "datasets" / "mnist.npz")
    assert "URL fetch failure" in message and target in message and "a" * 64 in message
    assert os.listdir(cache / "datasets") == []


def test_get_file_shows_a_progress_bar(source, tmp_path, capsys):
    _, url, payload = source
    get_file("data.bin", url, cache_dir=str(tmp_path / "c"))
    out = capsys.readouterr().out
    assert f"Downloading data from {url}" in out
    assert f"{len(payload)}/{len(payload)}" in out


def test_get_file_uses_a_file_already_on_disk(source, tmp_path):
    _, _, payload = source
    copy = tmp_path / "elsewhere" / "copy.bin"
    copy.parent.mkdir()
    copy.write_bytes(payload)
    # An absolute name is used as is; the origin is never contacted.
    unreachable = (tmp_path / "nowhere").as_uri()
    assert get_file(str(copy), unreachable, file_hash=sha256(payload)) == str(copy)


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


# ---------------------------------------------------------------------------
# The Keras data sets, fed tiny files in each real format through get_file.
from kfacade.datasets import (boston_housing, california_housing, cifar10, cifar100,  # noqa: E402
                              fashion_mnist, imdb, reuters)
from kfacade.datasets import _readers  # noqa: E402


def serve(monkeypatch, module, path, origin_attr="ORIGIN", hash_attr="FILE_HASH"):
    """Points `module`'s download at the local file `path`, with its real hash."""
    monkeypatch.setattr(module, origin_attr, path.as_uri())
    monkeypatch.setattr(module, hash_attr, sha256(path.read_bytes()))


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("KERAS_HOME", str(home))
    return home


def test_the_keras_urls_and_hashes():
    base = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
    assert imdb.ORIGIN == base + "imdb.npz" and reuters.ORIGIN == base + "reuters.npz"
    assert imdb.FILE_HASH == "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
    assert reuters.FILE_HASH == (
        "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916")
    assert boston_housing.FILE_HASH == (
        "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5")
    assert california_housing.FILE_HASH == (
        "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f")
    assert cifar10.ORIGIN == "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    assert cifar100.ORIGIN == "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    assert cifar10.FILE_HASH == (
        "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce")
    assert cifar100.FILE_HASH == (
        "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7")
    assert fashion_mnist.BASE_URL == base


def write_idx_gz(path, array, magic):
    import gzip
    header = magic.to_bytes(4, "big") + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape)
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.astype("uint8").tobytes())


def test_fashion_mnist_reads_the_idx_files(tmp_path, keras_home, monkeypatch):
    origin = tmp_path / "fashion"
    origin.mkdir()
    rng = np.random.RandomState(0)
    images = {"train": rng.randint(0, 256, (3, 28, 28)), "t10k": rng.randint(0, 256, (2, 28, 28))}
    labels = {"train": np.array([9, 0, 4]), "t10k": np.array([1, 8])}
    files = {}
    for split in ("train", "t10k"):
        write_idx_gz(origin / f"{split}-images-idx3-ubyte.gz", images[split], 2051)
        write_idx_gz(origin / f"{split}-labels-idx1-ubyte.gz", labels[split], 2049)
    for name in fashion_mnist.FILES:
        files[name] = hashlib.md5((origin / name).read_bytes()).hexdigest()
    monkeypatch.setattr(fashion_mnist, "BASE_URL", origin.as_uri() + "/")
    monkeypatch.setattr(fashion_mnist, "FILES", files)
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    assert x_train.shape == (3, 28, 28) and x_train.dtype == np.uint8
    np.testing.assert_array_equal(x_train, images["train"])
    np.testing.assert_array_equal(y_train, [9, 0, 4])
    assert y_train.dtype == np.uint8 and y_test.tolist() == [1, 8]
    np.testing.assert_array_equal(x_test, images["t10k"])
    assert (keras_home / "datasets" / "fashion-mnist" / "t10k-labels-idx1-ubyte.gz").exists()


def cifar_tarball(path, top, members):
    """A CIFAR python tarball: `members` maps file name -> dict pickled as
    Python 2 pickled it (protocol 2)."""
    import pickle
    with tarfile.open(path, "w:gz") as archive:
        for name, batch in members.items():
            data = pickle.dumps(batch, protocol=2)
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def test_cifar10_reads_the_pickle_tarball(tmp_path, keras_home, monkeypatch):
    rng = np.random.RandomState(1)
    batches = {}
    for i in range(1, 6):
        batches[f"data_batch_{i}"] = {b"data": rng.randint(0, 256, (2, 3072)).astype("uint8"),
                                      b"labels": [i, 9 - i], b"batch_label": b"training batch"}
    batches["test_batch"] = {b"data": rng.randint(0, 256, (3, 3072)).astype("uint8"),
                             b"labels": [0, 5, 9]}
    tarball = tmp_path / "cifar-10-python.tar.gz"
    cifar_tarball(tarball, "cifar-10-batches-py", batches)
    serve(monkeypatch, cifar10, tarball)
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    assert x_train.shape == (10, 32, 32, 3) and x_train.dtype == np.uint8
    assert y_train.shape == (10, 1) and y_train.dtype == np.uint8
    assert x_test.shape == (3, 32, 32, 3) and y_test.ravel().tolist() == [0, 5, 9]
    assert y_train.ravel().tolist() == [1, 8, 2, 7, 3, 6, 4, 5, 5, 4]
    first = batches["data_batch_1"][b"data"][0].reshape(3, 32, 32).transpose(1, 2, 0)
    np.testing.assert_array_equal(x_train[0], first)
    folder = keras_home / "datasets"
    assert (folder / "cifar-10-batches-py-target" / "cifar-10-batches-py" / "test_batch").exists()
    assert (folder / "cifar-10-batches-py-target_archive").exists()
    # The second load reads the extracted folder, with no origin.
    monkeypatch.setattr(cifar10, "ORIGIN", (tmp_path / "gone").as_uri())
    (x_again, _), _ = cifar10.load_data()
    np.testing.assert_array_equal(x_again, x_train)


def test_cifar100_label_modes(tmp_path, keras_home, monkeypatch):
    rng = np.random.RandomState(2)
    batches = {name: {b"data": rng.randint(0, 256, (n, 3072)).astype("uint8"),
                      b"fine_labels": list(range(90, 90 + n)),
                      b"coarse_labels": list(range(10, 10 + n))}
               for name, n in (("train", 4), ("test", 2))}
    tarball = tmp_path / "cifar-100-python.tar.gz"
    cifar_tarball(tarball, "cifar-100-python", batches)
    serve(monkeypatch, cifar100, tarball)
    (x_train, y_train), (x_test, y_test) = cifar100.load_data()
    assert x_train.shape == (4, 32, 32, 3) and y_train.shape == (4, 1)
    assert y_train.ravel().tolist() == [90, 91, 92, 93] and y_test.ravel().tolist() == [90, 91]
    (_, y_coarse), _ = cifar100.load_data(label_mode="coarse")
    assert y_coarse.ravel().tolist() == [10, 11, 12, 13]
    with pytest.raises(ValueError, match="label_mode='medium'"):
        cifar100.load_data(label_mode="medium")


def test_the_restricted_unpickler_refuses_code(tmp_path, keras_home, monkeypatch):
    import pickle

    class Exploit:
        def __reduce__(self):
            return (os.system, ("echo pwned > " + str(tmp_path / "pwned"),))

    tarball = tmp_path / "cifar-100-python.tar.gz"
    cifar_tarball(tarball, "cifar-100-python",
                  {"train": {b"data": Exploit(), b"fine_labels": [0]}, "test": {}})
    serve(monkeypatch, cifar100, tarball)
    with pytest.raises(pickle.UnpicklingError, match="Refusing to load"):
        cifar100.load_data()
    assert not (tmp_path / "pwned").exists()
    # The same for an object array in an npz (IMDB, Reuters).
    bad = tmp_path / "bad.npz"
    with zipfile.ZipFile(bad, "w") as archive:
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(
            header, {"descr": "|O", "fortran_order": False, "shape": (1,)})
        archive.writestr("x.npy", header.getvalue() + pickle.dumps(Exploit(), protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="Refusing to load"):
        _readers.load_npz(bad)
    assert not (tmp_path / "pwned").exists()


def sequences(*rows):
    array = np.empty(len(rows), dtype="object")
    array[:] = [list(row) for row in rows]
    return array


def test_imdb_encodes_like_keras(tmp_path, keras_home, monkeypatch):
    x_train = sequences([1, 2, 3], [4, 5], [6], [7, 8, 9, 10])
    x_test = sequences([2, 2], [11, 1, 3])
    y_train, y_test = np.array([1, 0, 1, 0]), np.array([0, 1])
    stand_in = tmp_path / "imdb.npz"
    np.savez(stand_in, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    serve(monkeypatch, imdb, stand_in)

    (xs, ys), (xt, yt) = imdb.load_data(seed=113)
    assert xs.dtype == object and xs.shape == (4,) and xt.shape == (2,)
    # The same shuffles Keras applies (one RandomState, train then test).
    rng = np.random.RandomState(113)
    order_train = np.arange(4)
    rng.shuffle(order_train)
    order_test = np.arange(2)
    rng.shuffle(order_test)
    assert ys.tolist() == y_train[order_train].tolist()
    assert yt.tolist() == y_test[order_test].tolist()
    # start_char 1, words shifted by index_from 3; the largest index (11+3) is
    # excluded by Keras's num_words default and becomes oov_char 2.
    expected = {tuple(seq): [1] + [w + 3 if w + 3 < 14 else 2 for w in seq]
                for seq in list(x_train) + list(x_test)}
    for got, original in zip(list(xs) + list(xt),
                             list(x_train[order_train]) + list(x_test[order_test])):
        assert got == expected[tuple(original)]

    (xs, _), (xt, _) = imdb.load_data(num_words=7, skip_top=5, start_char=None, index_from=0,
                                      oov_char=0)
    assert all(w in (0, 5, 6) for seq in list(xs) + list(xt) for w in seq)
    (xs, ys), (xt, _) = imdb.load_data(maxlen=4, oov_char=None)
    assert len(xs) == 2 and len(xt) == 1  # only sequences shorter than 4 (with start_char)
    assert all(len(seq) < 4 for seq in list(xs) + list(xt)) and len(ys) == 2
    with pytest.raises(ValueError, match="maxlen=1"):
        imdb.load_data(maxlen=1)

    index = tmp_path / "imdb_word_index.json"
    index.write_text('{"the": 1, "movie": 2}')
    monkeypatch.setattr(imdb, "WORD_INDEX_ORIGIN", index.as_uri())
    monkeypatch.setattr(imdb, "WORD_INDEX_HASH", hashlib.md5(index.read_bytes()).hexdigest())
    assert imdb.get_word_index() == {"the": 1, "movie": 2}


def test_reuters_split_labels_and_word_index(tmp_path, keras_home, monkeypatch):
    rng = np.random.RandomState(3)
    xs = sequences(*[rng.randint(1, 30, rng.randint(1, 8)) for _ in range(10)])
    ys = rng.randint(0, 46, 10)
    stand_in = tmp_path / "reuters.npz"
    np.savez(stand_in, x=xs, y=ys)
    serve(monkeypatch, reuters, stand_in)
    (x_train, y_train), (x_test, y_test) = reuters.load_data(num_words=20, test_split=0.3)
    assert len(x_train) == 7 and len(x_test) == 3 and x_train.dtype == object
    assert sorted(y_train.tolist() + y_test.tolist()) == sorted(ys.tolist())
    assert all(seq[0] == 1 and max(seq) < 20 for seq in list(x_train) + list(x_test))
    with pytest.raises(ValueError, match="test_split=1"):
        reuters.load_data(test_split=1)
    names = reuters.get_label_names()
    assert len(names) == 46 and names[3] == "earn" and names[-1] == "lead"
    index = tmp_path / "reuters_word_index.json"
    index.write_text('{"said": 1}')
    monkeypatch.setattr(reuters, "WORD_INDEX_ORIGIN", index.as_uri())
    monkeypatch.setattr(reuters, "WORD_INDEX_HASH", hashlib.md5(index.read_bytes()).hexdigest())
    assert reuters.get_word_index() == {"said": 1}


@pytest.mark.parametrize("module, features", [(boston_housing, 13), (california_housing, 8)])
def test_housing_from_a_pre_filled_cache(tmp_path, keras_home, monkeypatch, module, features):
    x = np.random.RandomState(4).rand(10, features)
    y = np.arange(10, dtype="float64")
    name = os.path.basename(module.ORIGIN)
    folder = keras_home / "datasets"
    folder.mkdir(parents=True)
    np.savez(folder / name, x=x, y=y)
    # The cached file has the right hash, so the unreachable origin is never used.
    monkeypatch.setattr(module, "FILE_HASH", sha256((folder / name).read_bytes()))
    monkeypatch.setattr(module, "ORIGIN", (tmp_path / "offline").as_uri())
    (x_train, y_train), (x_test, y_test) = module.load_data(test_split=0.2, seed=113)
    assert x_train.shape == (8, features) and x_test.shape == (2, features)
    order = np.arange(10)
    np.random.RandomState(113).shuffle(order)
    np.testing.assert_array_equal(y_train, y[order[:8]])
    np.testing.assert_array_equal(x_test, x[order[8:]])
    with pytest.raises(ValueError, match="test_split=1.0"):
        module.load_data(test_split=1.0)


def test_california_small_version_and_path_argument(tmp_path, keras_home, monkeypatch):
    copy = tmp_path / "my_copy.npz"
    np.savez(copy, x=np.zeros((700, 8)), y=np.arange(700.0))
    monkeypatch.setattr(california_housing, "FILE_HASH", sha256(copy.read_bytes()))
    monkeypatch.setattr(california_housing, "ORIGIN", (tmp_path / "offline").as_uri())
    (x_train, y_train), (x_test, _) = california_housing.load_data(version="small", path=str(copy))
    assert len(x_train) + len(x_test) == 600 and y_train.max() < 600
    with pytest.raises(ValueError, match="version='tiny'"):
        california_housing.load_data(version="tiny", path=str(copy))


def test_a_data_set_offline_says_which_file_to_put_where(keras_home, monkeypatch, tmp_path):
    monkeypatch.setattr(imdb, "ORIGIN", (tmp_path / "no-network" / "imdb.npz").as_uri())
    with pytest.raises(OSError) as error:
        imdb.load_data()
    message = str(error.value)
    assert str(keras_home / "datasets" / "imdb.npz") in message and imdb.FILE_HASH in message
    assert os.listdir(keras_home / "datasets") == []


def test_a_wrong_checksum_leaves_nothing_in_the_cache(tmp_path, keras_home, monkeypatch):
    stand_in = tmp_path / "boston_housing.npz"
    np.savez(stand_in, x=np.zeros((5, 13)), y=np.zeros(5))
    monkeypatch.setattr(boston_housing, "ORIGIN", stand_in.as_uri())  # the real hash stays
    with pytest.raises(ValueError, match=boston_housing.FILE_HASH):
        boston_housing.load_data()
    assert os.listdir(keras_home / "datasets") == []
