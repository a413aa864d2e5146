"""Fused optimizer updates: the optional ``fused_optimizer_update`` hook.

kfacade's generic update runs about ten ``kfacade.ops`` calls and a copy per
variable; here one ``torch._foreach_*`` call covers every variable, and
slots and variables are updated in place. Each update below repeats its
optimizer's ``_update_variable`` operation by operation (same operations,
same operand order, same Python-float constants), so its results are
bitwise those of the generic path. Fused kernels are used only where they
round alike:
``addcdiv`` with ``value=+-1`` is a division then an addition, while
``addcmul``, ``lerp`` and ``add(alpha=)`` use fused multiply-adds (1-ulp
differences) and are avoided.
"""
import torch

__all__ = ["fused_optimizer_update"]

#: Dtypes whose kernels round each operation, addcdiv included, to the dtype.
#: float16/bfloat16 kernels compute addcdiv in float32 and round once, so the
#: generic path (a rounded division, then a subtraction) differs by an ulp.
_EXACT_DTYPES = (torch.float32, torch.float64)

#: {an optimizer class's ``_update_variable``: (update, names of the constants
#: it reads)}, filled on first use: kfacade.optimizers imports this adapter,
#: so it cannot be imported here.
_UPDATES = None


def _updates():
    global _UPDATES
    if _UPDATES is None:
        from kfacade.optimizers.adam import Adam
        from kfacade.optimizers.rmsprop import RMSprop
        from kfacade.optimizers.sgd import SGD

        _UPDATES = {
            SGD._update_variable: (_sgd, ("momentum",)),
            RMSprop._update_variable: (_rmsprop, ("rho", "momentum", "epsilon")),
            # Also AdamW's: its decoupled weight decay is applied by the base class.
            Adam._update_variable: (_adam, ("beta_1", "beta_2", "epsilon")),
        }
    return _UPDATES


def fused_optimizer_update(optimizer, grads, variables, learning_rate):
    """Applies `optimizer`'s step to `variables` with foreach kernels; see
    ``kfacade.backend.contract.OPTIONAL_HOOKS``.

    Handles SGD (momentum, Nesterov), RMSprop (momentum, centered), Adam
    (AMSGrad) and AdamW, when every variable and gradient is a dense tensor
    of one dtype, float32 or float64, on one device. Returns False, having
    changed nothing, for anything else (other or subclassed update rules,
    Keras-style ``update_step`` overrides, non-Python-number constants,
    half-precision, mixed dtypes or devices). Clipping, loss scaling and
    weight decay need no support here: the base class applies them first.
    """
    entry = _updates().get(type(optimizer)._update_variable)
    if entry is None or optimizer._uses_update_step or not variables:
        return False
    update, hyperparameters = entry
    for name in hyperparameters:
        # Python numbers only: the generic path passes them to torch as they
        # are, and torch types a NumPy or tensor constant differently.
        if type(getattr(optimizer, name)) not in (float, int):
            return False
    params = [variable.handle for variable in variables]
    first = params[0]
    dtype, device = first.dtype, first.device
    if dtype not in _EXACT_DTYPES:
        return False
    for param, grad in zip(params, grads):
        if not isinstance(grad, torch.Tensor):
            return False
        if param.dtype != dtype or grad.dtype != dtype or param.device != device \
                or grad.device != device or grad.layout != torch.strided:
            return False
    if len({id(param) for param in params}) != len(params):
        return False  # a variable listed twice: the generic path updates it twice
    grads = list(grads)
    scalars = {
        name: _as_scalar(value, dtype, device)
        for name, value in optimizer._step_scalars(learning_rate).items()
    }
    indices = [optimizer._get_variable_index(variable) for variable in variables]
    with torch.no_grad():
        update(optimizer, params, grads, indices, scalars)
    return True


