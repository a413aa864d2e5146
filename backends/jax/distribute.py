"""Distribution on JAX: one SPMD program over a ``jax.sharding.Mesh``.

JAX is the *global-view* style of the contract: variables are global
``jax.Array``s laid out with ``NamedSharding``, each batch is one global
array sharded along the batch axis, and ``jax.jit`` partitions the step (the
gradient all-reduce included) over the mesh. Over many processes
(``jax.distributed``), every process builds the same global arrays from the
shards its own devices hold.
"""
import jax
import numpy as np
from jax.experimental import multihost_utils
from jax.sharding import NamedSharding, PartitionSpec

from kfacade.backend.contract import FAMILIES

from .step import jit_step

__all__ = list(FAMILIES["distribute"])


def distribution_initialize(job_addresses, num_processes, process_id, timeout_seconds):
    """``jax.distributed.initialize`` with process 0's address as coordinator."""
    timeout = max(int(timeout_seconds), 1)
    jax.distributed.initialize(
        coordinator_address=job_addresses[0], num_processes=int(num_processes),
        process_id=int(process_id), initialization_timeout=timeout,
        heartbeat_timeout_seconds=timeout)


def process_info():
    return jax.process_index(), jax.process_count()


def process_sum(array):
    array = np.asarray(array)
    if jax.process_count() == 1:
        return array
    return np.asarray(multihost_utils.process_allgather(array, tiled=False)).sum(axis=0).astype(
        array.dtype)


def _name(device):
    return f"{device.platform}:{device.id}"


def distribution_devices():
    return [_name(device) for device in jax.devices()]


def mesh_create(shape, axis_names, device_names):
    by_name = {_name(device): device for device in jax.devices()}
    if jax.default_backend() != "cpu":
        by_name.update({_name(device): device for device in jax.devices("cpu")})
    missing = [name for name in device_names if name not in by_name]
    if missing:
        raise ValueError(
            f"Devices {missing} are not available to JAX. Available devices: "
            f"{distribution_devices()}."
        )
    devices = np.array([by_name[name] for name in device_names], dtype=object).reshape(shape)
    return jax.sharding.Mesh(devices, tuple(axis_names))


def _global_array(value, sharding):
    """A global array with `sharding`, each process filling only its own devices' shards."""
    if isinstance(value, jax.Array) and value.is_fully_addressable and jax.process_count() == 1:
        return jax.device_put(value, sharding)
    host = np.asarray(value)
    return jax.make_array_from_callback(host.shape, sharding, lambda index: host[index])


def distribute_variable(handle, mesh, axes, aggregation):
    """`handle`'s value (process 0's, over many processes) laid out per `axes`."""
    shape = tuple(handle.shape)
    for dim, axis in zip(shape, axes):
        if axis is not None and dim % mesh.shape[axis] != 0:
            raise ValueError(
                f"Cannot shard a dimension of size {dim} over mesh axis {axis!r} of "
                f"{mesh.shape[axis]} devices (variable shape {shape}, layout {tuple(axes)}): "
                f"the size must divide evenly."
            )
    value = handle
    if jax.process_count() > 1:
        value = multihost_utils.broadcast_one_to_all(np.asarray(handle))
    return _global_array(value, NamedSharding(mesh, PartitionSpec(*axes)))


def variable_layout(handle):
    sharding = getattr(handle, "sharding", None)
    ndim = len(handle.shape)
    if not isinstance(sharding, NamedSharding):
        return (None,) * ndim
    spec = tuple(sharding.spec) + (None,) * (ndim - len(sharding.spec))
    return spec[:ndim]


def compile_distributed_function(fn, state_variables, jit_compile, mesh, batch_axis):
    """The jitted step over `mesh`; batch leaves are split along `batch_axis`,
    or replicated when the axis's device count does not divide their length."""
    state_variables = list(state_variables)
    parts = mesh.shape[batch_axis]
    split = NamedSharding(mesh, PartitionSpec(batch_axis))
    replicated = NamedSharding(mesh, PartitionSpec())

    def place(leaf):
        if leaf is None or isinstance(leaf, (int, float, bool)):
            return leaf
        rows = np.shape(leaf)[0] if np.ndim(leaf) else 0
        sharding = split if rows and rows % parts == 0 else replicated
        return _global_array(leaf, sharding)

    def place_data(data):
        return jax.tree_util.tree_map(place, data, is_leaf=lambda leaf: leaf is None)

    shardings = [variable._handle.sharding for variable in state_variables]
    # Over many processes every process reads the whole logs and predictions:
    # they leave the step replicated (one process alone reads any layout).
    logs_sharding = replicated if jax.process_count() > 1 else None
    return jit_step(fn, state_variables, place_data=place_data, state_shardings=shardings,
                    logs_sharding=logs_sharding)


def cross_replica_sum(values):
    """None: a JAX step is one global program, the partitioner sums for it."""
    return None
