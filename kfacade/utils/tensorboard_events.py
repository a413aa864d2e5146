"""TensorBoard event files written in pure Python: no TensorFlow, no protobuf package.

An event file (``events.out.tfevents.<time>.<host>...``) is a TFRecord file of
serialized ``tensorflow.Event`` protocol buffers. Each record is framed as

    uint64 length | uint32 masked CRC32C(length) | data | uint32 masked CRC32C(data)

(little-endian), and the first event holds only ``file_version: "brain.Event:2"``.
The few messages needed here (``Event``, ``Summary``, ``Summary.Value``,
``HistogramProto``, ``SummaryMetadata``, ``TensorProto``) are encoded by hand
from their field numbers, so ``kfacade.callbacks.TensorBoard`` runs on every
backend with nothing but NumPy. TensorBoard (and ``tf.compat.v1.train.summary_iterator``)
read the files as they read TensorFlow's.
"""
import itertools
import os
import socket
import struct
import threading
import time

import numpy as np

# ------------------------------------------------------------------ CRC32C

def _crc32c_table():
    """The byte table of CRC-32C (Castagnoli; reflected polynomial 0x82F63B78)."""
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC_TABLE = _crc32c_table()


def crc32c(data, crc=0):
    """The CRC-32C of `data` (bytes), continuing from `crc`.

    Example:
        >>> hex(crc32c(b"123456789"))
        '0xe3069283'
    """
    table = _CRC_TABLE
    crc ^= 0xFFFFFFFF
    for byte in bytes(data):
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data):
    """TFRecord's masked CRC: the CRC rotated right by 15 bits plus 0xA282EAD8 (mod 2**32).

    The mask keeps a CRC computed over data that itself holds CRCs well spread.
    """
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def tfrecord(data):
    """`data` framed as one TFRecord: length, its masked CRC, data, the data's masked CRC."""
    header = struct.pack("<Q", len(data))
    return (header + struct.pack("<I", masked_crc32c(header)) + data
            + struct.pack("<I", masked_crc32c(data)))


# -------------------------------------------------------- protobuf encoding

def _varint(value):
    """A protobuf base-128 varint; negative int64 values as 10-byte two's complement."""
    value &= 0xFFFFFFFFFFFFFFFF
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _key(field, wire_type):
    return _varint((field << 3) | wire_type)


def _int_field(field, value):
    return _key(field, 0) + _varint(int(value))


def _double_field(field, value):
    return _key(field, 1) + struct.pack("<d", float(value))


def _float_field(field, value):
    return _key(field, 5) + struct.pack("<f", float(value))


def _bytes_field(field, value):
    if isinstance(value, str):
        value = value.encode("utf-8")
    return _key(field, 2) + _varint(len(value)) + bytes(value)


def _packed_doubles(field, values):
    return _bytes_field(field, np.asarray(values, dtype="<f8").tobytes())


def encode_event(wall_time, step=0, file_version=None, summary=None):
    """A serialized ``Event``: wall_time (1), step (2), file_version (3), summary (5)."""
    out = _double_field(1, wall_time)
    if step:
        out += _int_field(2, step)
    if file_version is not None:
        out += _bytes_field(3, file_version)
    if summary is not None:
        out += _bytes_field(5, summary)
    return out


def encode_summary(values):
    """A serialized ``Summary`` of serialized ``Summary.Value`` messages (field 1, repeated)."""
    return b"".join(_bytes_field(1, value) for value in values)


def scalar_value(tag, value):
    """A ``Summary.Value`` holding tag (1) and simple_value (2, a float32)."""
    return _bytes_field(1, tag) + _float_field(2, value)


def histogram_proto(values, bins=30):
    """A serialized ``HistogramProto`` of `values` over `bins` equal-width buckets.

    Fields: min (1), max (2), num (3), sum (4), sum_squares (5),
    bucket_limit (6, each bucket's right edge), bucket (7, the counts).
    """
    values = np.asarray(values, dtype="float64").ravel()
    values = values[np.isfinite(values)]
    if values.size == 0:
        return _double_field(3, 0.0)
    counts, edges = np.histogram(values, bins=bins)
    return (_double_field(1, values.min()) + _double_field(2, values.max())
            + _double_field(3, values.size) + _double_field(4, values.sum())
            + _double_field(5, np.dot(values, values))
            + _packed_doubles(6, edges[1:]) + _packed_doubles(7, counts))