def _as_scalar(value, dtype, device):
    """A step scalar as the generic path uses it (``_as_dtype``): a tensor of
    the variables' dtype, here also on their device."""
    if isinstance(value, torch.Tensor):
        if value.dtype != dtype or value.device != device:
            value = value.to(device=device, dtype=dtype)
        return value
    if isinstance(value, (int, float)):
        # The generic path converts it to a tensor of the variable's dtype.
        return torch.tensor(float(value), dtype=dtype, device=device)
    return torch.as_tensor(value, dtype=dtype, device=device)


def _slots(slot_variables, indices):
    return [slot_variables[i].handle for i in indices]


def _sgd(optimizer, params, grads, indices, scalars):
    step = torch._foreach_mul(grads, scalars["learning_rate"])
    momentum = optimizer.momentum
    if momentum == 0:
        torch._foreach_sub_(params, step)
        return
    velocities = _slots(optimizer.momentums, indices)
    torch._foreach_mul_(velocities, momentum)
    torch._foreach_sub_(velocities, step)  # velocity = velocity * momentum - step
    if optimizer.nesterov:
        update = torch._foreach_mul(velocities, momentum)
        torch._foreach_sub_(update, step)
        torch._foreach_add_(params, update)
    else:
        torch._foreach_add_(params, velocities)


def _rmsprop(optimizer, params, grads, indices, scalars):
    rho = float(optimizer.rho)
    velocities = _slots(optimizer._velocities, indices)
    squares = torch._foreach_mul(grads, grads)  # torch.square is x * x
    torch._foreach_mul_(squares, 1.0 - rho)
    torch._foreach_mul_(velocities, rho)
    torch._foreach_add_(velocities, squares)
    if optimizer.centered:
        averages = _slots(optimizer._average_gradients, indices)
        weighted = torch._foreach_mul(grads, 1.0 - rho)
        torch._foreach_mul_(averages, rho)
        torch._foreach_add_(averages, weighted)
        denominators = torch._foreach_mul(averages, averages)
        denominators = torch._foreach_sub(velocities, denominators)
        torch._foreach_add_(denominators, optimizer.epsilon)
    else:
        denominators = torch._foreach_add(velocities, optimizer.epsilon)
    torch._foreach_sqrt_(denominators)
    numerators = torch._foreach_mul(grads, scalars["learning_rate"])
    # increment = numerator / denominator, added or subtracted by addcdiv
    # with value +-1: exact, so rounded as a division then an addition.
    if optimizer.momentum > 0:
        momentums = _slots(optimizer._momentums, indices)
        torch._foreach_mul_(momentums, float(optimizer.momentum))
        torch._foreach_addcdiv_(momentums, numerators, denominators, value=1)
        torch._foreach_sub_(params, momentums)
    else:
        torch._foreach_addcdiv_(params, numerators, denominators, value=-1)


def _adam(optimizer, params, grads, indices, scalars):
    momentums = _slots(optimizer._momentums, indices)
    velocities = _slots(optimizer._velocities, indices)
    deltas = torch._foreach_sub(grads, momentums)
    torch._foreach_mul_(deltas, 1.0 - optimizer.beta_1)
    torch._foreach_add_(momentums, deltas)  # m += (g - m) * (1 - beta_1)
    deltas = torch._foreach_mul(grads, grads)
    torch._foreach_sub_(deltas, velocities)
    torch._foreach_mul_(deltas, 1.0 - optimizer.beta_2)
    torch._foreach_add_(velocities, deltas)  # v += (g ** 2 - v) * (1 - beta_2)
    if optimizer.amsgrad:
        velocity_hats = _slots(optimizer._velocity_hats, indices)
        torch._foreach_maximum_(velocity_hats, velocities)
        velocities = velocity_hats
    denominators = torch._foreach_sqrt(velocities)
    torch._foreach_add_(denominators, optimizer.epsilon)
    numerators = torch._foreach_mul(momentums, scalars["alpha"])
    torch._foreach_addcdiv_(params, numerators, denominators, value=-1)  # exact, as above
