"""`kfacade.utils.audio_dataset_from_directory`: WAV files written with `wave`, read back
as NumPy batches (labels, order, padding, splits, shuffling, errors) and fed to `fit`.

The expected samples are the written integers scaled as `tf.audio.decode_wav` does
(`sample / 2**(bits - 1)`), computed here in NumPy.
"""
import os
import wave

import numpy as np
import pytest

import kfacade as keras
from kfacade import utils
from kfacade.utils.audio_dataset import decode_wav

# (class folder, file, number of samples); one file sits in a sub-folder, as Keras allows.
_FILES = [("cat", "a.wav", 30), ("cat", "b.wav", 12), ("cat", "deep/c.wav", 21),
          ("dog", "a.wav", 17), ("dog", "b.wav", 25)]


def _write_wav(path, samples, width=2, rate=8000):
    """`samples` (int array `(n, channels)`) as a PCM WAV file of `width` bytes per sample."""
    if width == 1:
        frames = (samples + 128).astype("u1").tobytes()
    elif width == 3:
        frames = samples.astype("<i4").view("u1").reshape(-1, 4)[:, :3].tobytes()
    else:
        frames = samples.astype({2: "<i2", 4: "<i4"}[width]).tobytes()
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(samples.shape[1])
        handle.setsampwidth(width)
        handle.setframerate(rate)
        handle.writeframes(frames)


@pytest.fixture
def audio_tree(tmp_path):
    """Two class folders of 2-channel 16-bit WAV files (and a file that is not `.wav`);
    returns the folder and the expected float clips by relative path."""
    rng = np.random.default_rng(0)
    clips = {}
    for folder, name, length in _FILES:
        samples = rng.integers(-32768, 32768, size=(length, 2))
        path = tmp_path / folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_wav(path, samples)
        clips[f"{folder}/{name}"] = (samples / 32768).astype("float32")
    (tmp_path / "cat" / "notes.txt").write_text("not audio")
    return str(tmp_path), clips


def _padded(clips, length=None):
    length = length or max(len(clip) for clip in clips)
    out = np.zeros((len(clips), length, 2), "float32")
    for row, clip in zip(out, clips):
        row[:min(len(clip), length)] = clip[:length]
    return out


def test_sorted_order_labels_and_padding_per_batch(audio_tree, capsys):
    root, clips = audio_tree
    dataset = utils.audio_dataset_from_directory(root, shuffle=False, batch_size=3)
    assert "Found 5 files belonging to 2 classes." in capsys.readouterr().out
    assert dataset.class_names == ["cat", "dog"] and len(dataset) == 2
    order = ["cat/a.wav", "cat/b.wav", "cat/deep/c.wav", "dog/a.wav", "dog/b.wav"]
    (audio0, labels0), (audio1, labels1) = dataset[0], dataset[1]
    assert audio0.dtype == np.float32 and labels0.dtype == np.int32
    assert audio0.shape == (3, 30, 2) and audio1.shape == (2, 25, 2)  # each batch's longest
    np.testing.assert_array_equal(audio0, _padded([clips[p] for p in order[:3]]))
    np.testing.assert_array_equal(audio1, _padded([clips[p] for p in order[3:]]))
    assert labels0.tolist() == [0, 0, 0] and labels1.tolist() == [1, 1]


def test_output_sequence_length_label_modes_and_unbatched(audio_tree):
    root, clips = audio_tree
    cut = utils.audio_dataset_from_directory(root, shuffle=False, batch_size=5,
                                             output_sequence_length=20, label_mode="categorical",
                                             verbose=False)
    audio, labels = cut[0]
    order = ["cat/a.wav", "cat/b.wav", "cat/deep/c.wav", "dog/a.wav", "dog/b.wav"]
    np.testing.assert_array_equal(audio, _padded([clips[p] for p in order], 20))
    assert labels.tolist() == [[1, 0]] * 3 + [[0, 1]] * 2
    single = utils.audio_dataset_from_directory(root, shuffle=False, batch_size=None,
                                                class_names=["dog", "cat"], label_mode="binary",
                                                verbose=False)
    assert len(single) == 5 and single.class_names == ["dog", "cat"]
    clip, label = single[1]
    np.testing.assert_array_equal(clip, clips["dog/b.wav"])
    assert label.tolist() == [0.0] and single[2][1].tolist() == [1.0]
    unlabeled = utils.audio_dataset_from_directory(root, labels=None, shuffle=False,
                                                   verbose=False, sampling_rate=8000)
    assert unlabeled.class_names is None and unlabeled[0].shape == (5, 30, 2)


