"""The fused dense kernel: the optional ``fused_dense`` hook
(``kfacade.backend.contract.OPTIONAL_HOOKS``).

``kfacade.layers.Dense`` computes ``inputs @ kernel + bias`` as two ops: a
``matmul`` and a broadcast ``add``, two dispatches and two autograd nodes.
``torch.addmm`` (``nn.Linear``'s kernel) adds the bias inside the GEMM: one
dispatch and one node, and the backward reduces the bias gradient in the
same node. On the eager benchmark (Dense 16-32-2, one sample) the two ops
took about 3.5 us more per layer than ``addmm``; the tiny training step
(Dense 8-8-2) runs two layers forward and backward on every step.

The BLAS adds the bias to the products' sum in its own order, so results
differ from the generic path's at float32 rounding (the contract's bound).

Declined (``NotImplementedError``; kfacade then runs ``matmul`` + ``add``):
tensors that are not plain torch tensors of one floating dtype, float32 or
float64 (integer inputs, mixed precision's half inputs with float32
weights, DTensors), tensors on different devices, and a bias that is not the
kernel's column vector.
"""
import torch
import torch.nn.functional as F

__all__ = ["fused_dense"]

_FUSED_DTYPES = (torch.float32, torch.float64)
#: Dense tensors of one process (a DTensor, model-parallel, takes the generic ops).
_PLAIN_TENSORS = (torch.Tensor, torch.nn.Parameter)


def fused_dense(inputs, kernel, bias):
    if (type(inputs) not in _PLAIN_TENSORS or type(kernel) not in _PLAIN_TENSORS
            or type(bias) not in _PLAIN_TENSORS):
        raise NotImplementedError("fused dense takes plain torch tensors")
    dtype = inputs.dtype
    if dtype not in _FUSED_DTYPES or kernel.dtype is not dtype or bias.dtype is not dtype:
        raise NotImplementedError("fused dense takes float32 / float64 tensors of one dtype")
    if kernel.dim() != 2 or bias.shape != kernel.shape[1:]:
        raise NotImplementedError("fused dense takes a 2-D kernel and its column bias")
    device = inputs.device
    if kernel.device != device or bias.device != device:
        raise NotImplementedError("fused dense takes tensors on one device")
    rank = inputs.dim()
    if rank == 2:
        return torch.addmm(bias, inputs, kernel)
    if rank < 2:
        raise NotImplementedError("fused dense takes inputs of rank 2 or more")
    return F.linear(inputs, kernel.t(), bias)
