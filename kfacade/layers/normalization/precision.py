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


def computation_dtype(inputs):
    """The dtype a normalization of `inputs` computes in: float32 for half inputs."""
    dtype = _B.dtype(inputs)
    return "float32" if dtype in HALF_DTYPES else dtype


def read(variable, dtype):
    """`variable`'s value in `dtype` (the adapter's cast returns a value of
    that dtype unchanged); None for no variable (no ``gamma`` or ``beta``)."""
    return None if variable is None else _B.cast(variable.value, dtype)
