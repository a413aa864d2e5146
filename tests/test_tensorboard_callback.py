"""``TensorBoard`` and its pure-Python event writer.

One ``fit`` writes the logs; a small TFRecord and protobuf reader written
here (from the published record framing and ``Event`` field numbers) reads
them back, and so do TensorBoard's ``EventAccumulator`` and TensorFlow's
``summary_iterator`` where they are available. Expected values come from
the fit's History and the model's weights.
"""
import glob
import json
import os
import struct

import numpy as np
import pytest

import kfacade as keras
from kfacade.utils import tensorboard_events as events

EPOCHS, BATCH, SAMPLES = 2, 5, 25  # validation_split=0.2: 20 train samples, 4 batches an epoch


# ------------------------------------------------------- a small reader
def _fields(data):
    """{field number: [raw values]} of one protobuf message (varints as ints)."""
    fields, i = {}, 0
    while i < len(data):
        key, i = _read_varint(data, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _read_varint(data, i)
        elif wire == 1:
            value, i = data[i:i + 8], i + 8
        elif wire == 5:
            value, i = data[i:i + 4], i + 4
        elif wire == 2:
            size, i = _read_varint(data, i)
            value, i = data[i:i + size], i + size
        else:
            raise AssertionError(f"unexpected wire type {wire}")
        fields.setdefault(field, []).append(value)
    return fields


def _read_varint(data, i):
    shift = value = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, i


def _records(path):
    """The records of a TFRecord file, each CRC checked."""
    with open(path, "rb") as f:
        blob = f.read()
    i = 0
    while i < len(blob):
        header = blob[i:i + 8]
        (length,) = struct.unpack("<Q", header)
        assert struct.unpack("<I", blob[i + 8:i + 12])[0] == events.masked_crc32c(header)
        data = blob[i + 12:i + 12 + length]
        data_crc = blob[i + 12 + length:i + 16 + length]
        assert struct.unpack("<I", data_crc)[0] == events.masked_crc32c(data)
        yield data
        i += 16 + length


def _read_run(folder):
    """{tag: [(step, value)]}: floats for scalars, dicts for histograms, str for tensors."""
    (path,) = glob.glob(os.path.join(folder, "events.out.tfevents.*"))
    records = [_fields(r) for r in _records(path)]
    assert records[0][3] == [b"brain.Event:2"]
    tags = {}
    for event in records[1:]:
        step = event.get(2, [0])[0]
        for value in _fields(event[5][0])[1]:
            value = _fields(value)
            tag = value[1][0].decode()
            if 2 in value:
                item = struct.unpack("<f", value[2][0])[0]
            elif 5 in value:
                histo = _fields(value[5][0])
                item = {name: struct.unpack("<d", histo[number][0])[0]
                        for name, number in (("min", 1), ("max", 2), ("num", 3), ("sum", 4))}
                item["counts"] = np.frombuffer(histo[7][0], "<f8")
            else:
                item = _fields(value[8][0])[8][0].decode()
            tags.setdefault(tag, []).append((step, item))
    return tags


# ------------------------------------------------------------- the fit
@pytest.fixture(scope="module")
def run(tmp_path_factory):
    log_dir = str(tmp_path_factory.mktemp("tb") / "logs")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(SAMPLES, 3)).astype("float32")
    y = rng.normal(size=(SAMPLES, 1)).astype("float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="d1"),
                              keras.layers.Dense(1, name="d2")])
    model.compile(keras.optimizers.SGD(0.05), "mse", metrics=["mae"])
    callback = keras.callbacks.TensorBoard(log_dir, histogram_freq=1, update_freq=2,
                                           write_steps_per_second=True)
    history = model.fit(x, y, epochs=EPOCHS, batch_size=BATCH, validation_split=0.2, verbose=0,
                        callbacks=[callback])
    return log_dir, history.history, model, callback, (x, y)


def test_crc32c_known_vectors():
    assert events.crc32c(b"123456789") == 0xE3069283
    assert events.crc32c(b"") == 0
    assert events.crc32c(bytes(32)) == 0x8A9136AA  # RFC 3720, B.4
    assert events.crc32c(b"\xff" * 32) == 0x62A8AB43
    assert events.crc32c(bytes(range(32))) == 0x46DD794E
    assert events.crc32c(b"56789", events.crc32c(b"1234")) == 0xE3069283
    crc = events.crc32c(b"abc")
    assert events.masked_crc32c(b"abc") == (((crc >> 15) | (crc << 17)) + 0xA282EAD8) % 2 ** 32


def test_train_run_matches_history(run):
    log_dir, history, model, callback, _ = run
    assert sorted(os.listdir(log_dir)) == ["train", "validation"]
    tags = _read_run(os.path.join(log_dir, "train"))
    for name in ("loss", "mae"):
        expected = [(epoch, np.float32(history[name][epoch])) for epoch in range(EPOCHS)]
        assert tags[f"epoch_{name}"] == expected
    assert tags["epoch_learning_rate"] == [(0, np.float32(0.05)), (1, np.float32(0.05))]
    assert [step for step, _ in tags["epoch_steps_per_second"]] == [0, 1]
    assert all(value > 0 for _, value in tags["epoch_steps_per_second"])
    # update_freq=2: the running values of every second batch, at the global batch count.
    assert [step for step, _ in tags["batch_loss"]] == [2, 4, 6, 8]
    assert [step for step, _ in tags["batch_steps_per_second"]] == [2, 4, 6, 8]
    assert dict(tags["batch_loss"])[4] == np.float32(history["loss"][0])
    assert dict(tags["batch_mae"])[8] == np.float32(history["mae"][1])
    config = json.loads(tags["keras"][0][1])
    assert tags["keras"][0][0] == 0 and config["class_name"] == "Sequential"
    assert callback._writers == {}  # closed at the end of training


