"""Fused affine kernels: the optional ``fused_dense`` and ``fused_conv``
hooks (``kfacade.backend.contract.OPTIONAL_HOOKS``).

``kfacade.layers.Dense`` computes ``inputs @ kernel + bias`` as two ops: a
``matmul`` and a broadcast ``add``, two dispatches and two autograd nodes.
``torch.addmm`` (``nn.Linear``'s kernel) adds the bias inside the GEMM: one
dispatch and one node, and the backward reduces the bias gradient in the
same node. On the eager benchmark (Dense 16-32-2, one sample) the two ops
took about 3.5 us more per layer than ``addmm``; the tiny training step
(Dense 8-8-2) runs two layers forward and backward on every step.

A convolution layer's bias ``add`` writes a second output-sized tensor (19
MB per Conv2D(64) of the CNN benchmark's batch, freshly allocated, so paged
in, every step) and reads it back; ``F.conv2d`` takes the bias and adds it
in the convolution's own output pass, as ``nn.Conv2d`` does.

The kernels add the bias in their own summation order, so results differ
from the generic path's at float32 rounding (the contracts' bound). A mixed
policy's layer hands them half tensors (its variables read in the compute
dtype): they add the bias before rounding once to the half dtype, where the
generic matmul and add round twice, so results differ by the half dtype's
rounding (the contracts' half-dtype bound).

Declined (``NotImplementedError``; kfacade then runs the generic ops):
tensors that are not plain torch tensors of one floating dtype (integer
inputs, half inputs with float32 weights, DTensors), tensors on different
devices, and a bias that is not the kernel's output-channel vector.
"""
import torch
import torch.nn.functional as F

from ._helpers import _FUSED_DTYPES, _PLAIN_TENSORS
from .nn import _conv

__all__ = ["fused_dense", "fused_conv", "dense_kernel_layout"]


#: The affine hooks also take a mixed policy's half dtypes: the kernels add the
#: bias before their one rounding, where the generic matmul and add round twice.
_AFFINE_DTYPES = _FUSED_DTYPES + (torch.float16, torch.bfloat16)


def _check_fusable(inputs, kernel, bias):
    if (type(inputs) not in _PLAIN_TENSORS or type(kernel) not in _PLAIN_TENSORS
            or type(bias) not in _PLAIN_TENSORS):
        raise NotImplementedError("fused affine kernels take plain torch tensors")
    dtype = inputs.dtype
    if dtype not in _AFFINE_DTYPES or kernel.dtype is not dtype or bias.dtype is not dtype:
        raise NotImplementedError("fused affine kernels take float tensors of one dtype")
    if bias.dim() != 1 or bias.shape[0] != kernel.shape[-1]:
        raise NotImplementedError("fused affine kernels take the kernel's output-channel bias")
    device = inputs.device
    if kernel.device != device or bias.device != device:
        raise NotImplementedError("fused affine kernels take tensors on one device")


def fused_dense(inputs, kernel, bias):
    _check_fusable(inputs, kernel, bias)
    if kernel.dim() != 2:
        raise NotImplementedError("fused dense takes a 2-D kernel")
    rank = inputs.dim()
    if rank == 2:
        return torch.addmm(bias, inputs, kernel)
    if rank < 2:
        raise NotImplementedError("fused dense takes inputs of rank 2 or more")
    return F.linear(inputs, kernel.t(), bias)


def dense_kernel_layout(handle):
    """A 2-D Parameter re-laid column-major in place: ``addmm`` then reads the
    kernel as ``nn.Linear``'s ``weight.t()`` (a "transposed B" GEMM), which for
    few output units ran 2x faster (the mnist MLP's 512 -> 10 layer at batch
    128: 94 -> 47.5 us forward, 283 -> 134 us forward and backward); as fast
    elsewhere. The backward of ``addmm`` gives the kernel's gradient in the
    same order."""
    if type(handle) is not torch.nn.Parameter or handle.dim() != 2 or handle.stride(0) == 1:
        return
    handle.data = handle.data.t().contiguous().t()


def fused_conv(inputs, kernel, bias, strides, padding, data_format, dilation_rate, groups):
    _check_fusable(inputs, kernel, bias)
    return _conv(inputs, kernel, bias, strides, padding, data_format, dilation_rate, groups)
