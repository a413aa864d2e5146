"""Random ops on torch's own generators.

Unlike the JAX and TensorFlow adapters, this one does not draw seeds from a
``SeedGenerator``'s state variable (``kfacade.random.draw_seed``), which would
cost a device-to-host read per call. Instead:

- ``seed=None`` uses torch's global generator (``set_global_seed`` seeds it);
- an int seed uses a fresh ``torch.Generator`` seeded with it, so the same
  int gives the same numbers, as in Keras;
- a ``SeedGenerator`` owns one cached ``torch.Generator`` per device, seeded
  with its ``initial_seed``; the stream advances inside torch. Its state
  variable is therefore not advanced, and restoring it does not rewind the
  stream.
"""
import weakref

import numpy as np
import torch

from .device import _current
from .variables import _convert, _torch_dtype

__all__ = ["random_uniform", "random_normal", "set_global_seed"]

#: SeedGenerator -> {torch.device: torch.Generator}
_generators = weakref.WeakKeyDictionary()
_seed_generator_class = None


def _seed_generator_type():
    global _seed_generator_class
    if _seed_generator_class is None:
        from kfacade.random import SeedGenerator

        _seed_generator_class = SeedGenerator
    return _seed_generator_class


def _new_generator(seed, device):
    generator = torch.Generator(device=device)
    generator.manual_seed(int(seed) % (2**63))
    return generator


def _generator(seed, device):
    """The torch.Generator for `seed` on `device`; None means torch's global one."""
    if seed is None:
        return None
    if device.type == "cuda" and device.index is None:  # one cache key per GPU
        device = torch.device("cuda", torch.cuda.current_device())
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return _new_generator(seed, device)
    if isinstance(seed, _seed_generator_type()):
        per_device = _generators.get(seed)
        if per_device is None:
            per_device = _generators[seed] = {}
        generator = per_device.get(device)
        if generator is None:
            generator = per_device[device] = _new_generator(seed.initial_seed, device)
        return generator
    if isinstance(seed, torch.Tensor) and seed.numel() <= 2:
        # A seed drawn by kfacade.random.draw_seed: (2,) integers.
        values = [int(v) for v in seed.reshape(-1).tolist()]
        return _new_generator(values[-1] + (values[0] << 32 if len(values) == 2 else 0), device)
    raise ValueError(
        f"Invalid seed. Received: seed={seed!r}; expected None, an int or a "
        f"kfacade.random.SeedGenerator."
    )


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


def set_global_seed(seed):
    if seed is None:
        torch.seed()
    else:
        torch.manual_seed(int(seed))
