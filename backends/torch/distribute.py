"""Distribution on torch: one process per device under ``torch.distributed``.

Data parallel (every variable replicated) is the contract's *replica*
style: each process runs the step eagerly (or ``torch.compile``d) on its
share of the global batch, cut as ``numpy.array_split`` cuts it along the
mesh's batch axis, and kfacade's train step combines the replicas through
``cross_replica_sum``: one ``all_reduce`` of one flat buffer holding every
gradient (as DDP's buckets do). Replicated variables stay the plain local
``torch.nn.Parameter``s they were, holding process 0's value (broadcast
once), so the step and the fused optimizer hook run on them unchanged;
metric states (aggregation "sum") stay local and are summed when read. A
predict step's outputs are gathered from every replica.

Model parallel (a variable sharded over a mesh axis) runs the step over
DTensors (``torch.distributed.tensor``) instead: sharded variables are
DTensor Parameters on the ``DeviceMesh``, the batch is a DTensor sharded
along the batch axis (``Shard(0)``: DTensor's own split, ``torch.chunk``'s,
which equals ``array_split``'s for 2 replicas and may differ for more; no
sample is dropped or counted twice either way), and plain tensors met inside
the step are taken as replicated (``implicit_replication``). DTensor's rules
then partition each op and reduce the gradients, so ``cross_replica_sum``
combines nothing; logs and outputs come back as whole tensors.

Device names: with one process, ``list_devices()``'s (a mesh may hold one);
with several, one per process, ``"process<rank>/<device>"``
(``"process1/cpu:0"``, ``"process3/gpu:1"``), in rank order. A mesh of
several devices in one process is refused: start one process per device.
"""
import atexit
import datetime
import os
import warnings
import weakref

import numpy as np
import torch
import torch.distributed as dist

from kfacade.backend.config import floatx
from kfacade.backend.contract import FAMILIES

from .device import _current, _parse_device, list_devices
from .step import compile_function
from .variables import _convert, _is_dtensor, _torch_dtype

__all__ = list(FAMILIES["distribute"])

_ONE_PROCESS_PER_DEVICE = (
    "torch runs one process per device: start the job with "
    "`python -m kfacade.distribution.launch --nproc N train.py` or "
    "`torchrun --nproc_per_node=N train.py`, and use list_devices() in each process."
)

#: The device names of every process, in rank order (set by distribution_initialize).
_process_devices = []

#: Inside a distributed step with several batch replicas: (process group, replica count);
#: None elsewhere. cross_replica_sum reads it (every train step asks).
_replica = [None]


# -------------------------------------------------------------- processes
def _local_device_name():
    device = _current[0]
    if device.type == "cuda":
        return f"gpu:{device.index if device.index is not None else torch.cuda.current_device()}"
    return "cpu:0"


def distribution_initialize(job_addresses, num_processes, process_id, timeout_seconds):
    """``init_process_group`` at ``tcp://<job_addresses[0]>``: nccl when each
    of this host's processes can have a GPU of its own (this one then uses
    GPU ``LOCAL_RANK``, else ``rank % device count``), else gloo, the
    processes computing on their CPU. A process group the program started
    itself is kept (gloo: on the CPU)."""
    if not dist.is_initialized():
        gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
        on_host = _processes_on_this_host(job_addresses, int(num_processes), int(process_id))
        if gpus and on_host is not None and on_host > gpus:
            warnings.warn(
                f"{on_host} processes on this host and {gpus} GPU(s): NCCL needs a GPU per "
                f"process, so the job runs gloo on the CPU. Start at most {gpus} processes "
                f"per host to train on the GPUs.", RuntimeWarning, stacklevel=2)
            gpus = 0
        dist.init_process_group(
            backend="nccl" if gpus else "gloo",
            init_method=f"tcp://{job_addresses[0]}",
            world_size=int(num_processes),
            rank=int(process_id),
            timeout=datetime.timedelta(seconds=max(float(timeout_seconds), 1.0)),
        )
        atexit.register(_shut_down)
    if dist.get_backend() == "nccl":
        local = int(os.environ.get("LOCAL_RANK", dist.get_rank() % torch.cuda.device_count()))
        torch.cuda.set_device(local)
        _current[0] = torch.device("cuda", local)
    else:
        _current[0] = torch.device("cpu")
    names = [None] * dist.get_world_size()
    dist.all_gather_object(names, _local_device_name())
    _process_devices[:] = [f"process{rank}/{name}" for rank, name in enumerate(names)]


