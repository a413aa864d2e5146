"""Random ops on torch generators seeded from the seeds kfacade draws.

kfacade passes every random op a drawn seed (contract: "Seeds"): a ``(2,)``
uint32 tensor from a ``SeedGenerator``'s state variable, or a Python int
``s`` (the same stream as ``[0, s]``). Each call seeds a fresh
``torch.Generator`` from it (about 5 us), so the numbers are a function of
the seed alone: the same int gives the same numbers, as in Keras, and
restoring a ``SeedGenerator``'s state variable rewinds its stream. Reading a
seed tensor that lives on a GPU costs one device-to-host copy per call.
"""
import numpy as np
import torch

from .device import _current
from .variables import _convert, _torch_dtype

__all__ = ["random_uniform", "random_normal", "random_gamma", "random_binomial", "set_global_seed"]


def _generator(seed, device):
    """A fresh torch.Generator on `device` seeded from a drawn `seed`."""
    if isinstance(seed, int) and not isinstance(seed, bool):
        value = seed
    elif isinstance(seed, torch.Tensor) and tuple(seed.shape) == (2,):
        counter, value = seed.tolist()  # the (2,) words: [counter, seed]
        # torch's CPU generator keeps 32 bits of its seed: the counter is
        # mixed in (Fibonacci hashing), so [0, s] is seeded as the int s.
        value ^= (counter * 0x9E3779B1) & 0xFFFFFFFF
    else:
        raise ValueError(
            f"Invalid seed. Received: seed={seed!r}; expected a seed drawn by "
            f"kfacade.random.draw_seed (a (2,) uint32 tensor or an int)."
        )
    generator = torch.Generator(device=device)
    generator.manual_seed(value % (2**63))
    return generator


def _float_dtype(dtype, op):
    torch_dtype = _torch_dtype(dtype)
    if not torch_dtype.is_floating_point:
        raise ValueError(f"{op} needs a float dtype. Received: dtype={dtype!r}")
    return torch_dtype


def _is_number(x):
    return isinstance(x, (int, float, np.number)) and not isinstance(x, bool)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype="float32", seed=None):
    device = _current[0]
    torch_dtype = _float_dtype(dtype, "random_uniform")
    generator = _generator(seed, device)
    if _is_number(minval) and _is_number(maxval):
        out = torch.empty(shape, dtype=torch_dtype, device=device)
        return out.uniform_(float(minval), float(maxval), generator=generator)
    minval, maxval = _convert(minval, torch_dtype), _convert(maxval, torch_dtype)
    out = torch.rand(shape, dtype=torch_dtype, device=device, generator=generator)
    return out * (maxval - minval) + minval


def random_normal(shape, mean=0.0, stddev=1.0, dtype="float32", seed=None):
    device = _current[0]
    torch_dtype = _float_dtype(dtype, "random_normal")
    generator = _generator(seed, device)
    if _is_number(mean) and _is_number(stddev):
        out = torch.empty(shape, dtype=torch_dtype, device=device)
        return out.normal_(float(mean), float(stddev), generator=generator)
    mean, stddev = _convert(mean, torch_dtype), _convert(stddev, torch_dtype)
    out = torch.randn(shape, dtype=torch_dtype, device=device, generator=generator)
    return out * stddev + mean


def _parameter(value, shape, device):
    """`value` (a number or a tensor of `shape`) as a float tensor of `shape`
    in the sampling dtype (float64 for float64 parameters, else float32)."""
    value = _convert(value, None)
    dtype = torch.float64 if value.dtype == torch.float64 else torch.float32
    return value.to(device=device, dtype=dtype).expand(shape).contiguous()


def random_gamma(shape, alpha, dtype="float32", seed=None):
    device = _current[0]
    torch_dtype = _float_dtype(dtype, "random_gamma")
    # Sampled in float32 (float64 for float64 output), then cast: torch's
    # gamma kernel lacks half and bfloat16 on some devices.
    alpha = _parameter(alpha, tuple(shape), device)
    alpha = alpha.double() if torch_dtype == torch.float64 else alpha.float()
    return torch._standard_gamma(alpha, generator=_generator(seed, device)).to(torch_dtype)


def random_binomial(shape, counts, probabilities, dtype="float32", seed=None):
    device = _current[0]
    torch_dtype = _torch_dtype(dtype)
    counts = _parameter(counts, tuple(shape), device)
    probabilities = _parameter(probabilities, tuple(shape), device).to(counts.dtype)
    values = torch.binomial(counts, probabilities, generator=_generator(seed, device))
    return values.to(torch_dtype)


def set_global_seed(seed):
    if seed is None:
        torch.seed()
    else:
        torch.manual_seed(int(seed))
