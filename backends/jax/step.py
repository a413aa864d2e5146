"""Autodiff and compiled steps: stateful kfacade code made pure with StatelessScope."""
import contextlib
import sys

import jax
import jax.numpy as jnp
import numpy as np

from kfacade.backend.state import StatelessScope, compiled_step_trace

from .device import device_count, place_on, single_device
from .variables import assign_count

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
    grads = [None] * len(values)
    for i, grad in zip(differentiable, partial_grads):
        grads[i] = grad
    # Zeros for the integer variables only: eagerly each zeros_like is a
    # program run (and compiled per new shape).
    grads = [jnp.zeros_like(value) if grad is None else grad for grad, value in zip(grads, values)]
    return (loss, aux), grads


def compile_function(fn, state_variables, jit_compile):
    """See the contract. JAX always compiles (``jit_compile`` is ignored): the
    trainer runs `fn` itself when asked to run eagerly.

    The step donates the buffers of the variables it assigns, so an array
    read from such a variable between two steps is deleted by the second;
    read ``.value`` afresh. One still held elsewhere at the first step or
    after an assign (another variable's value, an array the caller kept) is
    left alone: its variable gets a copy (see ``jit_step``).
    """
    return jit_step(fn, state_variables)


def jit_step(fn, state_variables, place_data=None, state_shardings=None, logs_sharding=None):
    """The jitted, state-donating step of `fn`; shared with ``distribute.py``.

    `place_data` (optional) lays the batch out before the call;
    `state_shardings` (optional, one per variable) pins each new state value
    to its variable's sharding, so a distributed layout never drifts;
    `logs_sharding` (optional) lays out every log and output.

    The variables `fn` does not assign (a constant learning rate, the seed
    of a step that draws no random numbers, frozen weights) are passed in
    without donation and not returned: each donated input and returned
    output adds to the call's time, and XLA copies a donated buffer it must
    return unchanged. Which ones those are is found by tracing `fn` once
    (``jax.eval_shape``, no compilation) on the first call; should a later
    retrace (new batch shapes) assign one of them after all, its new value
    still comes back and is stored.

    A donated buffer must belong to its variable only. The step's outputs
    are fresh buffers that nothing else holds, so the step looks for arrays
    held elsewhere too (and gives their variables copies of their own) on
    its first call and after ``variable_assign`` has stored a value as it is
    (``b.assign(a.value)``), not on every call. An array read from a variable
    later, between steps, is deleted by the next step.
    """
    state_variables = list(state_variables)
    count = len(state_variables)
    shardings = list(state_shardings) if state_shardings is not None else None

    def run(values, data):
        """`fn` traced on `values`: (logs, {index: new value} of each variable it assigned)."""
        # Runs only while jax traces: Python values are frozen here.
        with compiled_step_trace(), StatelessScope(zip(state_variables, values)) as scope:
            logs = fn(data)
        assigned = {id(variable): value for variable, value in scope.updates()}
        changed = {i: assigned[id(variable)] for i, variable in enumerate(state_variables)
                   if id(variable) in assigned}
        if shardings is not None:
            changed = {i: jax.lax.with_sharding_constraint(value, shardings[i])
                       for i, value in changed.items()}
        if logs_sharding is not None:
            logs = jax.tree_util.tree_map(
                lambda log: jax.lax.with_sharding_constraint(log, logs_sharding), logs)
        return logs, changed

    def assigned_indices(handles, data):
        found = []

        def probe(values, data):
            logs, changed = run(values, data)
            found.append(sorted(changed))
            return logs

        jax.eval_shape(probe, handles, data)
        return found[0]

    # Filled on the first call: [donated variables, kept variables, jitted function].
    plan = []
    # The ``assign_count`` at the last look for shared buffers.
    looked_at = [None]

    def make_plan(handles, data):
        donated = assigned_indices(handles, data)
        donated_set = set(donated)
        kept = [i for i in range(count) if i not in donated_set]

        def pure(donated_values, kept_values, data):
            values = [None] * count
            for i, value in zip(donated, donated_values):
                values[i] = value
            for i, value in zip(kept, kept_values):
                values[i] = value
            logs, changed = run(values, data)
            # An input returned as it is could come back as that very array
            # (JAX may forward it), which a variable would then share: a
            # kept value or the data assigned to a variable is copied.
            undonated = {id(value) for value in kept_values + jax.tree_util.tree_leaves(data)}
            changed = {i: jnp.copy(value) if id(value) in undonated else value
                       for i, value in changed.items()}
            # Every donated input comes back (aliased); a kept one only if
            # this trace assigned it.
            return (logs, [changed.get(i, values[i]) for i in donated],
                    {i: value for i, value in changed.items() if i not in donated_set})

        plan[:] = [[state_variables[i] for i in donated], [state_variables[i] for i in kept],
                   jax.jit(pure, donate_argnums=0)]

    def step(data):
        if place_data is not None:
            data = place_data(data)
        if not plan:
            make_plan([variable._handle for variable in state_variables], data)
        donated_variables, kept_variables, jitted = plan
        if looked_at[0] != assign_count[0]:
            looked_at[0] = assign_count[0]
            _give_own_buffers(donated_variables, kept_variables)
        donated = [variable._handle for variable in donated_variables]
        kept = [variable._handle for variable in kept_variables]
        logs, new_donated, new_kept = jitted(donated, kept, data)
        for variable, value in zip(donated_variables, new_donated):
            variable._handle = value
        if new_kept:
            for i, value in new_kept.items():
                state_variables[i]._handle = value
        return logs

    return _on_state_device(step, state_variables)


