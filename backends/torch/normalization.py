"""Fused normalization kernels: the optional ``fused_batch_normalization`` and
``fused_layer_normalization`` hooks (``kfacade.backend.contract.OPTIONAL_HOOKS``).

``kfacade.layers.BatchNormalization`` / ``LayerNormalization`` build their
normalization from several ops (``moments``, subtract, multiply, add), each
a pass over the input forward and backward; ``torch.nn.functional``'s
``batch_norm`` / ``layer_norm`` do it in one kernel each way.

Batch normalization, training: ``F.batch_norm`` normalizes with the batch's
mean and biased variance, as kfacade; but it would move its running variance
towards the *unbiased* one, where Keras moves the moving variance towards the
biased one. So the kernel gets fresh buffers and torch momentum 1.0, which
leaves in them this batch's mean and unbiased variance (the statistics it
computed anyway: a separate ``torch.var_mean`` over the non-feature axes
costs as much as the kernel's whole forward and backward on NHWC input);
the biased variance is ``unbiased * (n - 1) / n`` (one more float rounding
than the generic path's ``sum / n``), and the moving statistics are moved as
kfacade's generic path does, ``moving * momentum + batch * (1 - momentum)``
(Keras's `momentum` weighs the old value, torch's the new), outside
autograd: a variable's assignment records no history in the generic path
either.

Batch normalization also takes a mixed policy's half inputs with its float32
parameters: ``F.batch_norm`` computes the statistics and the normalization
in float32 and writes half outputs, what the layer's upcast, float32 kernel
and cast back compute, without the two cast passes.

Declined (``NotImplementedError``, kfacade then runs its generic ops):
several feature axes (batch norm), tensors of different dtypes or devices
(but batch norm's half inputs with float32 parameters), dtypes other than
float32 / float64, and batch-norm training with one value per channel
(torch's kernel raises there; the generic path gives ``beta``).
"""
import torch
import torch.nn.functional as F

from ._helpers import _FUSED_DTYPES

__all__ = ["fused_batch_normalization", "fused_layer_normalization"]


_HALF = (torch.float16, torch.bfloat16)


def _check_fusable(inputs, *others, half_inputs=False):
    """Raises NotImplementedError unless `inputs` and `others` (parameters or
    None) are torch tensors on one device in one float32 / float64 dtype, or
    (`half_inputs`) half `inputs` with float32 parameters."""
    if not isinstance(inputs, torch.Tensor):
        raise NotImplementedError("fused normalization takes torch tensors")
    dtype = inputs.dtype
    if half_inputs and dtype in _HALF:
        dtype = torch.float32  # torch's kernels normalize in the parameters' float32
    elif dtype not in _FUSED_DTYPES:
        raise NotImplementedError("fused normalization takes float32 / float64 torch tensors")
    for other in others:
        if other is None:
            continue
        if (not isinstance(other, torch.Tensor) or other.dtype != dtype
                or other.device != inputs.device):
            raise NotImplementedError("fused normalization needs one dtype and one device")


def fused_batch_normalization(inputs, axis, gamma, beta, moving_mean, moving_variance, momentum,
                              epsilon, training):
    _check_fusable(inputs, gamma, beta, moving_mean, moving_variance, half_inputs=True)
    ndim = inputs.ndim
    if len(axis) != 1 or ndim < 2 or inputs.numel() == 0:
        raise NotImplementedError("torch's batch_norm normalizes one feature axis")
    channel_axis = axis[0] % ndim
    # torch wants the features at dim 1; for NHWC input the moved view is a
    # channels-last NCHW tensor, which the kernel reads in place.
    x = inputs if channel_axis == 1 else inputs.movedim(channel_axis, 1)
    if not training:
        outputs = F.batch_norm(x, moving_mean, moving_variance, gamma, beta, False, 0.0, epsilon)
        new_mean = new_variance = None
    else:
        if inputs.numel() == x.shape[1]:
            raise NotImplementedError("torch's batch_norm needs more than one value per channel")
        # With torch's momentum 1.0 the kernel's running buffers receive this
        # batch's statistics themselves (``1 * batch + 0 * buffer``): the mean
        # as it normalized with, the variance unbiased, ``sum / (n - 1)``.
        mean = torch.zeros_like(moving_mean)
        unbiased_variance = torch.zeros_like(moving_variance)
        outputs = F.batch_norm(x, mean, unbiased_variance, gamma, beta, True, 1.0, epsilon)
        with torch.no_grad():
            count = inputs.numel() // x.shape[1]
            variance = unbiased_variance * ((count - 1) / count)  # Keras's: biased
            new_mean = moving_mean * momentum + mean * (1.0 - momentum)
            new_variance = moving_variance * momentum + variance * (1.0 - momentum)
    if channel_axis != 1:
        outputs = outputs.movedim(1, channel_axis)
    return outputs, new_mean, new_variance


def fused_layer_normalization(inputs, axis, gamma, beta, epsilon):
    _check_fusable(inputs, gamma, beta)
    ndim = inputs.ndim
    axes = sorted(a % ndim for a in axis)
    if axes != list(range(ndim - len(axes), ndim)):
        raise NotImplementedError("torch's layer_norm normalizes the last axes only")
    return F.layer_norm(inputs, inputs.shape[ndim - len(axes):], gamma, beta, epsilon)