def test_splits_are_disjoint_cover_the_files_and_shuffle_is_seeded(audio_tree):
    root, _ = audio_tree

    def clips_of(dataset):
        return [audio.tobytes() for audio, _ in (dataset[i] for i in range(len(dataset)))]

    train, val = utils.audio_dataset_from_directory(
        root, seed=3, validation_split=0.4, subset="both", batch_size=None, verbose=False)
    assert (len(train), len(val)) == (3, 2)
    train_clips, val_clips = clips_of(train), clips_of(val)
    assert not set(train_clips) & set(val_clips) and len(set(train_clips + val_clips)) == 5
    again = utils.audio_dataset_from_directory(root, seed=3, validation_split=0.4,
                                               subset="validation", batch_size=None,
                                               verbose=False)
    assert clips_of(again) == val_clips  # the same seed gives the same files, in order
    whole = [clips_of(utils.audio_dataset_from_directory(root, seed=seed, batch_size=None,
                                                         verbose=False)) for seed in (3, 3, 4)]
    assert whole[0] == whole[1] and sorted(whole[0]) == sorted(whole[2])
    assert whole[0] == train_clips + val_clips


@pytest.mark.parametrize("width", [1, 3, 4])
def test_other_pcm_widths_scale_to_unit_range(tmp_path, width):
    bits = 8 * width
    samples = np.array([[-(2 ** (bits - 1))], [0], [2 ** (bits - 1) - 1], [12]])
    _write_wav(tmp_path / "x.wav", samples, width=width, rate=22050)
    audio, rate = decode_wav(tmp_path / "x.wav")
    assert rate == 22050 and audio.dtype == np.float32 and audio.shape == (4, 1)
    np.testing.assert_allclose(audio[:, 0], samples[:, 0] / 2.0 ** (bits - 1), rtol=0, atol=1e-7)


@pytest.mark.parametrize("kwargs, match", [
    ({"labels": "folders"}, "The `labels` argument"),
    ({"label_mode": "sparse"}, "label_mode"),
    ({"ragged": True, "output_sequence_length": 5}, "Cannot set both"),
    ({"ragged": True}, "ragged=True"),
    ({"sampling_rate": 16000.0}, "integer value"),
    ({"sampling_rate": -1}, "higher than 0"),
    ({"output_sequence_length": 0}, "positive integer"),
    ({"validation_split": 0.2, "subset": "training"}, "seed"),
    ({"label_mode": "binary", "class_names": ["cat"]}, "exactly 2"),
    ({"labels": [0, 1]}, "lengths of `labels`"),
])
def test_argument_errors(audio_tree, kwargs, match):
    with pytest.raises(ValueError, match=match):
        utils.audio_dataset_from_directory(audio_tree[0], verbose=False, **kwargs)


def test_unreadable_files_and_rates_are_named(audio_tree, tmp_path):
    root, _ = audio_tree
    resampled = utils.audio_dataset_from_directory(root, sampling_rate=16000, shuffle=False,
                                                   verbose=False)
    with pytest.raises(ValueError, match=r"a\.wav has a sampling rate of 8000"):
        resampled[0]
    bad = tmp_path / "dog" / "broken.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEnope")
    dataset = utils.audio_dataset_from_directory(root, shuffle=False, verbose=False)
    with pytest.raises(ValueError, match="broken.wav"):
        dataset[0]
    os.makedirs(tmp_path / "empty" / "a")
    with pytest.raises(ValueError, match="No audio files found"):
        utils.audio_dataset_from_directory(str(tmp_path / "empty"), verbose=False)


def test_fit_reads_an_audio_dataset(audio_tree):
    dataset = utils.audio_dataset_from_directory(audio_tree[0], seed=1, batch_size=2,
                                                 output_sequence_length=16, verbose=False)
    model = keras.Sequential([keras.Input((16, 2)), keras.layers.Flatten(),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    assert np.isfinite(model.fit(dataset, epochs=1, verbose=0).history["loss"][0])
