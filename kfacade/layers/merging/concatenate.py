"""Concatenate: joins a list of inputs along one axis."""
from kfacade import ops
from kfacade.backend.active import adapter as _B
from kfacade.layers.merging.base_merge import Merge


class Concatenate(Merge):
    """Concatenates a list of inputs along `axis`.

    Args:
        axis: the concatenation axis (default -1, the features).

    All inputs have the same rank and the same size on every other axis.
    With masks, the output mask is the concatenation of the inputs' masks
    (all-True for an input without one), reduced over the last axis.

    Raises:
        ValueError: the inputs' shapes differ outside `axis`.

    Example:
        >>> Concatenate(axis=1)([np.zeros((2, 2, 5)), np.ones((2, 1, 5))]).shape
        (2, 3, 5)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def _mismatch(self, input_shape):
        return (
            f"A `Concatenate` layer requires inputs with matching shapes except for the "
            f"concatenation axis. Received: input_shape={input_shape}"
        )

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or not input_shape or not isinstance(
            input_shape[0], (list, tuple)
        ):
            raise ValueError(
                f"A `Concatenate` layer should be called on a list of at least 1 input. "
                f"Received: input_shape={input_shape}"
            )
        shapes = [tuple(s) for s in input_shape if s is not None]
        if shapes:
            self._check_shapes(shapes)
        self.built = True

    def _check_shapes(self, shapes):
        ranks = {len(s) for s in shapes}
        if len(ranks) != 1:
            raise ValueError(self._mismatch(shapes))
        (rank,) = ranks
        if not -rank <= self.axis < rank:
            raise ValueError(
                f"Layer {self.name!r}: `axis` is out of bounds for inputs of rank {rank}. "
                f"Received: axis={self.axis}, input_shape={shapes}"
            )
        concat_axis = self.axis % rank
        for dim in range(rank):
            if dim == concat_axis:
                continue
            known = {s[dim] for s in shapes if s[dim] is not None}
            if len(known) > 1:
                raise ValueError(self._mismatch(shapes))

    def call(self, inputs, mask=None):
        return ops.concatenate(self._as_tensors(inputs), axis=self.axis)

    def compute_output_shape(self, input_shape):
        shapes = self._shape_list(input_shape)
        self._check_shapes(shapes)
        output_shape = list(shapes[0])
        for shape in shapes[1:]:
            if output_shape[self.axis] is None or shape[self.axis] is None:
                output_shape[self.axis] = None
                break
            output_shape[self.axis] += shape[self.axis]
        # Unknown sizes elsewhere take the value any input knows.
        for dim in range(len(output_shape)):
            if output_shape[dim] is None and dim != self.axis % len(output_shape):
                known = [s[dim] for s in shapes if s[dim] is not None]
                output_shape[dim] = known[0] if known else None
        return tuple(output_shape)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        if not isinstance(mask, (tuple, list)):
            raise ValueError(f"`mask` should be a list. Received: mask={mask}")
        if not isinstance(inputs, (tuple, list)):
            raise ValueError(f"`inputs` should be a list. Received: inputs={inputs}")
        if len(mask) != len(inputs):
            raise ValueError(
                f"The lists `inputs` and `mask` should have the same length. Received: "
                f"inputs of length {len(inputs)}, and mask of length {len(mask)}"
            )
        if all(m is None for m in mask):
            return None
        masks = []
        for x, m in zip(inputs, mask):
            if not _is_tensor_like(x):
                x = self._convert_input(x)
            if m is None:
                masks.append(ops.ones_like(x, dtype="bool"))
            elif len(ops.shape(m)) < len(ops.shape(x)):
                masks.append(ops.logical_or(ops.expand_dims(m, -1), ops.zeros_like(x, dtype="bool")))
            else:
                masks.append(m)
        return ops.any(ops.concatenate(masks, axis=self.axis), axis=-1)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def _is_tensor_like(x):
    return _B.is_tensor(x) or hasattr(x, "_keras_history")


def concatenate(inputs, axis=-1, **kwargs):
    """Functional form of ``Concatenate``: ``concatenate([x1, x2], axis=-1)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)
