"""LSTM (Hochreiter and Schmidhuber 1997), Keras's gate order i, f, c, o.

An adapter may run the whole layer in its fused kernel: the optional hook
``lstm``, documented in ``kfacade.backend.contract.OPTIONAL_HOOKS`` (weights
in Keras's layout, activations by name, ``NotImplementedError`` for what it
does not fuse, the generic scan then).
"""
from kfacade import activations, initializers, ops
from kfacade.backend.active import adapter as _B
from kfacade.layers.layer import Layer
from kfacade.layers.rnn.cell_base import (
    DropoutRNNCell, activation_config, build_cell_weights, check_units, init_cell_options,
    weight_options_config,
)
from kfacade.layers.rnn.rnn import RNN, CellLayerMixin


class LSTMCell(DropoutRNNCell, Layer):
    """One step of a long short-term memory layer.

    Args:
        units: the size of the output and of each state.
        activation: default "tanh", applied to the candidate and the cell state.
        recurrent_activation: default "sigmoid", applied to the gates.
        use_bias: whether to add a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: default
            "glorot_uniform", "orthogonal", "zeros".
        unit_forget_bias: initialize the forget gate's bias to 1 (Jozefowicz
            et al. 2015); the bias initializer fills the rest.
        kernel_regularizer, recurrent_regularizer, bias_regularizer,
        kernel_constraint, recurrent_constraint, bias_constraint: as Dense's.
        dropout, recurrent_dropout: fractions of the inputs and of the
            previous output dropped (one mask per sequence).
        seed: seed of the dropout masks.

    Call: ``cell(inputs, [h, c], training=False)`` -> ``(h_new, [h_new, c_new])``.
    Weights: ``kernel (in, 4 * units)``, ``recurrent_kernel (units, 4 * units)``,
    ``bias (4 * units,)``, each the four gates i, f, c, o side by side.

    Example:
        >>> layer = RNN(LSTMCell(4))  # the same as LSTM(4)
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        kwargs.pop("implementation", None)  # Keras 2's kernel-layout switch: one layout here
        super().__init__(**kwargs)
        self.units = check_units(units)
        self.unit_forget_bias = unit_forget_bias
        init_cell_options(self, locals(), ("activation", "recurrent_activation"))
        self.state_size = [units, units]
        self.output_size = units

    def build(self, input_shape):
        build_lstm_weights(self, (input_shape[-1],), (self.units,), self.units)
        self.built = True

    def call(self, inputs, states, training=False):
        h_tm1, c_tm1 = states[0], states[1]
        inputs, h_tm1 = self._dropped(inputs, h_tm1, training)
        z = ops.add(ops.matmul(inputs, self.kernel.value),
                    ops.matmul(h_tm1, self.recurrent_kernel.value))
        bias = self.gate_bias()
        if bias is not None:
            z = ops.add(z, bias)
        return lstm_step(self, z, c_tm1, axis=-1)

    def gate_bias(self):
        """The bias added to the gates' pre-activations, ``(4 * units,)``, or None."""
        return None if self.bias is None else self.bias.value

    def get_config(self):
        return {**super().get_config(), "units": self.units, **lstm_options_config(self)}


def build_lstm_weights(cell, kernel_head, recurrent_head, units):
    """Adds the weights of an LSTM cell: ``kernel (*kernel_head, 4 * units)``,
    ``recurrent_kernel (*recurrent_head, 4 * units)`` and ``bias (4 * units,)``
    (gates i, f, c, o), the forget gate's bias 1 with `unit_forget_bias`."""
    bias_initializer = (
        ForgetBiasInitializer(cell.bias_initializer, units) if cell.unit_forget_bias else None
    )
    build_cell_weights(cell, tuple(kernel_head) + (4 * units,),
                       tuple(recurrent_head) + (4 * units,), (4 * units,), bias_initializer)


def lstm_step(cell, z, c_tm1, axis):
    """``(h, [h, c])`` from the gates' pre-activations `z` (i, f, c, o side by
    side along `axis`) and the previous cell state `c_tm1`."""
    z_i, z_f, z_c, z_o = ops.split(z, 4, axis=axis)
    i = cell.recurrent_activation(z_i)
    f = cell.recurrent_activation(z_f)
    c = ops.add(ops.multiply(f, c_tm1), ops.multiply(i, cell.activation(z_c)))
    o = cell.recurrent_activation(z_o)
    h = ops.multiply(o, cell.activation(c))
    return h, [h, c]


def lstm_options_config(cell):
    """The ``get_config`` entries every LSTM cell shares, after its size ones."""
    return {
        **activation_config(cell, ["activation", "recurrent_activation"]),
        "use_bias": cell.use_bias,
        "unit_forget_bias": cell.unit_forget_bias,
        **weight_options_config(cell),
        "dropout": cell.dropout,
        "recurrent_dropout": cell.recurrent_dropout,
        "seed": cell.seed,
    }


