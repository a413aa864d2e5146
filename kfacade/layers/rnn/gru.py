"""GRU (Cho et al. 2014), Keras's gate order z (update), r (reset), h (candidate).

``reset_after=True`` (Keras 3's default, the cuDNN variant) applies the
reset gate after the recurrent matmul and keeps separate input and
recurrent biases, ``bias (2, 3u)``; ``reset_after=False`` (Keras 2's
default) applies it before, with one ``bias (3u,)``.

An adapter may run the whole layer in its fused kernel: the optional hook
``gru``, documented in ``kfacade.backend.contract.OPTIONAL_HOOKS``.
"""
from kfacade import ops
from kfacade.layers.layer import Layer
from kfacade.layers.rnn.cell_base import (
    DropoutRNNCell, activation_config, build_cell_weights, check_units, first_state,
    init_cell_options, states_like, weight_options_config,
)
from kfacade.layers.rnn.lstm import builtin_activation_name, call_fused_hook
from kfacade.layers.rnn.rnn import RNN, CellLayerMixin


class GRUCell(DropoutRNNCell, Layer):
    """One step of a gated recurrent unit layer.

    Args:
        units: the size of the output and of the state.
        activation: default "tanh", applied to the candidate.
        recurrent_activation: default "sigmoid", applied to the gates.
        use_bias: whether to add biases.
        kernel_initializer, recurrent_initializer, bias_initializer: default
            "glorot_uniform", "orthogonal", "zeros".
        kernel_regularizer, recurrent_regularizer, bias_regularizer,
        kernel_constraint, recurrent_constraint, bias_constraint: as Dense's.
        dropout, recurrent_dropout: fractions of the inputs and of the
            previous state dropped (one mask per sequence).
        reset_after: apply the reset gate after the recurrent matmul (True,
            Keras 3's default) or before it (False, Keras 2's default).
        seed: seed of the dropout masks.

    Call: ``cell(inputs, [h], training=False)`` -> ``(h_new, [h_new])``, with
    ``h_new = z * h + (1 - z) * candidate``.
    Weights: ``kernel (in, 3u)``, ``recurrent_kernel (u, 3u)`` (gates z, r, h
    side by side), ``bias (2, 3u)`` (input bias, recurrent bias) with
    ``reset_after``, else ``bias (3u,)``.

    Example:
        >>> layer = RNN(GRUCell(4))  # the same as GRU(4)
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, reset_after=True,
                 seed=None, **kwargs):
        kwargs.pop("implementation", None)  # Keras 2's kernel-layout switch: one layout here
        super().__init__(**kwargs)
        self.units = check_units(units)
        self.reset_after = bool(reset_after)
        init_cell_options(self, locals(), ("activation", "recurrent_activation"))
        self.state_size = units
        self.output_size = units

    def build(self, input_shape):
        units = self.units
        build_cell_weights(self, (input_shape[-1], 3 * units), (units, 3 * units),
                           (2, 3 * units) if self.reset_after else (3 * units,))
        self.built = True

    def call(self, inputs, states, training=False):
        h_tm1 = first_state(states)
        inputs, h_tm1 = self._dropped(inputs, h_tm1, training)
        units = self.units
        kernel, recurrent_kernel = self.kernel.value, self.recurrent_kernel.value
        input_bias = recurrent_bias = None
        bias = self.gate_bias()
        if bias is not None:
            if self.reset_after:
                input_bias, recurrent_bias = (ops.squeeze(b, 0) for b in ops.split(bias, 2, axis=0))
            else:
                input_bias = bias
        matrix_x = ops.matmul(inputs, kernel)
        if input_bias is not None:
            matrix_x = ops.add(matrix_x, input_bias)
        x_z, x_r, x_h = ops.split(matrix_x, 3, axis=-1)
        if self.reset_after:
            matrix_inner = ops.matmul(h_tm1, recurrent_kernel)
            if recurrent_bias is not None:
                matrix_inner = ops.add(matrix_inner, recurrent_bias)
            recurrent_z, recurrent_r, recurrent_h = ops.split(matrix_inner, 3, axis=-1)
            z = self.recurrent_activation(ops.add(x_z, recurrent_z))
            r = self.recurrent_activation(ops.add(x_r, recurrent_r))
            recurrent_h = ops.multiply(r, recurrent_h)
        else:
            gates_kernel, candidate_kernel = ops.split(recurrent_kernel, [2 * units], axis=-1)
            recurrent_z, recurrent_r = ops.split(ops.matmul(h_tm1, gates_kernel), 2, axis=-1)
            z = self.recurrent_activation(ops.add(x_z, recurrent_z))
            r = self.recurrent_activation(ops.add(x_r, recurrent_r))
            recurrent_h = ops.matmul(ops.multiply(r, h_tm1), candidate_kernel)
        candidate = self.activation(ops.add(x_h, recurrent_h))
        h = ops.add(ops.multiply(z, h_tm1), ops.multiply(ops.subtract(1.0, z), candidate))
        return h, states_like(h, states)

    def gate_bias(self):
        """The bias in this cell's layout, ``(2, 3u)`` with ``reset_after``
        (input bias, recurrent bias) else ``(3u,)``; None without one."""
        return None if self.bias is None else self.bias.value

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            **activation_config(self, ["activation", "recurrent_activation"]),
            "use_bias": self.use_bias,
            **weight_options_config(self),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "reset_after": self.reset_after,
            "seed": self.seed,
        }


class GRU(CellLayerMixin, RNN):
    """A gated recurrent unit layer: ``RNN(GRUCell(units, ...))``.

    Takes ``GRUCell``'s arguments (``reset_after=True`` by default, as Keras
    3; pass ``reset_after=False`` for Keras 2's layout and weights), ``RNN``'s
    and ``use_cudnn`` (see ``LSTM``). Weights: ``gru/gru_cell/kernel (in, 3u)``,
    ``.../recurrent_kernel (u, 3u)``, ``.../bias (2, 3u)`` or ``(3u,)``.

    Example:
        >>> outputs = GRU(4, return_sequences=True)(np.zeros((2, 5, 3), "float32"))  # (2, 5, 4)
    """

    _cell_class = GRUCell
    _cell_name = "gru_cell"

    def _fused_call(self, sequences, states, mask, training):
        cell = self.cell
        return call_fused_hook(self, "gru", sequences, training, mask, lambda hook, inputs: hook(
            inputs, states[0], mask, cell.kernel.value, cell.recurrent_kernel.value,
            cell.gate_bias(),
            builtin_activation_name(cell.activation),
            builtin_activation_name(cell.recurrent_activation),
            return_sequences=self.return_sequences, go_backwards=self.go_backwards,
            unroll=self.unroll, reset_after=cell.reset_after,
        ))
