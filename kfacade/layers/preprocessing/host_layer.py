"""The base of the preprocessing layers that run on the host, in NumPy.

Tensors of strings exist only in TensorFlow, and vocabularies and string
hashes are table lookups no compiled step of JAX or torch can express. So
Hashing, StringLookup, IntegerLookup and TextVectorization compute in
Python and NumPy, on every backend alike:

- they take NumPy arrays (``str``, ``bytes`` or object arrays for strings;
  integer arrays), nested Python lists and scalars, or any backend's tensor
  (copied to NumPy first; TensorFlow string tensors included);
- they return a native integer or float tensor of the active backend (the
  same values on every backend), except StringLookup with ``invert=True``,
  which returns a NumPy array of ``str``;
- they cannot run inside a compiled step (``tf.function``, ``jax.jit``):
  called there, they raise an error that says so. Apply them to the data
  before ``fit``/``predict`` (or in a ``PyDataset``), or compile with
  ``run_eagerly=True``. torch's steps run eagerly, so there a model holding
  one of these layers runs them as they are. ``supports_jit`` is False, as
  in Keras 3.

They can still be called on a symbolic integer ``Input`` (Hashing,
IntegerLookup) to build a model: the output's shape and dtype come from
``compute_output_shape`` and ``output_dtype``.
"""
import numpy as np

from kfacade import ops
from kfacade.backend.state import in_compiled_step_trace
from kfacade.engine.operation import has_symbolic
from kfacade.layers.layer import Layer


def compiled_step_error(layer):
    return RuntimeError(
        f"Layer {layer.name!r} ({type(layer).__name__}) runs on the host in NumPy (string and "
        f"vocabulary tables) and cannot run inside a compiled step (tf.function / jax.jit). "
        f"Apply it to your data before fit/predict (e.g. in a PyDataset), or compile the "
        f"model with run_eagerly=True."
    )


def to_host_array(layer, inputs):
    """`inputs` (tensor, array, Variable, list or scalar) as a NumPy array.

    Raises:
        RuntimeError: `inputs` is a traced value of a compiled function.
    """
    if isinstance(inputs, np.ndarray):
        return inputs
    if ops.is_tensor(inputs) or hasattr(inputs, "numpy"):
        try:
            return np.asarray(ops.convert_to_numpy(inputs))
        except Exception as error:  # a tracer: jax.jit, tf.function
            raise compiled_step_error(layer) from error
    return np.asarray(inputs)


def is_string_array(array):
    """True for str, bytes, and object arrays (whose elements are str or bytes)."""
    return array.dtype.kind in ("U", "S", "O")


def to_str_array(array, encoding="utf-8"):
    """A NumPy ``str`` array: bytes decoded with `encoding`, str kept."""
    if array.dtype.kind == "U":
        return array
    if array.dtype.kind == "S":
        return np.char.decode(array, encoding)
    if array.dtype.kind == "O":
        flat = [value.decode(encoding) if isinstance(value, bytes) else str(value)
                for value in array.reshape(-1)]
        return np.array(flat, dtype=str).reshape(array.shape) if flat else \
            np.zeros(array.shape, dtype=str)
    raise TypeError(f"Expected string values. Received: an array of dtype {array.dtype}")


class HostPreprocessingLayer(Layer):
    """A layer whose eager call runs ``_host_call`` on NumPy arrays.

    Subclasses define ``_host_call(array, **kwargs)`` returning a NumPy
    array, ``compute_output_shape`` and ``output_dtype``.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_jit = False
        self.built = True

    @property
    def output_dtype(self):
        return self.compute_dtype

    def __call__(self, *args, **kwargs):
        if has_symbolic(args, kwargs):
            outputs = super().__call__(*args, **kwargs)
            outputs.dtype = self.output_dtype
            return outputs
        if in_compiled_step_trace():
            raise compiled_step_error(self)
        kwargs.pop("training", None)
        kwargs.pop("mask", None)
        inputs = args[0] if args else kwargs.pop("inputs")
        outputs = self._host_call(to_host_array(self, inputs), *args[1:], **kwargs)
        if outputs.dtype.kind in ("U", "S", "O"):
            return outputs  # strings (an inverted StringLookup) stay NumPy
        return ops.convert_to_tensor(outputs)

    def call(self, inputs):
        # Only reached for symbolic shape inference, which compute_output_shape answers.
        raise compiled_step_error(self)

    def _host_call(self, inputs, **kwargs):
        raise NotImplementedError
