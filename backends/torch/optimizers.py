"""Fused optimizer updates: the optional ``fused_optimizer_update`` hook.

kfacade's generic update runs about ten ``kfacade.ops`` calls and a copy per
variable; here one ``torch._foreach_*`` call covers every variable, and
slots and variables are updated in place. kfacade describes the step as a
named rule (``kfacade.backend.state.UpdateRule``: coefficients, slot
variables); each rule's math is the one documented in
``kfacade.backend.contract.OPTIONAL_HOOKS``, repeated here operation by
operation (same operations, same operand order, same Python-float
constants), so results are bitwise those of the generic path. Fused kernels
are used only where they round alike: ``addcdiv(x, a, b, value=s)`` is
``x + s * a / b`` rounded op by op, a multiply, a division and an addition
(torch's CPU kernel), while ``lerp`` and ``add(alpha=)`` use fused
multiply-adds (1-ulp differences) and are avoided. ``addcmul`` is used where
the contract's relative 1e-6 allows it (``_rmsprop``).

On the CPU the step size goes into ``addcdiv`` as its scalar: one pass over
every variable less than multiplying the gradients first (``g * lr`` into a
new tensor, then ``addcdiv`` with ``value=-1``), for the same roundings. A
torch LSTM step (Embedding(10000, 128), 1.5 million weights) spent about
0.2 ms of 14 in that pass. Elsewhere (a GPU tensor, read on the host only by
waiting for the device; a step under ``torch.compile``) the step size stays a
tensor and the gradients are multiplied first: CUDA's foreach ``addcdiv``
computes ``x + s * (a / b)``.
"""
import torch

__all__ = ["fused_optimizer_update"]

#: Dtypes whose kernels round each operation, addcdiv included, to the dtype.
#: float16/bfloat16 kernels compute addcdiv in float32 and round once, so the
#: generic path (a rounded division, then a subtraction) differs by an ulp.
_EXACT_DTYPES = (torch.float32, torch.float64)

#: The step-size coefficient of each rule: a tensor or a Python number. Every
#: other coefficient must be a Python number (the generic path passes them
#: to torch as they are, and torch types a NumPy or tensor constant differently).
_STEP_SIZES = {"sgd": "learning_rate", "rmsprop": "learning_rate", "adam": "alpha"}


def fused_optimizer_update(rule, grads, variables):
    """Applies the update `rule` to `variables` with foreach kernels; see
    ``kfacade.backend.contract.OPTIONAL_HOOKS``.

    Handles the rules "sgd" (momentum, Nesterov), "rmsprop" (momentum,
    centered) and "adam" (AMSGrad; AdamW too), when every variable and
    gradient is a dense tensor of one dtype, float32 or float64, on one
    device. Returns False, having changed nothing, for anything else (other
    rules, non-Python-number hyperparameters, half precision, mixed dtypes or
    devices).
    """
    step_size = _STEP_SIZES.get(rule.name)
    if step_size is None or not variables:
        return False
    for name, value in rule.coefficients.items():
        if name != step_size and type(value) not in (float, int):
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
    coefficients = dict(rule.coefficients)
    coefficients[step_size] = _as_scalar(coefficients[step_size], dtype, device)
    coefficients["kernel_step_size"] = _kernel_scalar(coefficients[step_size])
    slots = {name: [slot.handle for slot in slot_list] for name, slot_list in rule.slots.items()}
    with torch.no_grad():
        _RULES[rule.name](params, list(grads), coefficients, rule.options, slots)
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


_is_compiling = getattr(torch.compiler, "is_compiling", lambda: False)


def _kernel_scalar(step_size):
    """The step size (a 0-d tensor of the variables' dtype) as a Python number
    for ``addcdiv``'s scalar, where reading it costs nothing: on the CPU,
    outside ``torch.compile``. Otherwise None (module docstring)."""
    if step_size.device.type != "cpu" or _is_compiling():
        return None
    return step_size.item()  # exact: the kernel converts it back to the dtype


def _scaled(tensors, coefficients, step_size):
    """``(numerators, scale)`` with ``scale * numerators`` rounded as
    ``tensors * step_size``: `tensors` and the step size as ``addcdiv``'s scalar
    where ``_kernel_scalar`` gave one, else their product and 1."""
    scale = coefficients["kernel_step_size"]
    if scale is None:
        return torch._foreach_mul(tensors, coefficients[step_size]), 1
    return tensors, scale


