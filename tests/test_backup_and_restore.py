"""Fault-tolerant training (issue 13): a killed run resumes to exactly the same result.

The kill tests start ``tests/fault_scripts/resumable_fit.py`` in child
processes, SIGKILL them at chosen moments (between backups, and in the
middle of a backup write) and restart them until they finish; the final
weights must equal an uninterrupted run's.
"""
import json
import os
import subprocess
import sys

import h5py
import numpy as np
import pytest

import kfacade as keras
from kfacade.saving import training_checkpoint

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "fault_scripts", "resumable_fit.py")
KILLED = -9


def run(workdir, *flags):
    env = dict(os.environ, OMP_NUM_THREADS="1", TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([sys.executable, SCRIPT, str(workdir), *flags], env=env,
                          capture_output=True, text=True, timeout=180)
    if done.returncode not in (0, KILLED):
        raise AssertionError(done.stdout[-2000:] + done.stderr[-3000:])
    return done.returncode


def run_until_done(workdir, kills):
    """Runs with each kill in turn, then without; returns the number of kills that happened."""
    killed = 0
    for flags in kills:
        killed += run(workdir, *flags) == KILLED
    assert run(workdir) == 0
    return killed


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("uninterrupted")
    assert run(workdir) == 0
    return workdir


# 40 steps in all (4 epochs of 10); backups every 5 steps and at each epoch's end.
SCHEDULES = {
    "mid-epoch": [("--kill-at-step", "17")],
    "in-a-write-then-later": [("--kill-in-write", "3"), ("--kill-at-step", "14")],
    "random": [("--kill-at-step", str(s)) for s in
               sorted(np.random.RandomState(13).choice(np.arange(2, 36), 2, replace=False))],
}


@pytest.mark.parametrize("schedule", sorted(SCHEDULES))
def test_a_killed_run_resumes_to_the_uninterrupted_result(tmp_path, uninterrupted, schedule):
    killed = run_until_done(tmp_path, SCHEDULES[schedule])
    assert killed == len(SCHEDULES[schedule])  # every kill happened
    np.testing.assert_allclose(np.load(tmp_path / "final.npy"),
                               np.load(uninterrupted / "final.npy"), rtol=0, atol=1e-6)
    history = json.loads((tmp_path / "history.json").read_text())
    expected = json.loads((uninterrupted / "history.json").read_text())
    assert list(history) == list(expected)
    for key in expected:
        np.testing.assert_allclose(history[key], expected[key], rtol=1e-6)
    # ModelCheckpoint(save_best_only) kept its best value across the kill.
    with h5py.File(tmp_path / "best.weights.h5") as got, \
            h5py.File(uninterrupted / "best.weights.h5") as want:
        got_arrays, want_arrays = [], []
        got.visititems(lambda n, o: got_arrays.append(o[()]) if isinstance(o, h5py.Dataset) else None)
        want.visititems(lambda n, o: want_arrays.append(o[()]) if isinstance(o, h5py.Dataset) else None)
        assert len(got_arrays) == len(want_arrays) > 0
        for a, b in zip(got_arrays, want_arrays):
            np.testing.assert_allclose(a, b, atol=1e-6)
    assert not (tmp_path / "backup").exists()  # deleted once training finished


def small_model():
    keras.utils.set_random_seed(5)
    model = keras.Sequential([keras.layers.Input((4,)), keras.layers.Dense(3),
                              keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def data():
    rng = np.random.RandomState(1)
    return rng.rand(32, 4).astype("float32"), rng.rand(32, 1).astype("float32")


def test_a_damaged_newest_backup_is_skipped_with_a_warning(tmp_path):
    x, y = data()
    backup = str(tmp_path / "backup")
    keep = keras.callbacks.BackupAndRestore(backup, delete_checkpoint=False, double_checkpoint=True)
    small_model().fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[keep])
    files = training_checkpoint.checkpoint_files(backup)
    assert len(files) == 2
    newest, previous = files
    assert training_checkpoint.read(previous)[1]["epoch"] == 1  # backed up after epoch 1
    with open(newest, "r+b") as f:  # truncated mid-file
        f.truncate(os.path.getsize(newest) // 2)
    model = small_model()
    resumed = keras.callbacks.BackupAndRestore(backup, delete_checkpoint=False)
    with pytest.warns(RuntimeWarning, match=os.path.basename(newest)):
        history = model.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[resumed])
    # Resumed from the previous backup (after epoch 1): only epoch 2 ran again,
    # and the history holds both epochs.
    assert history.epoch == [0, 1] and len(history.history["loss"]) == 2


@pytest.mark.parametrize("damage", ["zeroed", "not-hdf5", "bit-flip"])
def test_damaged_checkpoints_are_recognised(tmp_path, damage):
    path = training_checkpoint.write(str(tmp_path), [np.arange(1000, dtype="float32")],
                                     {"epoch": 1})
    raw = bytearray(open(path, "rb").read())
    if damage == "zeroed":
        raw = bytearray(len(raw))
    elif damage == "not-hdf5":
        raw = bytearray(b"PK\x03\x04 a zip file" + bytes(100))
    else:  # flip bits inside the stored array's bytes
        data_at = raw.find(np.arange(1000, dtype="float32")[500:510].tobytes())
        assert data_at > 0
        raw[data_at] ^= 0xFF
    open(path, "wb").write(bytes(raw))
    with pytest.raises(training_checkpoint.DamagedCheckpoint, match=os.path.basename(path)):
        training_checkpoint.read(path)


def test_a_failed_checkpoint_save_raises_naming_the_path_and_changes_nothing(tmp_path):
    """The folder cannot be created (a file is in the way): the save raises and
    training state stays as an unfailed run's. (The suite may run as root, for
    whom a read-only folder is writable, so the failure is made this way.)"""
    x, y = data()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file")
    target = str(blocker / "ckpt.weights.h5")
    failing = small_model()
    with pytest.raises(OSError, match="not-a-folder"):
        failing.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False,
                    callbacks=[keras.callbacks.ModelCheckpoint(target, save_weights_only=True)])
    failing.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    unfailed = small_model()
    unfailed.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False)
    for a, b in zip(failing.get_weights(), unfailed.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    with pytest.raises(OSError, match="not-a-folder"):
        failing.save(str(blocker / "model.h5"))
    with pytest.raises(OSError, match="not-a-folder"):
        failing.fit(x, y, epochs=1, batch_size=8, verbose=0, callbacks=[
            keras.callbacks.BackupAndRestore(str(blocker / "backup"))])


def test_backup_and_restore_checks_its_arguments():
    with pytest.raises(ValueError, match="Empty `backup_dir`"):
        keras.callbacks.BackupAndRestore("")
    with pytest.raises(ValueError, match="save_freq"):
        keras.callbacks.BackupAndRestore("/tmp/x", save_freq=0)