def _processes_on_this_host(job_addresses, num_processes, process_id):
    """How many of the job's processes run on this host: torchrun's
    ``LOCAL_WORLD_SIZE``, else those whose address names this process's
    host (one address per process), else None (unknown)."""
    if "LOCAL_WORLD_SIZE" in os.environ:
        return int(os.environ["LOCAL_WORLD_SIZE"])
    if job_addresses and len(job_addresses) == num_processes:
        host = job_addresses[process_id].rsplit(":", 1)[0]
        return sum(address.rsplit(":", 1)[0] == host for address in job_addresses)
    return None


#: Weak references to the DeviceMeshes mesh_create made (see _shut_down).
_meshes = []


def _shut_down():
    """Process groups destroyed before the interpreter exits, their gloo
    threads joined. Left to interpreter shutdown (a DeviceMesh keeps its
    groups alive), they sometimes abort the process: "terminate called
    without an active exception" (pytorch/pytorch#190489)."""
    if not dist.is_initialized():
        return
    dist.destroy_process_group()
    for reference in _meshes:
        mesh = reference()
        if mesh is not None:
            getattr(mesh, "_pg_registry", {}).clear()


def process_info():
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def _collective_device():
    return _current[0] if dist.get_backend() == "nccl" else torch.device("cpu")


def process_sum(array):
    array = np.asarray(array)
    if process_info()[1] == 1:
        return array
    tensor = torch.as_tensor(np.ascontiguousarray(array), device=_collective_device())
    dist.all_reduce(tensor)
    return tensor.cpu().numpy().astype(array.dtype, copy=False)


def distribution_devices():
    if process_info()[1] > 1:
        if not _process_devices:  # a process group started without initialize()
            distribution_initialize(None, None, None, None)
        return list(_process_devices)
    gpus = list_devices("gpu")
    return gpus or ["cpu:0"]


# ----------------------------------------------------------------- meshes
class LocalMesh:
    """A mesh of one device in one process: nothing to distribute."""

    def __init__(self, shape, axis_names, device):
        self.shape = tuple(shape)
        self.mesh_dim_names = tuple(axis_names)
        self.device = device

    def __repr__(self):
        return (f"LocalMesh(shape={self.shape}, axis_names={self.mesh_dim_names}, "
                f"device={self.device})")


def mesh_create(shape, axis_names, device_names):
    """A ``DeviceMesh`` over the processes that own `device_names` (every
    process, in the given order); with one process a ``LocalMesh`` of one device."""
    world = process_info()[1]
    if world == 1 and len(device_names) > 1:
        raise NotImplementedError(
            f"A mesh of {len(device_names)} devices ({list(device_names)}) in one process: "
            f"{_ONE_PROCESS_PER_DEVICE}"
        )
    # One process may also name its CPU beside its GPUs (a mesh of one device).
    available = distribution_devices() if world > 1 else list_devices()
    missing = [name for name in device_names if name not in available]
    if missing:
        raise ValueError(
            f"Devices {missing} are not available to torch. Available devices: {available}."
        )
    if len(set(device_names)) != len(device_names):
        raise ValueError(f"A device appears twice in the mesh: {list(device_names)}.")
    if world == 1:
        return LocalMesh(shape, axis_names, _parse_device(device_names[0]))
    if len(device_names) != world:
        raise NotImplementedError(
            f"A mesh of {len(device_names)} devices in a job of {world} processes: a torch "
            f"mesh spans every process, one device each ({available})."
        )
    from torch.distributed.device_mesh import DeviceMesh

    ranks = torch.tensor([available.index(name) for name in device_names]).reshape(tuple(shape))
    device_type = "cuda" if dist.get_backend() == "nccl" else "cpu"
    mesh = DeviceMesh(device_type, ranks, mesh_dim_names=tuple(axis_names))
    _meshes.append(weakref.ref(mesh))
    return mesh