def _sgd(params, grads, coefficients, options, slots):
    step = torch._foreach_mul(grads, coefficients["learning_rate"])
    momentum = coefficients["momentum"]
    if momentum == 0:
        torch._foreach_sub_(params, step)
        return
    velocities = slots["momentums"]
    torch._foreach_mul_(velocities, momentum)
    torch._foreach_sub_(velocities, step)  # velocity = velocity * momentum - step
    if options["nesterov"]:
        update = torch._foreach_mul(velocities, momentum)
        torch._foreach_sub_(update, step)
        torch._foreach_add_(params, update)
    else:
        torch._foreach_add_(params, velocities)


def _rmsprop(params, grads, coefficients, options, slots):
    rho = float(coefficients["rho"])
    epsilon = coefficients["epsilon"]
    velocities = slots["velocities"]
    if options["centered"] or coefficients["momentum"] > 0:
        squares = torch._foreach_mul(grads, grads)  # torch.square is x * x
        torch._foreach_mul_(squares, 1.0 - rho)
        torch._foreach_mul_(velocities, rho)
        torch._foreach_add_(velocities, squares)
    else:
        # v * rho + g * g * (1 - rho) as one multiply and one multiply-add
        # (two memory passes where four ops take four): the product is
        # rounded in another order than the generic ``(g * g) * (1 - rho)``,
        # within the contract's relative 1e-6. Not when centered or with
        # momentum: ``v - a * a`` and the momentum's sum of increments of
        # either sign cancel, and the one-rounding difference grows past
        # that bound (measured 2e-6 and 1.2e-5 in five steps).
        torch._foreach_mul_(velocities, rho)
        torch._foreach_addcmul_(velocities, grads, grads, value=1.0 - rho)
    if options["centered"]:
        averages = slots["average_gradients"]
        weighted = torch._foreach_mul(grads, 1.0 - rho)
        torch._foreach_mul_(averages, rho)
        torch._foreach_add_(averages, weighted)
        denominators = torch._foreach_mul(averages, averages)
        denominators = torch._foreach_sub(velocities, denominators)
        torch._foreach_add_(denominators, epsilon)
    else:
        denominators = torch._foreach_add(velocities, epsilon)
    torch._foreach_sqrt_(denominators)
    # increment = g * learning_rate / denominator, added or subtracted by addcdiv.
    numerators, scale = _scaled(grads, coefficients, "learning_rate")
    if coefficients["momentum"] > 0:
        momentums = slots["momentums"]
        torch._foreach_mul_(momentums, float(coefficients["momentum"]))
        torch._foreach_addcdiv_(momentums, numerators, denominators, value=scale)
        torch._foreach_sub_(params, momentums)
    else:
        torch._foreach_addcdiv_(params, numerators, denominators, value=-scale)


def _adam(params, grads, coefficients, options, slots):
    momentums, velocities = slots["momentums"], slots["velocities"]
    deltas = torch._foreach_sub(grads, momentums)
    torch._foreach_mul_(deltas, 1.0 - coefficients["beta_1"])
    torch._foreach_add_(momentums, deltas)  # m += (g - m) * (1 - beta_1)
    deltas = torch._foreach_mul(grads, grads)
    torch._foreach_sub_(deltas, velocities)
    torch._foreach_mul_(deltas, 1.0 - coefficients["beta_2"])
    torch._foreach_add_(velocities, deltas)  # v += (g ** 2 - v) * (1 - beta_2)
    if options["amsgrad"]:
        velocity_hats = slots["velocity_hats"]
        torch._foreach_maximum_(velocity_hats, velocities)
        velocities = velocity_hats
    denominators = torch._foreach_sqrt(velocities)
    torch._foreach_add_(denominators, coefficients["epsilon"])
    numerators, scale = _scaled(momentums, coefficients, "alpha")
    torch._foreach_addcdiv_(params, numerators, denominators, value=-scale)


#: The rules this hook implements, by ``UpdateRule.name``.
_RULES = {"sgd": _sgd, "rmsprop": _rmsprop, "adam": _adam}
