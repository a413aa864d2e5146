"""`audio_dataset_from_directory` on NumPy: WAV files read with Python's `wave` module.

Keras 3 returns a `tf.data.Dataset` and decodes with `tf.audio.decode_wav`. kfacade
imports no framework here and returns a `PyDataset` of NumPy batches
(`kfacade.utils.dataset_utils.ArrayBatches`) with Keras 3's `class_names` attribute;
files are read batch by batch, when a batch is asked for. The files found, their
labels, their order and the split are Keras 3's (the same `dataset_utils` helpers as
`image_dataset_from_directory`), and 16-bit PCM samples decode to the same float32
values (`sample / 32768`). What differs:

- As for images and texts, Keras 3's extra `tf.data` shuffle buffer (`8 *
  batch_size` files, reshuffled at each epoch) is not reproduced.
- `ragged=True` raises: NumPy batches are dense (every clip of a batch is padded
  with zeros to the longest, as Keras 3's default `padded_batch` does).
- `sampling_rate` is validated as in Keras 3, which then resamples with
  `tensorflow_io`; kfacade does not resample, so a file recorded at another rate
  raises a ValueError naming it.
- 8-, 24- and 32-bit PCM files are read too (scaled to [-1, 1) the same way),
  where `tf.audio.decode_wav` reads 16-bit files only.
"""
import wave

import numpy as np

from kfacade.utils import dataset_utils

__all__ = ["audio_dataset_from_directory", "decode_wav"]

ALLOWED_FORMATS = (".wav",)


def _pcm_to_float(frames, sample_width):
    """Little-endian PCM bytes as float32 in [-1, 1), one value per sample."""
    if sample_width == 1:  # 8-bit WAV is unsigned, centred on 128
        return ((np.frombuffer(frames, "u1").astype("float32") - 128) / 128).astype("float32")
    if sample_width == 3:  # 24-bit: shift each 3-byte sample into the top of an int32
        raw = np.frombuffer(frames, "u1").reshape(-1, 3).astype("int32")
        values = (raw[:, 0] << 8) | (raw[:, 1] << 16) | (raw[:, 2] << 24)
        return (values / 2.0**31).astype("float32")
    dtype = {2: "<i2", 4: "<i4"}[sample_width]
    return (np.frombuffer(frames, dtype) / 2.0 ** (8 * sample_width - 1)).astype("float32")


def decode_wav(path, desired_samples=None):
    """A PCM WAV file as float32 `(samples, channels)` in [-1, 1), and its sampling rate.

    Like `tf.audio.decode_wav`: with `desired_samples`, longer clips are cut and
    shorter ones padded with zeros to exactly that many samples.

    Raises:
        ValueError: the file is not an 8/16/24/32-bit PCM WAV file (a float or
            compressed WAV, or a damaged file); the message names the file.
    """
    try:
        with wave.open(str(path), "rb") as handle:
            channels, width = handle.getnchannels(), handle.getsampwidth()
            rate = handle.getframerate()
            frames = handle.readframes(handle.getnframes())
    except (wave.Error, EOFError) as error:
        raise ValueError(f"Cannot read the audio file {path}: kfacade reads PCM WAV files "
                         f"(8, 16, 24 or 32-bit integer samples). ({error})") from error
    if width not in (1, 2, 3, 4):
        raise ValueError(f"Cannot read the audio file {path}: {8 * width}-bit samples; "
                         "kfacade reads 8, 16, 24 or 32-bit PCM WAV files.")
    usable = len(frames) // (width * channels) * (width * channels)  # drop a torn last frame
    audio = _pcm_to_float(frames[:usable], width).reshape(-1, channels)
    if desired_samples is not None:
        audio = audio[:desired_samples]
        if len(audio) < desired_samples:
            audio = np.pad(audio, ((0, desired_samples - len(audio)), (0, 0)))
    return audio, rate


def _pad_batch(clips):
    """Clips `(samples_i, channels)` stacked into `(batch, max samples, channels)`,
    zero-padded at the end, as `tf.data`'s `padded_batch`."""
    channels = {clip.shape[1] for clip in clips}
    if len(channels) > 1:
        raise ValueError("The audio files of one batch have different numbers of channels "
                         f"({sorted(channels)}); they cannot be batched together.")
    batch = np.zeros((len(clips), max(len(clip) for clip in clips), channels.pop()),
                     dtype="float32")
    for row, clip in zip(batch, clips):
        row[:len(clip)] = clip
    return batch