def test_weight_histograms(run):
    log_dir, _, model, _, _ = run
    tags = _read_run(os.path.join(log_dir, "train"))
    weights = {w.path: np.asarray(w.numpy(), "float64") for w in model.weights}
    assert {f"{path}/histogram" for path in weights} <= set(tags)
    for path, value in weights.items():
        histograms = tags[f"{path}/histogram"]
        assert [step for step, _ in histograms] == [0, 1]
        last = histograms[-1][1]  # written after the last epoch: the final weights
        assert last["num"] == value.size and last["counts"].sum() == value.size
        np.testing.assert_allclose([last["min"], last["max"], last["sum"]],
                                   [value.min(), value.max(), value.sum()], rtol=1e-6, atol=1e-7)


def test_validation_run_matches_history(run):
    log_dir, history, *_ = run
    tags = _read_run(os.path.join(log_dir, "validation"))
    for name in ("loss", "mae"):
        expected = [(epoch, np.float32(history[f"val_{name}"][epoch])) for epoch in range(EPOCHS)]
        assert tags[f"epoch_{name}"] == expected
        # at the optimizer's step count: 4 batches an epoch
        assert tags[f"evaluation_{name}_vs_iterations"] == [(4 * (e + 1), v) for e, v in expected]
    assert not any(tag.startswith("batch_") for tag in tags)


def test_defaults_write_epoch_logs_only(run, tmp_path):
    _, _, model, _, (x, y) = run
    history = model.fit(x, y, epochs=1, batch_size=BATCH, verbose=0,
                        callbacks=[keras.callbacks.TensorBoard(str(tmp_path))]).history
    assert os.listdir(tmp_path) == ["train"]  # no validation: no validation run
    tags = _read_run(str(tmp_path / "train"))
    assert sorted(tags) == ["epoch_learning_rate", "epoch_loss", "epoch_mae", "keras"]
    assert tags["epoch_loss"] == [(0, np.float32(history["loss"][0]))]
    # evaluate: the results at the optimizer's step count, in the validation run
    callback = keras.callbacks.TensorBoard(str(tmp_path))
    loss, mae = model.evaluate(x, y, verbose=0, callbacks=[callback])
    tags = _read_run(str(tmp_path / "validation"))
    step = int(model.optimizer.iterations.numpy())
    assert tags == {"evaluation_loss_vs_iterations": [(step, np.float32(loss))],
                    "evaluation_mae_vs_iterations": [(step, np.float32(mae))]}
    assert callback._writers == {}


def test_event_accumulator_reads_the_files(run):
    pytest.importorskip("tensorboard", reason="the tensorboard package is not installed")
    from tensorboard.backend.event_processing import event_accumulator

    log_dir, history, *_ = run
    for run_name, prefix in (("train", ""), ("validation", "val_")):
        accumulator = event_accumulator.EventAccumulator(
            os.path.join(log_dir, run_name), size_guidance={"scalars": 0, "histograms": 0},
            purge_orphaned_data=False)
        accumulator.Reload()
        loss = accumulator.Scalars("epoch_loss")
        assert [e.step for e in loss] == [0, 1]
        np.testing.assert_allclose([e.value for e in loss], history[f"{prefix}loss"], rtol=1e-6)
    train = event_accumulator.EventAccumulator(os.path.join(log_dir, "train"),
                                               size_guidance={"histograms": 0})
    train.Reload()
    assert [e.step for e in train.Histograms("d1/kernel/histogram")] == [0, 1]


def test_tensorflow_reads_the_files(run):
    if keras.backend.backend() != "tensorflow":
        pytest.skip("TensorFlow's reader is used on the tensorflow backend only "
                    "(importing TensorFlow elsewhere costs seconds)")
    import tensorflow as tf

    log_dir, history, *_ = run
    (path,) = glob.glob(os.path.join(log_dir, "validation", "events.out.tfevents.*"))
    losses = [(e.step, v.simple_value) for e in tf.compat.v1.train.summary_iterator(path)
              for v in e.summary.value if v.tag == "epoch_loss"]
    assert losses == [(0, np.float32(history["val_loss"][0])),
                      (1, np.float32(history["val_loss"][1]))]


def test_options_keras_users_pass():
    with pytest.raises(ValueError, match="update_freq"):
        keras.callbacks.TensorBoard(update_freq=0)
    with pytest.raises(ValueError, match="histogram_freq"):
        keras.callbacks.TensorBoard(histogram_freq=-1)
    with pytest.raises(ValueError, match="profile_batch must be"):
        keras.callbacks.TensorBoard(profile_batch=(5, 2))
    with pytest.warns(UserWarning, match="cannot profile"):
        keras.callbacks.TensorBoard(profile_batch="10,20")
    with pytest.warns(UserWarning, match="embeddings_freq"):
        keras.callbacks.TensorBoard(embeddings_freq=1)
    callback = keras.callbacks.TensorBoard(update_freq="batch", write_graph=True)
    assert callback.update_freq == 1 and callback._wants_hook("on_train_batch_end")
    assert not keras.callbacks.TensorBoard()._wants_hook("on_train_batch_end")
