"""Autodiff and compiled steps: stateful kfacade code made pure with StatelessScope."""
import contextlib

import jax
import jax.numpy as jnp

from kfacade.backend.state import StatelessScope, compiled_step_trace

from .device import device_count, place_on, single_device

__all__ = ["value_and_grad", "compile_function", "no_grad"]


def value_and_grad(fn, variables):
    """See the contract. Works eagerly and inside an enclosing StatelessScope.

    `fn` runs as a pure function of the variables' values; assignments it
    makes (BatchNorm statistics, seed states) are replayed afterwards with
    ``Variable.assign``, so they land in the caller's scope or variable. A
    variable of non-float dtype gets a zero gradient.
    """
    variables = list(variables)
    values = [variable.value for variable in variables]
    differentiable = [
        i for i, value in enumerate(values) if jnp.issubdtype(value.dtype, jnp.inexact)
    ]
    assigned = []  # the variables fn assigned; Variables are not pytrees

    def pure(differentiable_values):
        mapping = list(zip(variables, values))
        for i, value in zip(differentiable, differentiable_values):
            mapping[i] = (variables[i], value)
        with StatelessScope(mapping) as scope:
            loss, aux = fn()
        updates = scope.updates()
        assigned[:] = [variable for variable, _ in updates]
        return loss, (aux, [value for _, value in updates])

    (loss, (aux, new_values)), partial_grads = jax.value_and_grad(pure, has_aux=True)(
        [values[i] for i in differentiable]
    )
    for variable, value in zip(assigned, new_values):
        variable.assign(value)
    grads = [jnp.zeros_like(value) for value in values]
    for i, grad in zip(differentiable, partial_grads):
        grads[i] = grad
    return (loss, aux), grads


def compile_function(fn, state_variables, jit_compile):
    """See the contract. JAX always compiles (``jit_compile`` is ignored): the
    trainer runs `fn` itself when asked to run eagerly.

    The step donates the variables' buffers, so arrays read from a state
    variable before a step are deleted by it; read ``.value`` afresh.
    """
    state_variables = list(state_variables)

    def pure(state_values, data):
        # Runs only while jax.jit traces: Python values are frozen here.
        with compiled_step_trace(), StatelessScope(zip(state_variables, state_values)) as scope:
            logs = fn(data)
        return logs, [scope.get_current_value(variable) for variable in state_variables]

    jitted = jax.jit(pure, donate_argnums=0)

    def step(data):
        handles = [variable._handle for variable in state_variables]
        # Two variables may hold one array (``b.assign(a.value)``); XLA
        # refuses to donate a buffer twice, so give the second its own copy.
        seen = set()
        for i, handle in enumerate(handles):
            if id(handle) in seen:
                handles[i] = jnp.array(handle, copy=True)
            seen.add(id(handle))
        logs, new_values = jitted(handles, data)
        for variable, value in zip(state_variables, new_values):
            variable._handle = value
        return logs

    return _on_state_device(step, state_variables)


def _to_device(data, device):
    """`data` (nested tuples, lists, dicts) with each array committed to
    another device moved to `device` (jit refuses committed arrays on two
    devices); NumPy and uncommitted arrays go where the step runs."""
    if isinstance(data, jax.Array):
        if data.committed and single_device(data) not in (device, None):
            return jax.device_put(data, device)
        return data
    if isinstance(data, (list, tuple)):
        items = [_to_device(item, device) for item in data]
        return type(data)(*items) if hasattr(data, "_fields") else type(data)(items)
    if isinstance(data, dict):
        return {key: _to_device(value, device) for key, value in data.items()}
    return data


def _on_state_device(step, state_variables):
    """`step` run on the device of the first state variable.

    With one device in the process, `step` itself. Otherwise the call runs
    under ``jax.default_device`` of that device, so uncommitted state and
    NumPy data are computed there, and batch arrays committed to another
    device are moved there first. One jit runs on one device: a state spread
    over several devices (a model built under several scopes) is computed on
    the first one, and each new value is put back on its variable's device.
    A sharded state (a distribution's) is left as it is.
    """
    if not state_variables or device_count() == 1:
        return step
    homes = [single_device(variable._handle) for variable in state_variables]
    if None in homes:  # sharded over a mesh: placed by its sharding, not here
        return step
    device = homes[0]
    away = [(variable, home) for variable, home in zip(state_variables, homes) if home != device]

    def placed_step(data):
        data = _to_device(data, device)
        with jax.default_device(device):
            logs = step(data)
        for variable, home in away:
            variable._handle = place_on(variable._handle, home)
        return logs

    return placed_step


def no_grad():
    """A null context: JAX differentiates only what value_and_grad traces."""
    return contextlib.nullcontext()
