"""Fused recurrent kernels: the optional ``lstm`` and ``gru`` hooks.

``kfacade.layers.LSTM`` / ``GRU`` hand the whole sequence to these hooks
(signatures in ``kfacade/layers/rnn/lstm.py`` and ``gru.py``); they run
torch's own fused loop (``torch._VF.lstm`` / ``torch._VF.gru``, the kernels
behind ``torch.nn.LSTM`` / ``torch.nn.GRU``: one input projection for the
whole sequence, then a C++ loop, with cuDNN on CUDA) instead of kfacade's
Python scan of ``kfacade.ops`` calls.

The weights stay kfacade's Parameters: the torch layouts are built from them
by autograd ops (transposes, slices, ``cat``) on every call, so gradients
reach the Variables. Layout mapping:

- LSTM: Keras's gates i, f, c, o are torch's i, f, g, o.
  ``weight_ih = kernel.T``, ``weight_hh = recurrent_kernel.T``,
  ``bias_ih = bias``, ``bias_hh = 0``.
- GRU (``reset_after=True`` only, which is torch's formula): Keras's gates
  z, r, h are torch's r, z, n after reordering to r, z, h;
  ``bias (2, 3u)`` row 0 is ``bias_ih``, row 1 ``bias_hh``.
  ``reset_after=False`` applies the reset gate before the recurrent matmul,
  which torch has no kernel for.

A mask is fused only when it is right-padded (every row is some True
steps, then only False) with at least one True step per row: the rows are
packed (``PackedSequence``) and the masked-step rule of ``RNN`` (states
kept, the previous output repeated; with ``go_backwards`` the leading
masked steps output zeros) is rebuilt around torch's output. Anything else
raises ``NotImplementedError`` and the layer runs its generic scan:
activations other than tanh / sigmoid, other masks, half dtypes torch has
no kernel for (float16 on the CPU), operands on different devices.

Half dtypes (a mixed policy's bfloat16 / float16 layer) run torch's half
kernels, which sum each gate in float32 where the scan rounds after every
op: both stay within the half dtype's rounding of the float32 layer
(``tests/test_fused_rnn.py`` states the bound), but they are not equal to
each other as the float32 results are.
"""
import torch
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from ._helpers import _FUSED_DTYPES

__all__ = ["lstm", "gru"]


def _check_fusable(activation, recurrent_activation, tensors):
    """Raises NotImplementedError unless torch's kernel computes exactly this.

    `activation` and `recurrent_activation` are the names kfacade passes for
    its built-in activations (None for any other callable).
    """
    if activation != "tanh" or recurrent_activation != "sigmoid":
        raise NotImplementedError("torch's fused RNN kernels need tanh and sigmoid activations")
    first = tensors[0]
    for tensor in tensors:
        if not isinstance(tensor, torch.Tensor):
            raise NotImplementedError("fused RNN kernels take torch tensors")
        if tensor.dtype != first.dtype or tensor.device != first.device:
            raise NotImplementedError("fused RNN kernels need one dtype and one device")
    if first.dtype not in _FUSED_DTYPES and not _half_kernel(first):
        raise NotImplementedError(f"no fused RNN kernel for {first.dtype} on {first.device.type}")


def _half_kernel(tensor):
    """Whether torch has a half-precision RNN kernel for `tensor`'s dtype and
    device: cuDNN's float16 and bfloat16, oneDNN's bfloat16 on the CPU (its
    float16 LSTM fails to build a primitive)."""
    if tensor.dtype is torch.bfloat16:
        return True
    return tensor.dtype is torch.float16 and tensor.is_cuda


def _lengths(mask, timesteps):
    """Per-row lengths (a CPU int64 tensor) of a right-padded `mask`, or None
    when no step is masked; raises NotImplementedError for any other mask."""
    if mask is None:
        return None
    if not isinstance(mask, torch.Tensor):
        raise NotImplementedError("fused RNN kernels take a torch mask")
    mask = mask.to(dtype=torch.bool)
    lengths = mask.sum(dim=1)
    steps = torch.arange(timesteps, device=mask.device)
    right_padded = torch.equal(mask, steps < lengths[:, None])  # one host sync
    lengths = lengths.cpu()
    if not right_padded or bool((lengths == 0).any()):
        raise NotImplementedError("fused RNN kernels need right-padded masks with no empty row")
    if bool((lengths == timesteps).all()):
        return None
    return lengths


def _reverse_valid(inputs, lengths):
    """Each row's first `lengths[b]` steps reversed in place (padding left where it is)."""
    timesteps = inputs.shape[1]
    steps = torch.arange(timesteps, device=inputs.device)
    lengths = lengths.to(inputs.device)[:, None]
    index = torch.where(steps < lengths, lengths - 1 - steps, steps)
    return torch.gather(inputs, 1, index[:, :, None].expand(-1, -1, inputs.shape[2]))


