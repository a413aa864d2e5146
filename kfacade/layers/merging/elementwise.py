"""The elementwise merge layers and their functional forms: Add, Subtract,
Multiply, Average, Maximum, Minimum (``add``, ``subtract``, ...)."""
from kfacade import ops
from kfacade.layers.merging.base_merge import Merge


class Add(Merge):
    """The elementwise sum of a list of inputs (shapes broadcast).

    Example:
        >>> Add()([np.ones((2, 3)), np.ones((2, 3))])  # all 2.0, shape (2, 3)
    """

    def _merge_function(self, inputs, masks):
        output = inputs[0]
        for x in inputs[1:]:
            output = ops.add(output, x)
        return output


class Subtract(Merge):
    """``inputs[0] - inputs[1]``, for exactly two inputs.

    Raises:
        ValueError: not exactly two inputs.
    """

    def build(self, input_shape):
        super().build(input_shape)
        if len(input_shape) != 2:
            raise ValueError(
                f"A `Subtract` layer should be called on exactly 2 inputs. "
                f"Received: input_shape={list(input_shape)}"
            )

    def _merge_function(self, inputs, masks):
        if len(inputs) != 2:
            raise ValueError(
                f"A `Subtract` layer should be called on exactly 2 inputs. "
                f"Received: {len(inputs)} inputs"
            )
        return ops.subtract(inputs[0], inputs[1])


class Multiply(Merge):
    """The elementwise product of a list of inputs.

    With masks on every input (the inputs' shape without the last axis),
    masked entries count as 1 in the product and the output is 0 where
    every input is masked, as in Keras 3.
    """

    def _merge_function(self, inputs, masks):
        masks = masks or [None] * len(inputs)
        has_output_mask = all(m is not None for m in masks)
        output, output_mask = None, None
        for x, mask in zip(inputs, masks):
            if mask is not None:
                mask = self._value_mask(mask, x)
                x = ops.where(mask, x, ops.ones_like(x))
                if has_output_mask:
                    output_mask = mask if output_mask is None else ops.logical_or(output_mask, mask)
            output = x if output is None else ops.multiply(output, x)
        if has_output_mask:
            output = ops.where(output_mask, output, ops.zeros_like(output))
        return output


class Average(Merge):
    """The elementwise mean of a list of inputs."""

    def _merge_function(self, inputs, masks):
        output = inputs[0]
        for x in inputs[1:]:
            output = ops.add(output, x)
        return ops.divide(output, len(inputs))


class Maximum(Merge):
    """The elementwise maximum of a list of inputs (masked entries ignored)."""

    def _merge_function(self, inputs, masks):
        return self._apply_merge_op_and_or_mask(ops.maximum, inputs, masks)


class Minimum(Merge):
    """The elementwise minimum of a list of inputs (masked entries ignored)."""

    def _merge_function(self, inputs, masks):
        return self._apply_merge_op_and_or_mask(ops.minimum, inputs, masks)


def add(inputs, **kwargs):
    """Functional form of ``Add``: ``add([x1, x2])``."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """Functional form of ``Subtract``: ``subtract([x1, x2])`` is x1 - x2."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Functional form of ``Multiply``."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Functional form of ``Average``."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """Functional form of ``Maximum``."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """Functional form of ``Minimum``."""
    return Minimum(**kwargs)(inputs)
