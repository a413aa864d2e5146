"""The optional ``lstm`` hook (``kfacade.backend.contract.OPTIONAL_HOOKS``) on TensorFlow.

TensorFlow has no fused LSTM kernel on the CPU. What a hand-written TF loop
does, and the generic scan over ``LSTMCell`` does not, is project every
step's input in one matmul before the loop (``x @ kernel + bias`` over the
whole sequence), so that each step multiplies only the state: one small
matmul a step instead of two, and one large one for the kernel's gradient
instead of a small one per step. An Embedding-LSTM(128) step over 80
timesteps on a 2-core EPYC without AVX-512 took 1.12-1.15x the native TF
loop's time through the scan, 0.94-0.97x here. (The same hoist in the generic
scan made the JAX step 25-35% slower, measured; why is not established, a
guess is that XLA already merges the per-step ``x_t @ W`` and ``h @ U``.)

The rest is the scan's own arithmetic, op for op: the same loop
(``core.scan``), the gates i, f, c, o from one split, ``c = f * c + i *
tanh(z_c)`` and ``h = o * tanh(c)``. Only the bias is added before the
state's product rather than after it, which changes a sum's rounding by at
most an ulp. Declined (``NotImplementedError``, the layer then scans): other
activations than tanh and sigmoid, a mask, and dtypes other than float32 and
float64.
"""
import tensorflow as tf

from .core import scan
from .numpy import matmul
from .variables import convert_to_tensor

__all__ = ["lstm"]

_DTYPES = (tf.float32, tf.float64)


def lstm(inputs, initial_state_h, initial_state_c, mask, kernel, recurrent_kernel, bias,
         activation, recurrent_activation, return_sequences=False, go_backwards=False,
         unroll=False):
    """A Keras LSTM over batch-major `inputs`, its input projection hoisted out of the loop.

    Args and returns: see ``kfacade.backend.contract.OPTIONAL_HOOKS["lstm"]``.

    Raises:
        NotImplementedError: another activation, a mask, or a dtype other
            than float32 / float64 (module docstring).
    """
    if activation != "tanh" or recurrent_activation != "sigmoid":
        raise NotImplementedError("the TensorFlow lstm hook computes tanh and sigmoid only")
    if mask is not None:
        raise NotImplementedError("the TensorFlow lstm hook takes no mask")
    inputs, kernel, recurrent_kernel = (convert_to_tensor(t) for t in (inputs, kernel, recurrent_kernel))
    h, c = convert_to_tensor(initial_state_h), convert_to_tensor(initial_state_c)
    tensors = [inputs, kernel, recurrent_kernel, h, c]
    if bias is not None:
        bias = convert_to_tensor(bias)
        tensors.append(bias)
    if inputs.dtype not in _DTYPES or any(t.dtype != inputs.dtype for t in tensors):
        raise NotImplementedError("the TensorFlow lstm hook takes float32 or float64 tensors of one dtype")
    projected = matmul(inputs, kernel)
    if bias is not None:
        projected = projected + bias
    time_major = tf.transpose(projected, (1, 0, 2))

    def step(carry, z_x):
        h_tm1, c_tm1 = carry
        z_i, z_f, z_c, z_o = tf.split(z_x + matmul(h_tm1, recurrent_kernel), 4, axis=-1)
        c_t = tf.sigmoid(z_f) * c_tm1 + tf.sigmoid(z_i) * tf.tanh(z_c)
        h_t = tf.sigmoid(z_o) * tf.tanh(c_t)
        return (h_t, c_t), (h_t if return_sequences else None)

    steps = inputs.shape[1]
    (h, c), outputs = scan(step, (h, c), time_major, reverse=go_backwards,
                           unroll=steps if unroll and steps is not None else 1)
    if outputs is not None:
        if go_backwards:  # processing order, as the generic scan returns it
            outputs = tf.reverse(outputs, [0])
        outputs = tf.transpose(outputs, (1, 0, 2))
    return h, outputs, [h, c]
