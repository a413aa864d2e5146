"""Keras 2's ``multi_gpu_model``: data parallelism of one model over several devices.

Keras 2 built it on ``tf.device`` towers (TensorFlow only) and later removed
it. Here it is the model's own ``DataParallel`` distribution, so it runs on
every backend's engine: ``jax.jit`` over a mesh, TensorFlow's
``MirroredStrategy``; torch runs one process per device
(``python -m kfacade.distribution.launch``), so in one process it cannot
replicate and says so.
"""
from kfacade import distribution
from kfacade.layers import Input
from kfacade.models import Model
from kfacade.engine import tree


def _available_devices():
    """The GPUs; without any, the framework's CPU devices when it has several
    (JAX's or TensorFlow's virtual devices), so the code path can be tried on CPU."""
    gpus = distribution.list_devices("gpu")
    if gpus:
        return gpus
    cpus = distribution.list_devices()
    return cpus if len(cpus) > 1 else []


def multi_gpu_model(model, gpus=None, cpu_merge=True, cpu_relocation=False):
    """A model that trains `model` data-parallel over `gpus` devices, sharing its weights.

    Each batch is split over the devices; gradients are combined by the
    framework's collectives, so one step equals a step on one device.
    Saving `model` itself (not the returned one) works, as Keras 2
    documented.

    Args:
        model: a model with defined inputs (Sequential with an input shape,
            or functional).
        gpus: the number of devices (>= 2), a list of device indices, or
            None for all.
        cpu_merge: accepted for Keras 2 compatibility: results are merged
            by the framework's engine.
        cpu_relocation: accepted for Keras 2 compatibility: the weights
            stay where they are, shared with `model`.

    Raises:
        ValueError: fewer than two devices asked for, or more than exist
            (the message names the devices found).
    """
    available = _available_devices()
    if gpus is None:
        if len(available) < 2:
            raise ValueError(
                f"To call `multi_gpu_model` with `gpus=None`, at least 2 devices are needed. "
                f"This machine has {len(available)}: {available}."
            )
        chosen = available
    else:
        indices = list(range(gpus)) if isinstance(gpus, int) else [int(i) for i in gpus]
        if len(indices) <= 1:
            raise ValueError(
                f"For multi-gpu usage to be effective, call `multi_gpu_model` with `gpus >= 2`. "
                f"Received: `gpus={gpus}`"
            )
        missing = [i for i in indices if i >= len(available)]
        if missing:
            raise ValueError(
                f"To call `multi_gpu_model` with `gpus={gpus}`, we expect the devices "
                f"{indices} to be available. However this machine only has "
                f"{len(available)} device(s): {available}. Try reducing `gpus`."
            )
        chosen = [available[i] for i in indices]
    model_inputs = getattr(model, "inputs", None)
    if not model_inputs:
        raise ValueError(
            "`multi_gpu_model` needs a model with defined inputs: give the Sequential "
            "model an input shape or use a functional model."
        )
    inputs = [Input(batch_shape=tuple(t.shape), dtype=t.dtype, name=f"{model.name}_input_{i}")
              for i, t in enumerate(tree.flatten(model_inputs))]
    outputs = model(inputs[0] if len(inputs) == 1 else inputs)
    parallel = Model(inputs, outputs, name=f"{model.name}_multi_device")
    parallel._distribution = distribution.DataParallel(devices=chosen)
    return parallel