def _sole_holder_count():
    """``sys.getrefcount(variable._handle)`` when only the variable holds the
    array, measured the same way (the count differs between Pythons)."""

    class Holder:
        pass

    holder = Holder()
    holder._handle = object()
    return sys.getrefcount(holder._handle)


_SOLE_HOLDER = _sole_holder_count()


def _give_own_buffers(donated, kept):
    """Gives each variable in `donated` whose array something else holds too
    a copy of its own, from now on: another variable of the step (`kept` or
    `donated`) or outside it (``b.assign(a.value)``; a target network), or a
    caller who kept the array. Donating it would delete it under them, and
    XLA refuses to donate one buffer twice. The other holders keep the
    original. A multi-process job's global array is judged only against the
    step's variables: each process must take the same decision, and the
    reference counts of its processes can differ."""
    seen = {id(variable._handle) for variable in kept}
    for variable in donated:
        if id(variable._handle) in seen or (
                variable._handle.is_fully_addressable
                and sys.getrefcount(variable._handle) > _SOLE_HOLDER):
            variable._handle = jnp.array(variable._handle, copy=True)
        seen.add(id(variable._handle))


def _to_device(data, device, uncommit):
    """`data` (nested tuples, lists, dicts) with each array committed to
    another device moved to `device` (jit refuses committed arrays on two
    devices); NumPy and uncommitted arrays go where the step runs. With
    `uncommit`, committed arrays are passed as NumPy (through the host):
    outputs of a step given one committed array are all committed, and the
    variables of a spread model must stay movable."""
    if isinstance(data, jax.Array):
        if not data.committed:
            return data
        if uncommit:
            return np.asarray(data)
        return data if single_device(data) in (device, None) else jax.device_put(data, device)
    if isinstance(data, (list, tuple)):
        items = [_to_device(item, device, uncommit) for item in data]
        return type(data)(*items) if hasattr(data, "_fields") else type(data)(items)
    if isinstance(data, dict):
        return {key: _to_device(value, device, uncommit) for key, value in data.items()}
    return data


def _on_state_device(step, state_variables):
    """`step` run on the device of the model's (trainable) variables.

    With one device in the process, `step` itself. Otherwise the other state
    variables (optimizer slots, metrics, seeds: made on the default device)
    are moved to that device once, the call runs under its
    ``jax.default_device`` (uncommitted state and NumPy data are computed
    there), and batch arrays committed to another device are moved there
    first (a committed batch commits the new state to that device). One jit
    runs on one device: a model spread over several devices (built under
    several scopes) is computed on its first variable's, and each new value
    is put back on its variable's device after the step. A sharded state (a
    distribution's) is left as it is.
    """
    if not state_variables or device_count() == 1:
        return step
    homes = [single_device(variable._handle) for variable in state_variables]
    if None in homes:  # sharded over a mesh: placed by its sharding, not here
        return step
    model_homes = {home for variable, home in zip(state_variables, homes)
                   if getattr(variable, "trainable", True)}
    spread = len(model_homes) > 1
    device = homes[0] if spread or not model_homes else model_homes.pop()
    away = []
    for variable, home in zip(state_variables, homes):
        if home == device:
            continue
        if spread:
            away.append((variable, home))
        else:
            variable._handle = place_on(variable._handle, device)

    def placed_step(data):
        data = _to_device(data, device, uncommit=spread)
        with jax.default_device(device):
            logs = step(data)
        for variable, home in away:
            variable._handle = place_on(variable._handle, home)
        return logs

    return placed_step


def no_grad():
    """A null context: JAX differentiates only what value_and_grad traces."""
    return contextlib.nullcontext()
