"""Dot: the per-sample dot product of two inputs along given axes."""
import math

from kfacade import ops
from kfacade.backend.active import adapter as _B
from kfacade.layers.merging.base_merge import Merge


class Dot(Merge):
    """The dot product of two inputs' samples along `axes`.

    Args:
        axes: an int (the same axis of both inputs) or a pair
            ``(axis_of_first, axis_of_second)``; never 0, the batch axis.
        normalize: L2-normalize both inputs along their axis first, so that
            the output is the cosine similarity.

    For inputs of shapes ``(batch, *a)`` and ``(batch, *b)``, the output has
    the first's axes without its dot axis, then the second's without the
    batch and its dot axis; ``(batch,)`` becomes ``(batch, 1)``.

    Example:
        >>> Dot(axes=(1, 2))([np.ones((2, 3, 5)), np.ones((2, 10, 3))]).shape
        (2, 5, 10)
    """

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axes, int):
            if not isinstance(axes, (list, tuple)):
                raise TypeError(
                    f"Invalid type for argument `axes`: it should be a list or an int. "
                    f"Received: axes={axes}"
                )
            if len(axes) != 2:
                raise ValueError(
                    f"Invalid format for argument `axes`: it should contain two elements. "
                    f"Received: axes={axes}"
                )
            if not isinstance(axes[0], int) or not isinstance(axes[1], int):
                raise ValueError(
                    f"Invalid format for argument `axes`: list elements should be integers. "
                    f"Received: axes={axes}"
                )
            axes = list(axes)
        self.axes = axes
        self.normalize = normalize

    def _resolved_axes(self, shape1, shape2):
        pair = [self.axes, self.axes] if isinstance(self.axes, int) else self.axes
        return [pair[0] % len(shape1), pair[1] % len(shape2)]

    def _check(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2 or not all(
            isinstance(s, (list, tuple)) for s in input_shape
        ):
            raise ValueError(
                f"A `Dot` layer should be called on a list of 2 inputs. "
                f"Received: input_shape={input_shape}"
            )
        shape1, shape2 = tuple(input_shape[0]), tuple(input_shape[1])
        if len(shape1) < 2 or len(shape2) < 2:
            raise ValueError(
                f"Cannot do batch_dot on inputs with rank < 2. Received inputs with shapes "
                f"{shape1} and {shape2} in layer {self.name!r}."
            )
        self._check_batch_sizes([shape1, shape2])
        axes = self._resolved_axes(shape1, shape2)
        if 0 in axes:
            raise ValueError(
                f"Cannot perform batch_dot over axis 0 (the batch axis). Received: "
                f"axes={self.axes} for shapes {shape1} and {shape2} in layer {self.name!r}."
            )
        d1, d2 = shape1[axes[0]], shape2[axes[1]]
        if d1 is not None and d2 is not None and d1 != d2:
            raise ValueError(
                f"Incompatible input shapes: axis values {d1} (at axis {axes[0]}) != "
                f"{d2} (at axis {axes[1]}). Full input shapes: {shape1}, {shape2}"
            )
        return shape1, shape2, axes

    def build(self, input_shape):
        self._check(input_shape)
        self.built = True

    def call(self, inputs, mask=None):
        if len(inputs) != 2:
            raise ValueError(
                f"A `Dot` layer should be called on exactly 2 inputs. "
                f"Received: {len(inputs)} inputs"
            )
        x1, x2 = self._as_tensors(inputs)
        shape1, shape2 = tuple(_B.shape(x1)), tuple(_B.shape(x2))
        self._check([shape1, shape2])
        a1, a2 = self._resolved_axes(shape1, shape2)
        if self.normalize:
            x1 = ops.normalize(x1, axis=a1)
            x2 = ops.normalize(x2, axis=a2)
        return _batch_dot(x1, x2, a1, a2)

    def compute_output_shape(self, input_shape):
        shape1, shape2, (a1, a2) = self._check(self._shape_list(input_shape))
        first = [d for i, d in enumerate(shape1) if i != a1]
        second = [d for i, d in enumerate(shape2) if i not in (0, a2)]
        if first[0] is None:
            first[0] = shape2[0]
        output_shape = first + second
        if len(output_shape) == 1:
            output_shape.append(1)
        return tuple(output_shape)

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def _batch_dot(x1, x2, a1, a2):
    """Sum over x1's axis `a1` and x2's axis `a2`, per batch entry, as one matmul."""
    shape1, shape2 = tuple(_B.shape(x1)), tuple(_B.shape(x2))
    rest1 = [d for i, d in enumerate(shape1) if i not in (0, a1)]
    rest2 = [d for i, d in enumerate(shape2) if i not in (0, a2)]
    batch, size = shape1[0], shape1[a1]
    x1 = ops.transpose(x1, [i for i in range(len(shape1)) if i != a1] + [a1])
    x2 = ops.transpose(x2, [0, a2] + [i for i in range(1, len(shape2)) if i != a2])
    x1 = ops.reshape(x1, (batch, math.prod(rest1), size))
    x2 = ops.reshape(x2, (batch, size, math.prod(rest2)))
    output = ops.matmul(x1, x2)
    output_shape = (batch,) + tuple(rest1) + tuple(rest2)
    if len(output_shape) == 1:
        output_shape = (batch, 1)
    return ops.reshape(output, output_shape)


def dot(inputs, axes=-1, normalize=False, **kwargs):
    """Functional form of ``Dot``: ``dot([x1, x2], axes=1)``."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
