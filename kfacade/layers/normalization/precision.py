"""The precision normalization layers compute in under mixed precision.

Keras computes ``BatchNormalization`` and ``LayerNormalization`` in float32
when their inputs are float16 or bfloat16 (batch statistics overflow or lose
digits in a half dtype), from float32 variables (created with
``autocast=False``), and casts the outputs to the layer's compute dtype. The
float32 inputs also keep the adapters' fused normalization kernels in play;
``fused_batch_normalization`` is first offered the half inputs themselves
with the float32 variables (torch's and TensorFlow's kernels normalize such
a pair in float32 and write the half outputs: no cast passes).
"""
from kfacade.backend.active import adapter as _B

#: Input dtypes the normalization layers upcast (Keras's
#: ``result_type(dtype, "float32")``: float64 stays float64).
HALF_DTYPES = ("float16", "bfloat16")


def upcast(inputs):
    """`inputs` in float32 when they are a half dtype, else unchanged."""
    if _B.dtype(inputs) in HALF_DTYPES:
        return _B.cast(inputs, "float32")
    return inputs


def computation_dtype(inputs):
    """The dtype a normalization of `inputs` computes in: float32 for half inputs."""
    dtype = _B.dtype(inputs)
    return "float32" if dtype in HALF_DTYPES else dtype


def in_dtype(value, dtype):
    """A variable's `value` (or None) in `dtype`, the computation's."""
    if value is None:
        return None
    return value if _B.dtype(value) == dtype else _B.cast(value, dtype)


def to_compute_dtype(outputs, layer):
    """`outputs` in `layer`'s compute dtype (Keras's last cast)."""
    dtype = layer.compute_dtype
    return outputs if _B.dtype(outputs) == dtype else _B.cast(outputs, dtype)