def audio_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, batch_size=32, sampling_rate=None,
                                 output_sequence_length=None, ragged=False, shuffle=True,
                                 seed=None, validation_split=None, subset=None,
                                 follow_links=False, verbose=True):
    """A data set of audio batches from a folder of class folders of `.wav` files.

    With `directory/class_a/*.wav` and `directory/class_b/*.wav`, it yields
    `(audio, labels)` with label 0 for `class_a` and 1 for `class_b`.

    Args:
        directory: the folder. With `labels="inferred"` it holds one folder
            per class; otherwise its structure is ignored.
        labels: "inferred", None (audio only), or a list of integer labels,
            one per `.wav` file in sorted path order.
        label_mode: "int" (int32 `(batch,)`), "categorical" (float32 one-hot),
            "binary" (float32 `(batch, 1)`, exactly two classes) or None.
        class_names: with "inferred", the class folders to use and their order.
        batch_size: clips per batch; None yields single clips.
        sampling_rate: the sampling rate (a positive int) every file must
            have; kfacade does not resample (Keras 3 does, with tensorflow_io).
        output_sequence_length: cut or zero-pad every clip to this many
            samples; None pads each batch to its longest clip.
        ragged: must be False: NumPy batches are dense.
        shuffle: shuffle the files (seeded by `seed`); otherwise sorted order.
        seed: the shuffle's seed (required with `validation_split` and `shuffle`).
        validation_split: the fraction of files kept for validation (the last ones).
        subset: "training", "validation" or "both" (a list of both data sets).
        follow_links: enter folders that are symbolic links.
        verbose: print how many files and classes were found.

    Returns:
        A `PyDataset` of float32 batches `(batch, samples, channels)` in
        [-1, 1), with their labels unless `label_mode` is None; a list
        `[training, validation]` for `subset="both"`. Its `class_names`
        attribute lists the classes. (Keras 3 returns a `tf.data.Dataset`.)

    Raises:
        ValueError: inconsistent arguments (as in Keras 3), `ragged=True`, no
            `.wav` file found, or a file that is not PCM WAV or not at
            `sampling_rate` (named in the message).

    Example:

    ```python
    train, val = audio_dataset_from_directory(
        "speech", validation_split=0.2, subset="both", seed=1,
        output_sequence_length=16000)
    model.fit(train, validation_data=val, epochs=3)
    ```
    """
    try:
        dataset_utils.check_directory_args(labels, label_mode, class_names, "audio")
    except ValueError as error:  # Keras 3's audio loader words this one "The `labels` ..."
        if str(error).startswith("`labels` argument"):
            raise ValueError(f"The {error}") from None
        raise
    if ragged and output_sequence_length is not None:
        raise ValueError("Cannot set both `ragged` and `output_sequence_length`")
    if sampling_rate is not None:
        if not isinstance(sampling_rate, int):
            raise ValueError("`sampling_rate` should have an integer value. "
                             f"Received: sampling_rate={sampling_rate}")
        if sampling_rate <= 0:
            raise ValueError("`sampling_rate` should be higher than 0. "
                             f"Received: sampling_rate={sampling_rate}")
    if ragged:
        raise ValueError("`ragged=True` is not supported by kfacade: its data sets yield "
                         "dense NumPy batches. Leave `ragged=False` (each batch is padded "
                         "with zeros to its longest clip) or set `output_sequence_length`. "
                         f"Received: ragged={ragged}")
    if output_sequence_length is not None and (
            isinstance(output_sequence_length, bool)
            or not isinstance(output_sequence_length, (int, np.integer))
            or output_sequence_length <= 0):
        raise ValueError("`output_sequence_length` should be a positive integer or None. "
                         f"Received: output_sequence_length={output_sequence_length}")
    if labels is None or label_mode is None:
        labels = label_mode = None
    dataset_utils.check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    paths, labels, class_names = dataset_utils.index_directory(
        directory, labels, formats=ALLOWED_FORMATS, class_names=class_names, shuffle=shuffle,
        seed=seed, follow_links=follow_links, verbose=verbose)
    dataset_utils.check_binary_class_names(label_mode, class_names)

    def load_one(path):
        audio, rate = decode_wav(path, output_sequence_length)
        if sampling_rate is not None and rate != sampling_rate:
            raise ValueError(
                f"The audio file {path} has a sampling rate of {rate}, not "
                f"sampling_rate={sampling_rate}: kfacade does not resample (Keras 3 does, "
                "with tensorflow_io). Resample the files beforehand.")
        return audio

    def make(split_paths, split_labels):
        encoded = (None if label_mode is None
                   else dataset_utils.encode_labels(split_labels, label_mode,
                                                    len(class_names) if class_names else 0))

        def load(indices):
            audio = _pad_batch([load_one(split_paths[i]) for i in indices])
            return audio if encoded is None else (audio, encoded[indices])

        dataset = dataset_utils.ArrayBatches(len(split_paths), load, batch_size)
        dataset.class_names = class_names
        return dataset

    return dataset_utils.split_directory_datasets(
        directory, paths, labels, validation_split, subset, make, "audio files",
        allowed=f" Allowed format(s): {ALLOWED_FORMATS}")
