"""Autodiff and training steps: eager torch, or torch.compile on request."""
import warnings

import torch

from .variables import variable_assign

__all__ = ["value_and_grad", "compile_function", "no_grad"]


def _detached(tree):
    """`tree` (nested lists, tuples, dicts) with its tensors detached from the graph."""
    if isinstance(tree, torch.Tensor):
        return tree.detach()
    if isinstance(tree, list):
        return [_detached(item) for item in tree]
    if isinstance(tree, tuple):
        items = [_detached(item) for item in tree]
        return type(tree)(*items) if hasattr(tree, "_fields") else tuple(items)  # namedtuples
    if isinstance(tree, dict):
        return {key: _detached(value) for key, value in tree.items()}
    return tree


def value_and_grad(fn, variables):
    """Gradients by ``torch.autograd.grad`` with respect to each variable's current value.

    A trainable float Parameter whose ``requires_grad`` was switched off is
    switched back on. A non-scalar loss is differentiated as its sum. The
    returned loss and aux are detached, so later ops on them (metrics) build
    no graph.
    """
    values, switched_on = [], []
    for variable in variables:
        value = variable.value
        if not value.requires_grad and value.is_leaf and value.dtype.is_floating_point:
            value.requires_grad_(True)
            if not getattr(variable, "trainable", True):
                switched_on.append(value)  # asked for, but only for this call
        values.append(value)
    grads = [None] * len(values)
    try:
        with torch.enable_grad():
            loss, aux = fn()
        differentiable = [i for i, value in enumerate(values) if value.requires_grad]
        if differentiable and isinstance(loss, torch.Tensor) and loss.requires_grad:
            found = torch.autograd.grad(
                loss,
                [values[i] for i in differentiable],
                grad_outputs=None if loss.ndim == 0 else torch.ones_like(loss),
                allow_unused=True,
            )
            for i, grad in zip(differentiable, found):
                grads[i] = grad
    finally:
        for value in switched_on:
            value.requires_grad_(False)
    grads = [
        torch.zeros_like(value) if grad is None else grad for value, grad in zip(values, grads)
    ]
    return (_detached(loss), _detached(aux)), grads


def _summary(error):
    """The first lines of an error message (dynamo's run long)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return " ".join(lines[:2])[:300]


def compile_function(fn, state_variables, jit_compile):
    """`fn` itself when not `jit_compile` (torch runs eagerly: no per-step work added).

    With `jit_compile`, ``torch.compile(fn)``. If compiling fails on the first
    call, the variables in `state_variables` are restored to their values
    before that call (a partly run graph may have assigned some), a warning
    is issued, and the step runs eagerly from then on.
    """
    if jit_compile is not True:  # False, or "auto": eager is torch's fast default (Keras 3's too)
        return fn
    try:
        compiled = torch.compile(fn)
    except Exception as error:  # e.g. a platform torch.compile does not support
        warnings.warn(
            f"torch.compile is unavailable ({type(error).__name__}: {_summary(error)}); "
            f"the step runs eagerly.",
            RuntimeWarning,
            stacklevel=2,
        )
        return fn
    current = None

    def first_call(data):
        nonlocal current
        saved = [(variable, variable.handle.detach().clone()) for variable in state_variables]
        try:
            logs = compiled(data)
        except Exception as error:
            for variable, value in saved:
                variable_assign(variable.handle, value)
            warnings.warn(
                f"torch.compile failed on the first step ({type(error).__name__}: "
                f"{_summary(error)}); the step runs eagerly from now on.",
                RuntimeWarning,
                stacklevel=2,
            )
            current = fn
            return fn(data)
        current = compiled
        return logs

    current = first_call

    def step(data):
        return current(data)

    return step


def no_grad():
    """torch.no_grad(): optimizer and metric updates build no autograd graph."""
    return torch.no_grad()