# -------------------------------------------------------------- variables
def distribute_variable(handle, mesh, axes, aggregation):
    """Replicated (all `axes` None): `handle` itself, holding process 0's value
    (a "sum" variable keeps its own); sharded: a DTensor Parameter."""
    if isinstance(mesh, LocalMesh):
        if handle.device == mesh.device:
            return handle
        return torch.nn.Parameter(handle.detach().to(mesh.device),
                                  requires_grad=handle.requires_grad)
    if all(axis is None for axis in axes):
        if aggregation != "sum":
            _broadcast_from_process_0(handle)
        return handle
    from torch.distributed.tensor import Replicate, Shard, distribute_tensor

    names = list(mesh.mesh_dim_names)
    placements = [Replicate()] * len(names)
    for dim, (size, axis) in enumerate(zip(handle.shape, axes)):
        if axis is None:
            continue
        parts = mesh.size(names.index(axis))
        if size % parts:
            raise ValueError(
                f"Cannot shard a dimension of size {size} over mesh axis {axis!r} of {parts} "
                f"devices (variable shape {tuple(handle.shape)}, layout {tuple(axes)}): the "
                f"size must divide evenly."
            )
        if not isinstance(placements[names.index(axis)], Replicate):
            raise ValueError(f"Mesh axis {axis!r} shards two dimensions of layout {tuple(axes)}.")
        placements[names.index(axis)] = Shard(dim)
    value = distribute_tensor(handle.detach().to(_current[0]), mesh, placements)
    return torch.nn.Parameter(value, requires_grad=handle.requires_grad)


def _broadcast_from_process_0(handle):
    """Process 0's value into `handle`, in place (its bytes: any dtype)."""
    with torch.no_grad():
        data = handle.detach()
        flat = data.reshape(-1)
        if flat.numel() == 0:
            return
        if data.is_contiguous() and flat.device == _collective_device():
            dist.broadcast(flat.view(torch.uint8), src=0)
        else:
            buffer = flat.to(_collective_device()).contiguous()
            dist.broadcast(buffer.view(torch.uint8), src=0)
            data.copy_(buffer.reshape(data.shape))


def variable_layout(handle):
    ndim = len(handle.shape)
    if not _is_dtensor(handle):
        return (None,) * ndim
    from torch.distributed.tensor import Shard

    layout = [None] * ndim
    for name, placement in zip(handle.device_mesh.mesh_dim_names, handle.placements):
        if isinstance(placement, Shard):
            layout[placement.dim] = name if layout[placement.dim] is None else \
                tuple(np.atleast_1d(layout[placement.dim])) + (name,)
    return tuple(layout)


# ------------------------------------------------------------------- steps
def _share_bounds(rows, parts, index):
    """[start, stop) of part `index` when ``numpy.array_split`` cuts `rows` in `parts`."""
    size, extra = divmod(rows, parts)
    start = index * size + min(index, extra)
    return start, start + size + (1 if index < extra else 0)


def _rows(tree):
    if isinstance(tree, (list, tuple)):
        for item in tree:
            rows = _rows(item)
            if rows is not None:
                return rows
        return None
    if isinstance(tree, dict):
        return _rows(list(tree.values()))
    if isinstance(tree, (np.ndarray, torch.Tensor)) and tree.ndim:
        return tree.shape[0]
    return None


def _map(fn, tree):
    if isinstance(tree, list):
        return [_map(fn, item) for item in tree]
    if isinstance(tree, tuple):
        items = [_map(fn, item) for item in tree]
        return type(tree)(*items) if hasattr(tree, "_fields") else tuple(items)
    if isinstance(tree, dict):
        return {key: _map(fn, value) for key, value in tree.items()}
    return fn(tree)


def _take_share(data, start, stop, device):
    def take(leaf):
        if isinstance(leaf, torch.Tensor) and leaf.ndim:
            leaf = leaf[start:stop]
            return leaf if leaf.device == device else leaf.to(device)
        if isinstance(leaf, np.ndarray) and leaf.ndim:
            return leaf[start:stop]
        return leaf

    return _map(take, data)


def _gather_shares(tree, group, parts, rows):
    """Each tensor of `tree` (this replica's share of `rows` rows) joined with
    every replica's, in replica order: padded to the largest share, one
    ``all_gather`` per tensor, trimmed."""
    sizes = [stop - start for start, stop in (_share_bounds(rows, parts, i) for i in range(parts))]
    largest = max(sizes)

    def gather(leaf):
        if not isinstance(leaf, torch.Tensor) or not leaf.ndim:
            return leaf
        local = leaf.to(_collective_device())
        if local.shape[0] < largest:
            padding = local.new_zeros((largest - local.shape[0],) + tuple(local.shape[1:]))
            local = torch.cat([local, padding])
        pieces = [torch.empty_like(local) for _ in range(parts)]
        dist.all_gather(pieces, local.contiguous(), group=group)
        return torch.cat([piece[:size] for piece, size in zip(pieces, sizes)]).to(leaf.device)

    return _map(gather, tree)


