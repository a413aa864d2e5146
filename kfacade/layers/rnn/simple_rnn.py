"""SimpleRNN: ``h_t = activation(x_t @ kernel + bias + h_{t-1} @ recurrent_kernel)``."""
from kfacade import ops
from kfacade.layers.layer import Layer
from kfacade.layers.rnn.cell_base import (
    DropoutRNNCell, activation_config, build_cell_weights, check_units, first_state,
    init_cell_options, states_like, weight_options_config,
)
from kfacade.layers.rnn.rnn import RNN, CellLayerMixin


class SimpleRNNCell(DropoutRNNCell, Layer):
    """One step of a fully connected recurrent layer.

    Args:
        units: the size of the output and of the state.
        activation: default "tanh" (None: linear).
        use_bias: whether to add a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: default
            "glorot_uniform", "orthogonal", "zeros".
        kernel_regularizer, recurrent_regularizer, bias_regularizer,
        kernel_constraint, recurrent_constraint, bias_constraint: as Dense's.
        dropout: fraction of the inputs dropped (one mask per sequence).
        recurrent_dropout: fraction of the previous state dropped.
        seed: seed of the dropout masks.

    Call: ``cell(inputs, states, training=False)`` with ``inputs (batch, in)``
    and ``states = [h (batch, units)]``; returns ``(h_new, [h_new])``.
    Weights: ``kernel (in, units)``, ``recurrent_kernel (units, units)``,
    ``bias (units,)``.

    Example:
        >>> rnn = RNN(SimpleRNNCell(4))  # the same as SimpleRNN(4)
    """

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.units = check_units(units)
        init_cell_options(self, locals(), ("activation",))
        self.state_size = units
        self.output_size = units

    def build(self, input_shape):
        build_cell_weights(self, (input_shape[-1], self.units), (self.units, self.units),
                           (self.units,))
        self.built = True

    def call(self, inputs, states, training=False):
        h_tm1 = first_state(states)
        inputs, h_tm1 = self._dropped(inputs, h_tm1, training)
        h = ops.matmul(inputs, self.kernel.value)
        if self.bias is not None:
            h = ops.add(h, self.bias.value)
        output = self.activation(ops.add(h, ops.matmul(h_tm1, self.recurrent_kernel.value)))
        return output, states_like(output, states)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            **activation_config(self, ["activation"]),
            "use_bias": self.use_bias,
            **weight_options_config(self),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }


class SimpleRNN(CellLayerMixin, RNN):
    """A fully connected recurrent layer: ``RNN(SimpleRNNCell(units, ...))``.

    Takes ``SimpleRNNCell``'s arguments and ``RNN``'s (``return_sequences``,
    ``return_state``, ``go_backwards``, ``stateful``, ``unroll``). The weights
    are the cell's, named ``<layer>/simple_rnn_cell/kernel``, ...

    Input ``(batch, timesteps, features)``; output ``(batch, units)``, or
    ``(batch, timesteps, units)`` with ``return_sequences``.

    Example:
        >>> outputs = SimpleRNN(4)(np.zeros((32, 10, 8), "float32"))  # (32, 4)
    """

    _cell_class = SimpleRNNCell
    _cell_name = "simple_rnn_cell"
