"""Autodiff and training steps: eager torch, or torch.compile on request."""
import warnings

import torch

from .device import _current, device_scope
from .variables import variable_assign

__all__ = ["value_and_grad", "compile_function", "no_grad"]


def _map_tensors(fn, tree):
    """`tree` (nested lists, tuples, dicts) with `fn` applied to each of its tensors."""
    if isinstance(tree, torch.Tensor):
        return fn(tree)
    if isinstance(tree, list):
        return [_map_tensors(fn, item) for item in tree]
    if isinstance(tree, tuple):
        items = [_map_tensors(fn, item) for item in tree]
        return type(tree)(*items) if hasattr(tree, "_fields") else tuple(items)  # namedtuples
    if isinstance(tree, dict):
        return {key: _map_tensors(fn, value) for key, value in tree.items()}
    return tree


def _detached(tree):
    """`tree` with its tensors detached from the graph."""
    return _map_tensors(torch.Tensor.detach, tree)


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
            found = _gradients(loss, [values[i] for i in differentiable])
            for i, grad in zip(differentiable, found):
                grads[i] = grad
    finally:
        for value in switched_on:
            value.requires_grad_(False)
    grads = [
        torch.zeros_like(value) if grad is None else grad for value, grad in zip(values, grads)
    ]
    return (_detached(loss), _detached(aux)), grads


#: The function ``torch.autograd.grad`` ends in, which runs the C++ engine,
#: and dynamo's tracing flag (torch >= 2.3; before, grad() itself is called).
_engine_run_backward = getattr(torch.autograd.graph, "_engine_run_backward", None)
_is_compiling = getattr(torch.compiler, "is_compiling", None)
if _is_compiling is None:
    _engine_run_backward = None


def _gradients(loss, inputs):
    """``torch.autograd.grad(loss, inputs, allow_unused=True)``, a non-scalar
    `loss` differentiated as its sum.

    For a real scalar loss of plain tensors (no ``__torch_function__``
    subclass or mode), outside ``torch.compile``, the engine is run as
    ``grad()`` runs it, with the same seed (``ones_like(loss)``): grad()'s
    Python argument handling (tuple conversion, torch-function checks,
    ``_make_grads``'s shape and dtype validation of the seed) cost 24 us of a
    100 us backward pass of a Dense 8-8-2 step on one thread, and
    ``value_and_grad`` has already checked what they check (inputs are leaves
    that require grad; the loss requires grad).
    """
    if _engine_run_backward is not None and loss.ndim == 0 and loss.dtype.is_floating_point \
            and not torch.overrides.has_torch_function((loss, *inputs)) \
            and not _is_compiling():
        return _engine_run_backward(
            (loss,), (torch.ones_like(loss),), False, False, tuple(inputs), True,
            accumulate_grad=False)
    return torch.autograd.grad(
        loss, inputs, grad_outputs=None if loss.ndim == 0 else torch.ones_like(loss),
        allow_unused=True)


def _summary(error):
    """The first lines of an error message (dynamo's run long)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return " ".join(lines[:2])[:300]


def _to_device(data, device):
    """`data` with each tensor that sits elsewhere moved to `device`."""
    return _map_tensors(lambda x: x if x.device == device else x.to(device), data)


def _on_state_device(fn, state_variables):
    """`fn` run where its state lives: the device of the model's (trainable) variables.

    The other state variables (optimizer slots, metrics, seeds: made on the
    default device) are moved there once, in place. Batches from
    ``fit``/``evaluate``/``predict`` are NumPy arrays or native tensors:
    tensors on another device are moved there, and NumPy arrays are converted
    there where kfacade converts them (the current device is that device
    during the call; a float array still becomes the layer's compute dtype).
    A model spread over several devices (built under several
    ``kfacade.device`` scopes) runs under the first variable's device's
    scope, so an op mixing devices (a loss of outputs on one device and
    targets on another) runs there. With all state on the CPU and no GPU in
    the machine, no tensor can be elsewhere: `fn` itself is returned and a
    step costs nothing more.
    """
    devices = {variable.handle.device for variable in state_variables}
    if not devices or (devices == {torch.device("cpu")} and not torch.cuda.is_available()):
        return fn
    model_devices = {variable.handle.device for variable in state_variables
                     if getattr(variable, "trainable", True)}
    if len(model_devices) > 1:
        device = state_variables[0].handle.device

        def spread_step(data):
            with device_scope(device):
                return fn(_to_device(data, device))
        return spread_step
    device = model_devices.pop() if model_devices else state_variables[0].handle.device
    for variable in state_variables:
        handle = variable.handle
        if handle.device != device:
            handle.data = handle.data.to(device)  # in place: the Parameter stays itself

    def step(data):
        data = _to_device(data, device)
        previous = _current[0]
        if previous == device:
            return fn(data)
        _current[0] = device
        try:
            return fn(data)
        finally:
            _current[0] = previous

    return step


def compile_function(fn, state_variables, jit_compile):
    """`fn` itself when not `jit_compile` and everything is on the CPU of a
    machine without a GPU (torch runs eagerly: no per-step work added).

    With `jit_compile`, ``torch.compile(fn)``. If compiling fails on the first
    call, the variables in `state_variables` are restored to their values
    before that call (a partly run graph may have assigned some), a warning
    is issued, and the step runs eagerly from then on. Either way the step
    runs on the device of the state variables (see ``_on_state_device``).
    """
    state_variables = list(state_variables)
    if jit_compile is not True:  # False, or "auto": eager is torch's fast default (Keras 3's too)
        return _on_state_device(fn, state_variables)
    try:
        compiled = torch.compile(fn)
    except Exception as error:  # e.g. a platform torch.compile does not support
        warnings.warn(
            f"torch.compile is unavailable ({type(error).__name__}: {_summary(error)}); "
            f"the step runs eagerly.",
            RuntimeWarning,
            stacklevel=2,
        )
        return _on_state_device(fn, state_variables)
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

    return _on_state_device(step, state_variables)


def no_grad():
    """torch.no_grad(): optimizer and metric updates build no autograd graph."""
    return torch.no_grad()