def _full(tree):
    """DTensors in `tree` as whole local tensors (every process gets them)."""
    return _map(lambda leaf: leaf.full_tensor() if _is_dtensor(leaf) else leaf, tree)


def compile_distributed_function(fn, state_variables, jit_compile, mesh, batch_axis):
    """``step(data)`` running `fn` (``compile_function``'s) on this process's
    share of the global batch `data`.

    The outputs of a predict step (`fn` named ``predict_step``, the trainer's)
    are per-sample: each is gathered along its first axis over the replicas,
    so every process returns the whole batch's. Other steps' logs are the
    trainer's metric results, already over every replica (``cross_replica_sum``
    of the metric states), and are returned as they are.
    """
    state_variables = list(state_variables)
    compiled = compile_function(fn, state_variables, jit_compile)
    if isinstance(mesh, LocalMesh):
        device = mesh.device

        def local_step(data):
            previous = _current[0]
            _current[0] = device
            try:
                return compiled(data)
            finally:
                _current[0] = previous

        return local_step if device != _current[0] else compiled

    batch_dim = list(mesh.mesh_dim_names).index(batch_axis)
    if any(_is_dtensor(variable.handle) for variable in state_variables):
        return _global_view_step(compiled, mesh, batch_dim)
    parts = mesh.size(batch_dim)
    index = mesh.get_local_rank(batch_dim)
    gather = parts > 1 and getattr(fn, "__name__", None) == "predict_step"
    device = _current[0]

    def step(data):
        # The group is looked up each step, not held: see _shut_down.
        group = mesh.get_group(batch_dim) if parts > 1 else None
        rows = _rows(data)
        if rows is not None and parts > 1:
            start, stop = _share_bounds(rows, parts, index)
            data = _take_share(data, start, stop, device)
        previous = _replica[0]
        _replica[0] = None if group is None else (group, parts)
        try:
            logs = compiled(data)
        finally:
            _replica[0] = previous
        if gather and rows is not None:
            logs = _gather_shares(logs, group, parts, rows)
        return logs

    return step


def _global_view_step(compiled, mesh, batch_dim):
    """The step over DTensors: batch tensors sharded (``Shard(0)``) over the
    batch mesh axis, variables as laid out, plain tensors made inside taken as
    replicated; DTensor's rules partition each op and reduce the gradients,
    so ``cross_replica_sum`` combines nothing. Outputs come back whole."""
    from torch.distributed.tensor import Replicate, Shard, distribute_tensor
    from torch.distributed.tensor.experimental import implicit_replication

    placements = [Replicate()] * mesh.ndim
    placements[batch_dim] = Shard(0)
    device = _current[0]
    float_type = _torch_dtype(floatx())

    def place(leaf):
        if isinstance(leaf, np.ndarray) and leaf.ndim:
            # A NumPy float batch is cast to floatx, as a layer casts it (float64 most often).
            leaf = _convert(leaf, float_type if leaf.dtype == np.float64 else None)
        if isinstance(leaf, torch.Tensor) and leaf.ndim and not _is_dtensor(leaf):
            return distribute_tensor(leaf.to(device), mesh, placements, src_data_rank=None)
        return leaf

    def step(data):
        with implicit_replication():
            return _full(compiled(_map(place, data)))

    return step


def cross_replica_sum(values):
    """One ``all_reduce`` over the batch replicas of all `values` flattened
    into one buffer per dtype (usually one), split back; see the contract."""
    replica = _replica[0]
    if replica is None:
        return None
    if not values:
        return []
    group = replica[0]
    values = list(values)
    by_dtype = {}
    for i, value in enumerate(values):
        by_dtype.setdefault(value.dtype, []).append(i)
    summed = [None] * len(values)
    for indices in by_dtype.values():
        buffer = torch.cat([values[i].reshape(-1) for i in indices])
        device = buffer.device
        if device != _collective_device():
            buffer = buffer.to(_collective_device())
        dist.all_reduce(buffer, group=group)
        buffer = buffer.to(device)
        offset = 0
        for i in indices:
            size = values[i].numel()
            summed[i] = buffer[offset:offset + size].view(values[i].shape)
            offset += size
    return summed
