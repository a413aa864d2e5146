"""What every recurrent cell shares: dropout masks drawn once per sequence,
state sizes, zero states and the serialization of the rnn classes.

A cell computes one timestep, ``output, new_states = cell.call(x_t, states)``,
with ``states`` a flat list of tensors. Dropout masks must be the same at
every step of a sequence (Gal and Ghahramani's variational dropout, as
Keras): the ``RNN`` draws them once before its loop (``get_dropout_mask``
caches the mask) and clears them after it, so the loop body draws no random
numbers and assigns no seed state; that keeps it a pure function inside
``jax.lax.scan`` and ``tf.while_loop``.
"""
import numbers

from kfacade import activations, ops
from kfacade.backend.active import adapter as _B
from kfacade.layers.convolutional import base_conv
from kfacade.layers.serialization import deserialize_layer, serialize_layer
from kfacade.random import SeedGenerator

_WEIGHTS = ("kernel", "recurrent", "bias")


class DropoutRNNCell:
    """Mixin for cells with ``dropout`` and ``recurrent_dropout`` rates.

    The cell sets ``self.dropout``, ``self.recurrent_dropout`` and calls
    ``self._init_dropout(seed)`` in its constructor.
    """

    def _init_dropout(self, dropout, recurrent_dropout, seed):
        for name, rate in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if not 0 <= rate <= 1:
                raise ValueError(
                    f"Received an invalid value for argument `{name}`, expected a float "
                    f"between 0 and 1. Received: {name}={rate}"
                )
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.seed = seed
        self.seed_generator = SeedGenerator(seed, name=f"{self.name}_seed")
        self._dropout_mask = None
        self._recurrent_dropout_mask = None

    def _draw_mask(self, like, rate):
        return ops.dropout(ops.ones_like(like), rate, seed=self.seed_generator)

    def get_dropout_mask(self, step_input):
        """The input dropout mask (shape of one timestep's input), drawn once
        and then reused until ``reset_dropout_mask``; None without dropout."""
        if not 0 < self.dropout < 1:
            return None
        if self._dropout_mask is None:
            self._dropout_mask = self._draw_mask(step_input, self.dropout)
        return self._dropout_mask

    def get_recurrent_dropout_mask(self, step_state):
        """The recurrent dropout mask (shape of the first state), cached like
        ``get_dropout_mask``; None without recurrent dropout."""
        if not 0 < self.recurrent_dropout < 1:
            return None
        if self._recurrent_dropout_mask is None:
            self._recurrent_dropout_mask = self._draw_mask(step_state, self.recurrent_dropout)
        return self._recurrent_dropout_mask

    def reset_dropout_mask(self):
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self):
        self._recurrent_dropout_mask = None

    def _dropped(self, inputs, h_tm1, training):
        """`inputs` and `h_tm1` multiplied by the cached masks when training."""
        if training:
            mask = self.get_dropout_mask(inputs)
            if mask is not None:
                inputs = ops.multiply(inputs, mask)
            mask = self.get_recurrent_dropout_mask(h_tm1)
            if mask is not None:
                h_tm1 = ops.multiply(h_tm1, mask)
        return inputs, h_tm1

    def get_initial_state(self, batch_size=None):
        """Zero states, a list of ``(batch_size,) + shape`` tensors."""
        return [ops.zeros((batch_size,) + shape, dtype=self.compute_dtype)
                for shape in flat_state_shapes(self.state_size)]


def flat_state_shapes(state_size):
    """The per-sample shapes of a cell's states as a flat list of tuples.

    An int is one state ``(size,)``, a tuple one state of that shape, a list
    several states (nested lists, as ``StackedRNNCells`` gives, flatten).
    """
    if isinstance(state_size, int):
        return [(state_size,)]
    if isinstance(state_size, tuple):
        return [tuple(int(d) for d in state_size)]
    shapes = []
    for item in state_size:
        shapes.extend(flat_state_shapes(item))
    return shapes


def output_shape_of(cell):
    """The per-sample shape of the cell's output (``output_size`` or the first state)."""
    size = getattr(cell, "output_size", None)
    if size is None:
        return flat_state_shapes(cell.state_size)[0]
    return (size,) if isinstance(size, int) else tuple(size)


def batch_zeros(reference, shape, dtype):
    """Zeros of ``(batch,) + shape``, the batch taken from `reference`'s first axis.

    Works when the batch size is unknown while tracing (a TF graph): the
    zeros are then broadcast from a slice of `reference`.
    """
    batch = _B.shape(reference)[0]
    if batch is not None:
        return ops.zeros((batch,) + tuple(shape), dtype=dtype)
    column = ops.zeros_like(ops.cast(reference, dtype))
    while len(ops.shape(column)) > 1:
        column = ops.sum(column, axis=-1)
    column = ops.reshape(column, (-1,) + (1,) * len(shape))
    return ops.add(column, ops.zeros(tuple(shape), dtype=dtype))


def serialize(layer):
    return serialize_layer(layer)


def deserialize(config, custom_objects=None):
    return deserialize_layer(config, custom_objects)


def set_weight_options(cell, options):
    """Stores ``kernel_initializer`` ... ``bias_constraint`` (Keras's nine
    arguments) on `cell`, resolved from names or configs."""
    base_conv.set_weight_options(cell, options, _WEIGHTS)


def weight_options_config(cell):
    """The nine weight arguments of `cell` in serialized form."""
    return base_conv.weight_options_config(cell, _WEIGHTS)


def init_cell_options(cell, options, activation_names):
    """Stores what every cell takes, from `options` (the constructor's
    locals): the activations `activation_names`, `use_bias`, the nine weight
    arguments and the dropout rates and seed."""
    for name in activation_names:
        setattr(cell, name, activations.get(options[name]))
    cell.use_bias = options["use_bias"]
    set_weight_options(cell, options)
    cell._init_dropout(options["dropout"], options["recurrent_dropout"], options["seed"])


def build_cell_weights(cell, kernel_shape, recurrent_shape, bias_shape, bias_initializer=None):
    """Adds ``kernel``, ``recurrent_kernel`` and ``bias`` (None without
    `use_bias`) with the cell's weight options; `bias_initializer` replaces
    the cell's for the bias."""
    cell.kernel = base_conv.add_weight_with_options(cell, "kernel", kernel_shape, "kernel")
    cell.recurrent_kernel = base_conv.add_weight_with_options(
        cell, "recurrent_kernel", recurrent_shape, "recurrent")
    cell.bias = base_conv.add_weight_with_options(
        cell, "bias", bias_shape, "bias", initializer=bias_initializer,
    ) if cell.use_bias else None


def first_state(states):
    """The single state of a one-state cell, given as a list or bare."""
    return states[0] if isinstance(states, (list, tuple)) else states


def states_like(state, states):
    """`state` as the cell was given its states: in a list, or bare."""
    return [state] if isinstance(states, (list, tuple)) else state


def check_units(units, name="units"):
    """`units` as a Python int (NumPy integers accepted, as in Keras)."""
    if not isinstance(units, numbers.Integral) or isinstance(units, bool) or units <= 0:
        raise ValueError(
            f"Received an invalid value for argument `{name}`, expected a positive "
            f"integer. Received: {name}={units!r}"
        )
    return int(units)


def activation_config(cell, names):
    return {name: activations.serialize(getattr(cell, name)) for name in names}