def histogram_value(tag, values, bins=30):
    """A ``Summary.Value`` holding tag (1) and histo (5)."""
    return _bytes_field(1, tag) + _bytes_field(5, histogram_proto(values, bins))


def text_tensor_value(tag, text, plugin_name, content=b""):
    """A ``Summary.Value`` holding a scalar string tensor (8) and plugin metadata (9).

    The tensor is a ``TensorProto`` of dtype DT_STRING (7) with an empty
    (scalar) shape; the metadata names the TensorBoard plugin that shows it.
    """
    tensor = _int_field(1, 7) + _bytes_field(2, b"") + _bytes_field(8, text)
    plugin_data = _bytes_field(1, plugin_name) + (_bytes_field(2, content) if content else b"")
    metadata = _bytes_field(1, plugin_data)
    return _bytes_field(1, tag) + _bytes_field(8, tensor) + _bytes_field(9, metadata)


# ------------------------------------------------------------------ writer

_file_counter = itertools.count()
_counter_lock = threading.Lock()


class EventFileWriter:
    """Appends summaries to one new event file in `logdir`.

    Each record goes to the file in one ``write`` call of its whole frame, so
    a reader (or a crash) sees whole records and at worst a cut last one,
    which TensorBoard skips. Records are buffered until ``flush()``;
    ``close()`` flushes and closes. The file is created (and `logdir` with
    it) when the writer is made.

    Example:
        >>> writer = EventFileWriter("logs/train")
        >>> writer.add_scalar("epoch_loss", 0.25, step=0)
        >>> writer.add_histogram("dense/kernel/histogram", kernel, step=0)
        >>> writer.close()
    """

    def __init__(self, logdir, filename_suffix=".v2"):
        self.logdir = os.fspath(logdir)
        os.makedirs(self.logdir, exist_ok=True)
        with _counter_lock:
            number = next(_file_counter)
        name = (f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}"
                f".{os.getpid()}.{number}{filename_suffix}")
        self.path = os.path.join(self.logdir, name)
        self._file = open(self.path, "ab")
        self._lock = threading.Lock()
        self._write(encode_event(time.time(), file_version="brain.Event:2"))
        self.flush()

    @property
    def closed(self):
        return self._file is None

    def _write(self, event):
        with self._lock:
            if self._file is None:
                raise ValueError(f"The event file {self.path!r} is closed.")
            self._file.write(tfrecord(event))

    def add_summary_values(self, values, step, wall_time=None):
        """Writes one Event holding the serialized ``Summary.Value``s `values` at `step`."""
        wall_time = time.time() if wall_time is None else wall_time
        self._write(encode_event(wall_time, int(step), summary=encode_summary(values)))

    def add_scalar(self, tag, value, step, wall_time=None):
        """Writes `value` (a number) under `tag` at `step`."""
        self.add_summary_values([scalar_value(tag, value)], step, wall_time)

    def add_histogram(self, tag, values, step, bins=30, wall_time=None):
        """Writes the histogram of `values` (an array) under `tag` at `step`."""
        self.add_summary_values([histogram_value(tag, values, bins)], step, wall_time)

    def add_text_tensor(self, tag, text, step, plugin_name="text", content=b"", wall_time=None):
        """Writes the string `text` as a scalar string tensor read by `plugin_name`."""
        self.add_summary_values([text_tensor_value(tag, text, plugin_name, content)], step,
                                wall_time)

    def flush(self):
        """Pushes buffered records to the operating system."""
        with self._lock:
            if self._file is not None:
                self._file.flush()

    def close(self):
        """Flushes and closes the file; later writes raise, later closes do nothing."""
        with self._lock:
            if self._file is not None:
                self._file.flush()
                self._file.close()
                self._file = None
