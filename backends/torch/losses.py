"""Fused loss kernels: the optional ``fused_sparse_categorical_crossentropy``
hook (``kfacade.backend.contract.OPTIONAL_HOOKS``).

kfacade's generic sparse cross-entropy picks each label's log-probability
with ``take_along_axis``: the label cast to int32 and back to int64, a
``where`` for negative labels, two expands and a ``gather`` forward, a
``neg`` and a ``squeeze``, and in the backward pass a zero matrix that
``scatter_add`` fills: eleven ops and four autograd nodes around the
``log_softmax``. ``F.nll_loss(reduction="none")`` picks and negates in one
kernel and one node. On the tiny benchmark step (Dense 8-8-2, batch 16) the
loss's forward and backward took about 60 us more than ``F.cross_entropy``'s.

The values are the generic path's bit for bit: ``nll_loss`` returns
``-log_prob[label]`` (the same float negation), and its gradient is ``-g`` at
each label's entry and zero elsewhere, as the gather's ``scatter_add`` into
zeros. Labels outside ``[0, classes)`` pick the class ``label mod classes``
(Python's modulo), as the generic ``take_along_axis`` does (negative labels
wrap as in NumPy, and torch's ``take_along_dim`` takes larger ones modulo
the size). A float label is truncated through int32, as the generic cast.
The generic path narrows int64 labels to int32 first; here they stay int64,
so only labels beyond int32's range (2**31 classes) could pick differently.

Declined (``NotImplementedError``; kfacade then runs its generic ops): an
axis other than the last, outputs that are not float32 / float64 (or are
DTensors, which the generic ops handle), boolean
or complex labels, labels whose shape is not the outputs' without the class
axis (the generic path broadcasts or names the mismatch), and labels on
another device.
"""
import torch
import torch.nn.functional as F

from kfacade.backend.config import epsilon as _epsilon

from ._helpers import _FUSED_DTYPES, _PLAIN_TENSORS

__all__ = ["fused_sparse_categorical_crossentropy", "fused_mean_sparse_categorical_crossentropy",
           "fused_mean_binary_crossentropy"]

_INTEGER_LABELS = (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8)


def _log_probabilities(target, output, from_logits, axis):
    """(log-probabilities, labels as int64 in ``[0, classes)``), each flat over
    the entries when the outputs have more than two axes; raises
    ``NotImplementedError`` for the declined cases (module docstring)."""
    if type(output) not in _PLAIN_TENSORS or type(target) not in _PLAIN_TENSORS \
            or output.dtype not in _FUSED_DTYPES:
        raise NotImplementedError("the fused cross-entropy takes float32 / float64 torch tensors")
    ndim = output.ndim
    if type(axis) is not int or ndim == 0 or axis not in (-1, ndim - 1):
        raise NotImplementedError("the fused cross-entropy takes the classes on the last axis")
    if target.shape != output.shape[:-1] or target.device != output.device:
        raise NotImplementedError("the fused cross-entropy takes one label per row, on one device")
    if target.dtype.is_floating_point:
        target = target.to(dtype=torch.int32)  # truncated as the generic cast
    elif target.dtype not in _INTEGER_LABELS:
        raise NotImplementedError("the fused cross-entropy takes integer or float labels")
    classes = output.shape[-1]
    if classes == 0:
        raise NotImplementedError("no class to pick")
    index = torch.remainder(target if target.dtype == torch.int64 else target.long(), classes)
    if from_logits:
        log_prob = torch.log_softmax(output, -1)
    else:  # the generic path's normalisation, clipping and log, op by op
        output = torch.div(output, torch.sum(output, -1, keepdim=True))
        log_prob = torch.log(torch.clamp(output, _epsilon(), 1.0 - _epsilon()))
    if ndim != 2:
        # nll_loss wants the classes at dim 1: rows of a flat (samples, classes) view.
        log_prob, index = log_prob.reshape(-1, classes), index.reshape(-1)
    return log_prob, index


def fused_sparse_categorical_crossentropy(target, output, from_logits, axis):
    log_prob, index = _log_probabilities(target, output, from_logits, axis)
    losses = F.nll_loss(log_prob, index, reduction="none")
    return losses if output.ndim == 2 else losses.reshape(target.shape)


def fused_mean_sparse_categorical_crossentropy(target, output, from_logits, axis):
    """The mean of ``fused_sparse_categorical_crossentropy`` over every entry,
    as ``nll_loss(reduction="mean")``: one kernel and one autograd node where
    the per-entry losses and ``mean`` take two of each. Its sum runs in
    another order than ``mean``'s (the loss may differ in its last bits;
    the gradient, ``-g / n`` at each label, is the same). No entries: declined
    (the generic mean of nothing is 0, ``nll_loss``'s NaN)."""
    if type(target) in _PLAIN_TENSORS and target.numel() == 0:
        raise NotImplementedError("no entries to average")
    log_prob, index = _log_probabilities(target, output, from_logits, axis)
    return F.nll_loss(log_prob, index)


def fused_mean_binary_crossentropy(target, output):
    """The mean binary cross-entropy of logits `output` against `target` over
    every entry, as ``binary_cross_entropy_with_logits(reduction="mean")``
    (Keras 3's torch backend computes it so too): one kernel call and one
    autograd node where the generic formula and ``mean`` take eight ops and
    nodes, about 65 against 20 us forward and backward for a (32, 1) batch.
    Its rounding bounds are the contract's (``OPTIONAL_HOOKS``)."""
    if type(output) not in _PLAIN_TENSORS or type(target) not in _PLAIN_TENSORS \
            or output.dtype not in _FUSED_DTYPES or target.dtype != output.dtype:
        raise NotImplementedError("the fused binary cross-entropy takes float32 / float64 tensors")
    if target.shape != output.shape or target.device != output.device:
        raise NotImplementedError("the fused binary cross-entropy takes targets of the outputs' shape")
    if output.ndim == 0 or output.numel() == 0:
        raise NotImplementedError("no batch of entries to average")
    return F.binary_cross_entropy_with_logits(output, target)
