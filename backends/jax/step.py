"""Autodiff and compiled steps: stateful kfacade code made pure with StatelessScope."""
import contextlib

import jax
import jax.numpy as jnp

from kfacade.backend.state import StatelessScope, compiled_step_trace

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
    return jit_step(fn, state_variables)


def jit_step(fn, state_variables, place_data=None, state_shardings=None, logs_sharding=None):
    """The jitted, state-donating step of `fn`; shared with ``distribute.py``.

    `place_data` (optional) lays the batch out before the call;
    `state_shardings` (optional, one per variable) pins each new state value
    to its variable's sharding, so a distributed layout never drifts;
    `logs_sharding` (optional) lays out every log and output.
    """
    state_variables = list(state_variables)

    def pure(state_values, data):
        # Runs only while jax.jit traces: Python values are frozen here.
        with compiled_step_trace(), StatelessScope(zip(state_variables, state_values)) as scope:
            logs = fn(data)
        new_values = [scope.get_current_value(variable) for variable in state_variables]
        if state_shardings is not None:
            new_values = [jax.lax.with_sharding_constraint(value, sharding)
                          for value, sharding in zip(new_values, state_shardings)]
        if logs_sharding is not None:
            logs = jax.tree_util.tree_map(
                lambda log: jax.lax.with_sharding_constraint(log, logs_sharding), logs)
        return logs, new_values

    jitted = jax.jit(pure, donate_argnums=0)

    def step(data):
        if place_data is not None:
            data = place_data(data)
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

    return step


def no_grad():
    """A null context: JAX differentiates only what value_and_grad traces."""
    return contextlib.nullcontext()