class ForgetBiasInitializer(initializers.Initializer):
    """The bias initializer's values with the forget gate's `units` entries,
    from `start` (default `units`: gates i, f, c, o), set to 1."""

    def __init__(self, base, units, start=None):
        self.base, self.units = base, units
        self.start = units if start is None else start

    def __call__(self, shape, dtype="float32"):
        import numpy as np

        values = np.array(self.base(shape, dtype=dtype))
        values[self.start:self.start + self.units] = 1
        return values


class LSTM(CellLayerMixin, RNN):
    """A long short-term memory layer: ``RNN(LSTMCell(units, ...))``.

    Takes ``LSTMCell``'s arguments, ``RNN``'s (``return_sequences``,
    ``return_state``, ``go_backwards``, ``stateful``, ``unroll``) and
    ``use_cudnn`` ("auto": use the adapter's fused ``lstm`` kernel when it
    has one, else the scan; False: always the scan; True: the fused kernel
    or an error). Weights: ``lstm/lstm_cell/kernel (in, 4u)``,
    ``.../recurrent_kernel (u, 4u)``, ``.../bias (4u,)``.

    Input ``(batch, timesteps, features)``; output ``(batch, units)``, or
    ``(batch, timesteps, units)`` with ``return_sequences``; with
    ``return_state``, ``[output, h, c]``.

    Raises:
        ValueError: the input is not 3-D (naming the layer and the shape).

    Example:
        >>> model = kfacade.Sequential([kfacade.Input((10, 8)), LSTM(16), Dense(1)])
    """

    _cell_class = LSTMCell
    _cell_name = "lstm_cell"

    def _fused_call(self, sequences, states, mask, training):
        cell = self.cell
        return call_fused_hook(self, "lstm", sequences, training, mask, lambda hook, inputs: hook(
            inputs, states[0], states[1], mask, cell.kernel.value,
            cell.recurrent_kernel.value, cell.gate_bias(),
            builtin_activation_name(cell.activation),
            builtin_activation_name(cell.recurrent_activation),
            return_sequences=self.return_sequences, go_backwards=self.go_backwards,
            unroll=self.unroll,
        ))


def builtin_activation_name(activation):
    """The name of `activation` when it is a built-in one (``kfacade.activations.tanh``
    or ``kfacade.ops.tanh``), else None: what a fused hook is told, so an adapter
    need not import kfacade to recognise the functions its kernel computes."""
    name = getattr(activation, "__name__", None)
    if not isinstance(name, str):
        return None
    try:
        builtin = activations.get(name)
    except ValueError:
        builtin = None
    return name if activation is builtin or activation is getattr(ops, name, None) else None


def call_fused_hook(layer, name, sequences, training, mask, call):
    """Runs the adapter's fused kernel `name` (``"lstm"``, ``"gru"``) for
    `layer`, by the rules of its `use_cudnn`: ``call(hook, inputs)`` with the
    input-dropped `sequences`, or None to run the generic scan (no hook,
    recurrent dropout in training, masked steps that must output zeros — which
    a hook's signature cannot express — or the hook raised NotImplementedError).

    Raises:
        ValueError: ``use_cudnn=True`` and the hook cannot be tried.
        NotImplementedError: ``use_cudnn=True`` and the hook cannot fuse this case.
    """
    cell = layer.cell
    hook = getattr(_B, name, None)
    zeros_at_masked_steps = mask is not None and getattr(layer, "zero_output_for_mask", False)
    if layer.use_cudnn is False or hook is None or (training and cell.recurrent_dropout > 0) \
            or zeros_at_masked_steps:
        if layer.use_cudnn is True:
            raise ValueError(
                f"Layer {layer.name!r}: use_cudnn=True needs the backend adapter's fused "
                f"`{name}` kernel and no recurrent dropout in training; the "
                f"{_B.name!r} adapter {'has none' if hook is None else 'cannot run this case'}."
            )
        return None
    inputs = _input_dropout(cell, sequences, training)
    try:
        return call(hook, inputs)
    except NotImplementedError:
        if layer.use_cudnn is True:
            raise
        return None


def _input_dropout(cell, sequences, training):
    """`sequences` times the cell's input dropout mask (the same at every step)."""
    if not (training and 0 < cell.dropout < 1):
        return sequences
    mask = cell.get_dropout_mask(ops.getitem(sequences, (slice(None), 0)))
    cell.reset_dropout_mask()
    return ops.multiply(sequences, ops.expand_dims(mask, 1))