def _run(kernel_fn, inputs, hidden, params, has_biases, lengths):
    """``(outputs (batch, time, u), final hidden)`` from ``torch._VF.lstm/gru``;
    `hidden` is a tuple of ``(1, batch, u)`` states (LSTM: h, c; GRU: h)."""
    train = torch.is_grad_enabled()  # mkldnn keeps its backward workspace only when training
    single = len(hidden) == 1  # torch's GRU takes its state bare, the LSTM's as a tuple
    if lengths is None:
        results = kernel_fn(inputs, hidden[0] if single else hidden, params, has_biases, 1, 0.0,
                            train, False, True)
        return results[0], results[1:]
    packed = pack_padded_sequence(inputs, lengths, batch_first=True, enforce_sorted=False)
    sorted_hidden = tuple(h.index_select(1, packed.sorted_indices) for h in hidden)
    results = kernel_fn(packed.data, packed.batch_sizes, sorted_hidden[0] if single else sorted_hidden,
                        params, has_biases, 1, 0.0, train, False)
    outputs, _ = pad_packed_sequence(
        PackedSequence(results[0], packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices),
        batch_first=True, total_length=inputs.shape[1])
    return outputs, tuple(h.index_select(1, packed.unsorted_indices) for h in results[1:])


def _fused(kernel_fn, inputs, states, params, has_biases, mask, return_sequences, go_backwards):
    """``(last_output, outputs, final states)`` by the rules of ``RNN``."""
    timesteps = inputs.shape[1]
    lengths = _lengths(mask, timesteps)
    if go_backwards:
        inputs = torch.flip(inputs, (1,)) if lengths is None else _reverse_valid(inputs, lengths)
    hidden = tuple(state.unsqueeze(0) for state in states)
    if inputs.is_cuda:  # cuDNN views its weights flat: transposed views must be copied
        params = [p.contiguous() for p in params]
        hidden = tuple(h.contiguous() for h in hidden)
    outputs, final = _run(kernel_fn, inputs, hidden, params, has_biases, lengths)
    final = [state.squeeze(0) for state in final]
    last_output = final[0]  # the output of the last unmasked step is its h
    if lengths is not None and return_sequences:
        steps = torch.arange(timesteps, device=inputs.device)
        lengths = lengths.to(inputs.device)[:, None]
        if go_backwards:
            # Processing order: the T - length masked steps come first and
            # output the zero initial output; then the reversed valid steps.
            start = timesteps - lengths
            index = (steps - start).clamp(min=0)
            shifted = torch.gather(outputs, 1, index[:, :, None].expand_as(outputs))
            outputs = torch.where((steps >= start)[:, :, None], shifted, torch.zeros_like(shifted))
        else:
            # Masked (trailing) steps repeat the last unmasked output.
            outputs = torch.where((steps < lengths)[:, :, None], outputs, last_output[:, None, :])
    return last_output, outputs, final


def lstm(inputs, initial_state_h, initial_state_c, mask, kernel, recurrent_kernel, bias,
         activation, recurrent_activation, return_sequences=False, go_backwards=False,
         unroll=False):
    """A Keras LSTM over batch-major `inputs` with torch's fused kernel.

    Args and returns: see ``kfacade/layers/rnn/lstm.py``. `unroll` changes
    no result and is ignored.

    Raises:
        NotImplementedError: a case torch's kernel does not compute exactly.
    """
    tensors = [inputs, initial_state_h, initial_state_c, kernel, recurrent_kernel]
    if bias is not None:
        tensors.append(bias)
    _check_fusable(activation, recurrent_activation, tensors)
    params = [kernel.t(), recurrent_kernel.t()]
    if bias is not None:
        params += [bias, torch.zeros_like(bias)]
    return _fused(torch._VF.lstm, inputs, (initial_state_h, initial_state_c), params,
                  bias is not None, mask, return_sequences, go_backwards)


def gru(inputs, initial_state, mask, kernel, recurrent_kernel, bias, activation,
        recurrent_activation, return_sequences=False, go_backwards=False, unroll=False,
        reset_after=True):
    """A Keras GRU (``reset_after=True``) over batch-major `inputs` with torch's fused kernel.

    Args and returns: see ``kfacade/layers/rnn/gru.py``.

    Raises:
        NotImplementedError: ``reset_after=False`` (not torch's formula), or a
            case torch's kernel does not compute exactly.
    """
    if not reset_after:
        raise NotImplementedError("torch's GRU applies the reset gate after the matmul only")
    tensors = [inputs, initial_state, kernel, recurrent_kernel]
    if bias is not None:
        tensors.append(bias)
    _check_fusable(activation, recurrent_activation, tensors)
    units = recurrent_kernel.shape[0]

    def torch_order(weights):  # Keras z, r, h -> torch r, z, n (on the last axis)
        z, r, h = weights.split(units, dim=-1)
        return torch.cat((r, z, h), dim=-1)

    params = [torch_order(kernel).t(), torch_order(recurrent_kernel).t()]
    if bias is not None:
        ordered = torch_order(bias)
        params += [ordered[0], ordered[1]]
    last_output, outputs, final = _fused(torch._VF.gru, inputs, (initial_state,), params,
                                         bias is not None, mask, return_sequences, go_backwards)
    return last_output, outputs, final
