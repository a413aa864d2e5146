"""Keras 2's ``CuDNNGRU`` and ``CuDNNLSTM``: GRU and LSTM in cuDNN's weight layout.

Keras 2 ran them only on an NVIDIA GPU, through cuDNN. Here they run on
every backend and device: the adapter's fused ``gru``/``lstm`` kernel where
it has one, else the scan, as ``GRU`` and ``LSTM`` do. Their arguments,
config and weights are Keras 2's, so its programs and its ``.h5`` files
(weights and whole models) load as they are:

- ``CuDNNGRU`` is ``GRU(reset_after=True)`` (tanh, sigmoid) with its bias
  flat: ``bias (6u,)``, the input bias then the recurrent bias.
- ``CuDNNLSTM`` is ``LSTM`` (tanh, sigmoid) with an input and a recurrent
  bias, added: ``bias (8u,)``. ``unit_forget_bias`` sets the recurrent
  half's forget gate to 1, where Keras 2 put it.

Neither takes activations or dropout (cuDNN fixes the first and has none of
the second), as in Keras 2. Unlike Keras 2 they accept a mask.
"""
from kfacade import ops
from kfacade.layers.rnn.cell_base import build_cell_weights
from kfacade.layers.rnn.gru import GRU, GRUCell
from kfacade.layers.rnn.lstm import LSTM, ForgetBiasInitializer, LSTMCell

#: Cell config entries a cuDNN layer fixes: Keras 2's config has none of them.
_FIXED = ("activation", "recurrent_activation", "use_bias", "dropout", "recurrent_dropout",
          "seed", "reset_after")


class _Keras2Config:
    """The cell's config without the options a cuDNN layer fixes (``_FIXED``)."""

    def get_config(self):
        return {key: value for key, value in super().get_config().items() if key not in _FIXED}


class _CuDNNLSTMCell(_Keras2Config, LSTMCell):
    """``LSTMCell`` with cuDNN's two biases; takes only Keras 2 CuDNNLSTM's arguments."""

    def __init__(self, units, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(
            units, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, **kwargs)

    def build(self, input_shape):
        units = self.units
        bias_initializer = (ForgetBiasInitializer(self.bias_initializer, units, start=5 * units)
                            if self.unit_forget_bias else None)
        build_cell_weights(self, (input_shape[-1], 4 * units), (units, 4 * units),
                           (8 * units,), bias_initializer)
        self.built = True

    def gate_bias(self):
        input_bias, recurrent_bias = ops.split(self.bias.value, 2)
        return ops.add(input_bias, recurrent_bias)


class _CuDNNGRUCell(_Keras2Config, GRUCell):
    """``GRUCell(reset_after=True)`` with a flat bias; takes only Keras 2 CuDNNGRU's arguments."""

    def __init__(self, units, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(
            units, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            reset_after=True, **kwargs)

    def build(self, input_shape):
        units = self.units
        build_cell_weights(self, (input_shape[-1], 3 * units), (units, 3 * units), (6 * units,))
        self.built = True

    def gate_bias(self):
        return ops.reshape(self.bias.value, (2, 3 * self.units))


class CuDNNLSTM(LSTM):
    """Keras 2's cuDNN LSTM, on any device: ``LSTM`` with ``bias (8u,)``.

    Args: ``units``, the initializers, regularizers and constraints of
    ``LSTM``, ``unit_forget_bias``, and ``RNN``'s ``return_sequences``,
    ``return_state``, ``go_backwards``, ``stateful``.
    Weights: ``kernel (in, 4u)``, ``recurrent_kernel (u, 4u)``, ``bias (8u,)``
    (input bias, recurrent bias; gates i, f, c, o in each).

    Example:
        >>> outputs = CuDNNLSTM(4)(np.zeros((2, 5, 3), "float32"))  # (2, 4)
    """

    _cell_class = _CuDNNLSTMCell
    _cell_name = "cudnn_lstm_cell"


class CuDNNGRU(GRU):
    """Keras 2's cuDNN GRU, on any device: ``GRU(reset_after=True)`` with ``bias (6u,)``.

    Args: ``units``, the initializers, regularizers and constraints of
    ``GRU``, and ``RNN``'s ``return_sequences``, ``return_state``,
    ``go_backwards``, ``stateful``.
    Weights: ``kernel (in, 3u)``, ``recurrent_kernel (u, 3u)``, ``bias (6u,)``
    (input bias, recurrent bias; gates z, r, h in each).

    Example:
        >>> outputs = CuDNNGRU(4, return_sequences=True)(np.zeros((2, 5, 3), "float32"))
    """

    _cell_class = _CuDNNGRUCell
    _cell_name = "cudnn_gru_cell"
