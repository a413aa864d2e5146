"""EinsumDense: ``activation(einsum(equation, inputs, kernel) + bias)``, Keras 3's
layer for projections that keep or add axes (attention heads, experts).

The kernel's and bias's shapes follow from the equation, the input shape and
the partial output shape, by Keras's rules (``analyze_einsum``), so Keras
weight files carry over. Where the equation is a Dense over flattened axes
(``free+bound, bound+out -> free+out``), the adapter's ``fused_dense`` hook
computes it, as ``Dense`` does.
"""
import math
import re

from kfacade import activations, constraints, initializers, ops, regularizers
from kfacade.backend.active import adapter as _B
from kfacade.engine.input_spec import InputSpec
from kfacade.layers.layer import Layer

#: The adapter's ``fused_dense`` (contract.OPTIONAL_HOOKS), looked up once.
_fused_dense = getattr(_B, "fused_dense", None)

_FORMS = (
    # (pattern on the equation with "..." written "0", ellipsis on the left)
    (r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)", False),
    (r"0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)", True),
    (r"([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0", False),
)


def analyze_einsum(equation, bias_axes, input_shape, output_shape):
    """Keras's shapes for an EinsumDense: ``(kernel_shape, bias_shape or None,
    full_output_shape, kernel input axes, kernel output axes)``.

    Raises:
        ValueError: the equation is not ``[X],[Y]->[Z]`` (optionally with
            ``...`` leading X and Z, or ending them), or its letters do not
            match the shapes.
    """
    written = equation.replace("...", "0")
    for pattern, left_elided in _FORMS:
        match = re.fullmatch(pattern, written)
        if match:
            return _shapes(*match.groups(), bias_axes, tuple(input_shape), output_shape, left_elided)
    raise ValueError(
        f"Invalid einsum equation '{equation}'. Equations must be in the form "
        "[X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]....")


def _shapes(input_spec, weight_spec, output_spec, bias_axes, input_shape, output_shape, left_elided):
    elided = len(input_shape) - len(input_spec)
    output_shape = [output_shape] if isinstance(output_shape, int) else list(output_shape)
    # The batch axis, then the axes the ellipsis stands for, come from the input.
    output_shape.insert(0, input_shape[0])
    if elided > 0 and left_elided:
        # In the input's order (Keras 3.15 inserts them reversed, so its
        # reported shape disagrees with the einsum's output beyond two axes).
        output_shape[1:1] = input_shape[1:elided]
    elif elided > 0:
        output_shape.extend(input_shape[len(input_shape) - elided:])
    offset = elided if left_elided else 0
    input_axis = {dim: (i + offset) - (len(input_shape) if left_elided else 0)
                  for i, dim in enumerate(input_spec)}
    output_axis = {dim: i + offset for i, dim in enumerate(output_spec)}
    for dim in input_spec:
        if dim in output_axis:
            given, needed = output_shape[output_axis[dim]], input_shape[input_axis[dim]]
            if given is not None and given != needed:
                raise ValueError(
                    f"Input shape and output shape do not match at shared dimension '{dim}'. "
                    f"Input shape is {needed}, and output shape is {given}.")
            output_shape[output_axis[dim]] = needed  # a None the input fixes
    for dim in output_spec:
        if dim not in input_spec and dim not in weight_spec:
            raise ValueError(
                f"Dimension '{dim}' was specified in the output '{output_spec}' but has no "
                f"corresponding dim in the input spec '{input_spec}' or weight spec "
                f"'{weight_spec}'")
    kernel_shape, input_axes, output_axes = [], [], []
    for i, dim in enumerate(weight_spec):
        if dim in output_axis:
            kernel_shape.append(output_shape[output_axis[dim]])
            output_axes.append(i)
        elif dim in input_axis:
            kernel_shape.append(input_shape[input_axis[dim]])
            input_axes.append(i)
        else:
            raise ValueError(
                f"Weight dimension '{dim}' did not have a match in either the input spec "
                f"'{input_spec}' or the output spec '{output_spec}'. For this layer, the weight "
                "must be fully specified.")
    bias_shape = None
    if bias_axes is not None:
        for dim in bias_axes:
            if dim not in output_spec:
                raise ValueError(
                    f"Bias dimension '{dim}' was requested, but is not part of the output spec "
                    f"'{output_spec}'")
        # The bias spans the output axes from the first biased one; the others broadcast.
        first = min(output_spec.find(dim) for dim in bias_axes)
        bias_shape = [output_shape[output_axis[dim]] if dim in bias_axes else 1
                      for dim in output_spec[first:]]
        if not left_elided:
            bias_shape.extend([1] * max(elided, 0))
    return kernel_shape, bias_shape, output_shape, input_axes, output_axes


