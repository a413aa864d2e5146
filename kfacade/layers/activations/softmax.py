"""Softmax: the softmax activation as a layer, honouring a mask."""
from kfacade import ops
from kfacade.backend.dtypes import standardize_dtype
from kfacade.layers.layer import Layer


def _large_negative_number(dtype):
    """The stand-in for -inf at masked positions (Keras 3's values)."""
    return -3e4 if standardize_dtype(dtype) in ("float16", "bfloat16") else -1e9


class Softmax(Layer):
    """Softmax along `axis`; masked positions are left out.

    Args:
        axis: an int or a list of ints, the normalized axes (default -1).

    Call arguments:
        inputs: the logits.
        mask: optional, broadcastable to `inputs`; True (or > 0.5) keeps a
            position. Masked positions get a large negative logit (-1e9)
            before the softmax and 0 in the output.

    Raises:
        ValueError: the mask does not broadcast to the inputs.

    Example:
        >>> Softmax()(np.array([[1.0, 2.0, 3.0]]), mask=np.array([[True, True, False]]))
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else axis
        self.supports_masking = True
        self.built = True

    def call(self, inputs, mask=None):
        if mask is not None:
            if not ops.is_tensor(mask):
                mask = ops.convert_to_tensor(mask)
            mask_shape, input_shape = tuple(ops.shape(mask)), tuple(ops.shape(inputs))
            broadcastable = len(mask_shape) <= len(input_shape) and all(
                m in (1, i) for m, i in zip(mask_shape[::-1], input_shape[::-1])
            )
            if not broadcastable:
                raise ValueError(
                    f"The `mask` must be broadcastable to `inputs` in layer {self.name!r}: "
                    f"each mask dimension must be 1 or match the corresponding input "
                    f"dimension. Received: inputs.shape={input_shape}, mask.shape={mask_shape}"
                )
            if standardize_dtype(ops.dtype(mask)) != "bool":
                mask = ops.greater(mask, 0.5)
            masked_value = ops.add(ops.zeros_like(inputs), _large_negative_number(ops.dtype(inputs)))
            inputs = ops.where(mask, inputs, masked_value)
        if isinstance(self.axis, list) and len(self.axis) > 1:
            axis = tuple(self.axis)
            outputs = ops.exp(ops.subtract(inputs, ops.logsumexp(inputs, axis=axis, keepdims=True)))
        else:
            axis = self.axis[0] if isinstance(self.axis, list) else self.axis
            outputs = ops.softmax(inputs, axis=axis)
        if mask is not None:
            # A fully masked row would otherwise come out uniform.
            outputs = ops.where(mask, outputs, ops.zeros_like(outputs))
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