class EinsumDense(Layer):
    """A dense layer of any rank: ``einsum(equation, inputs, kernel) + bias``.

    Args:
        equation: ``"ab,bc->ac"``-style, with one input and one kernel; a
            leading or trailing ``...`` stands for axes passed through.
        output_shape: the output's shape without the batch axis (an int or a
            tuple; None for an axis the input fixes).
        activation: an activation name or callable (None: linear).
        bias_axes: the output letters the bias spans (None: no bias).
        kernel_initializer, bias_initializer, kernel_regularizer,
        bias_regularizer, activity_regularizer, kernel_constraint,
        bias_constraint: as Dense's.

    Example:
        >>> layer = EinsumDense("abc,cde->abde", output_shape=(None, 8, 16), bias_axes="de")
        >>> layer(kfacade.Input((10, 64))).shape   # (None, 10, 8, 16)
    """

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.equation = equation
        self.partial_output_shape = (output_shape,) if isinstance(output_shape, int) else tuple(output_shape)
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.full_output_shape = None

    def build(self, input_shape):
        kernel_shape, bias_shape, full_shape, input_axes, output_axes = analyze_einsum(
            self.equation, self.bias_axes, input_shape, self.partial_output_shape)
        self.full_output_shape = tuple(full_shape)
        self.input_spec = InputSpec(ndim=len(input_shape))
        self._create_weights(kernel_shape, bias_shape, input_axes, output_axes)
        self.built = True

    def _create_weights(self, kernel_shape, bias_shape, input_axes, output_axes):
        self.kernel = self.add_weight(
            name="kernel", shape=tuple(kernel_shape),
            initializer=self._axis_aware(self.kernel_initializer, input_axes, output_axes),
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.bias = None
        if bias_shape is not None:
            self.bias = self.add_weight(
                name="bias", shape=tuple(bias_shape), initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self._flat_form = _flat_dense_form(self.equation, tuple(kernel_shape))

    @staticmethod
    def _axis_aware(initializer, input_axes, output_axes):
        """A VarianceScaling initializer given the kernel's input and output
        axes (its fans are theirs, as in Keras 3.12+); others as they are."""
        if (isinstance(initializer, initializers.VarianceScaling)
                and (initializer.input_axes is None or initializer.output_axes is None)):
            config = dict(initializer.get_config(), input_axes=input_axes, output_axes=output_axes)
            return type(initializer).from_config(config)
        return initializer

    def call(self, inputs):
        outputs = None
        if self.bias is not None and _fused_dense is not None:
            outputs = self._fused_call(inputs)
        if outputs is None:
            outputs = ops.einsum(self.equation, inputs, self.kernel.value)
            if self.bias is not None:
                outputs = ops.add(outputs, self.bias.value)
        if self.activation is not None and self.activation is not activations.linear:
            outputs = self.activation(outputs)
        return outputs

    def _fused_call(self, inputs):
        """The einsum as the adapter's ``fused_dense`` of the inputs with their
        bound axes flattened, on the kernel and bias viewed as a Dense's
        ``(bound, out)`` and ``(out,)``, reshaped to the output axes; None
        where the equation has another form, the bias broadcasts, or the hook
        declines."""
        bound, out_shape = self._flat_form
        if bound is None or tuple(self.bias.shape) != out_shape:
            return None
        shape = tuple(ops.shape(inputs))
        free = shape[:len(shape) - bound]
        if any(dim is None for dim in free):
            return None  # an unknown axis while tracing: the einsum handles it
        flat = ops.reshape(inputs, free + (-1,)) if bound > 1 else inputs
        units = math.prod(out_shape)
        try:
            outputs = _fused_dense(flat, ops.reshape(self.kernel.value, (-1, units)),
                                   ops.reshape(self.bias.value, (units,)))
        except NotImplementedError:
            return None
        return outputs if len(out_shape) == 1 else ops.reshape(outputs, free + out_shape)

    def compute_output_shape(self, input_shape):
        return tuple(analyze_einsum(self.equation, self.bias_axes, input_shape,
                                    self.partial_output_shape)[2])

    def get_config(self):
        config = super().get_config()
        config.update({
            "output_shape": self.partial_output_shape,
            "equation": self.equation,
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        })
        return config


def _flat_dense_form(equation, kernel_shape):
    """(number of bound axes, output axes' shape) when `equation` is
    ``free+bound, bound+out -> free+out``; (None, None) otherwise."""
    if "..." in equation:
        return None, None
    inputs_kernel, output = equation.split("->")
    inputs, kernel = inputs_kernel.split(",")
    bound = len(inputs) + len(kernel) - len(output)
    if bound <= 0 or bound % 2:
        return None, None
    bound //= 2
    if (inputs[len(inputs) - bound:] != kernel[:bound]
            or output != inputs[:len(inputs) - bound] + kernel[bound:]):
        return None, None
    return bound, tuple(kernel_shape[bound:])
