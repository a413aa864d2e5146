"""Distribution on TensorFlow: ``tf.distribute`` strategies, run replica by replica.

TensorFlow is the *replica* style of the contract. A mesh is a
``MirroredStrategy`` over this process's devices, or, in a job of several
processes, the ``MultiWorkerMirroredStrategy`` that ``distribution_initialize``
creates (TensorFlow configures its collectives only before its runtime
starts, so the strategy is made there, at program start). The step is
``strategy.run`` of kfacade's step inside one ``tf.function``: each replica
gets its ``numpy.array_split`` share of the global batch, and kfacade's train
step combines the replicas through ``cross_replica_sum`` (one
``ReplicaContext.all_reduce`` per call). Variables are mirrored
(``ON_WRITE``: every replica computes the same update after the gradient
sum, replica 0's write is the one kept) or, for metric state (aggregation
"sum"), ``ON_READ``: one local copy per replica, summed when read outside a
step. The strategies keep a full copy of every variable on every replica,
so a sharded layout (``ModelParallel``) raises NotImplementedError.
"""
import json
import os
import threading

import numpy as np
import tensorflow as tf

from kfacade.backend.contract import FAMILIES
from kfacade.backend.device_names import parse_device_name
from kfacade.backend.state import compiled_step_trace

from .device import list_devices

__all__ = list(FAMILIES["distribute"])

_SUM = tf.distribute.ReduceOp.SUM


class _Job:
    """The multi-process job joined by ``distribution_initialize``."""

    def __init__(self, process_id, num_processes, timeout_seconds, strategy):
        self.process_id = process_id
        self.num_processes = num_processes
        self.timeout_seconds = timeout_seconds
        self.strategy = strategy
        self.sum_function = None


_job = [None]


class _ReplicaState(threading.local):
    """Per thread (MirroredStrategy runs each replica in its own thread): the
    record of the distributed step whose replica function runs here, or None."""

    record = None


_replica = _ReplicaState()


# ------------------------------------------------------------- processes
def distribution_initialize(job_addresses, num_processes, process_id, timeout_seconds):
    """Writes ``TF_CONFIG`` (one worker per address, this one `process_id`) and
    creates the job's ``MultiWorkerMirroredStrategy``, whose collectives time
    out after `timeout_seconds`.

    Raises:
        RuntimeError: TensorFlow's runtime has started already (a tensor or
            variable was made before): its collectives can no longer be set up.
    """
    num_processes, process_id = int(num_processes), int(process_id)
    if _job[0] is not None:
        raise RuntimeError("kfacade.distribution.initialize() was called already in this process.")
    addresses = list(job_addresses)
    if len(addresses) != num_processes:
        raise ValueError(
            f"TensorFlow's MultiWorkerMirroredStrategy needs the address of every process: "
            f"received {len(addresses)} job_addresses for num_processes={num_processes}."
        )
    os.environ["TF_CONFIG"] = json.dumps({
        "cluster": {"worker": addresses},
        "task": {"type": "worker", "index": process_id},
    })
    options = tf.distribute.experimental.CommunicationOptions(
        timeout_seconds=float(timeout_seconds))
    try:
        strategy = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
    except RuntimeError as error:
        raise RuntimeError(
            "TensorFlow sets up its cross-process collectives only before its runtime starts: "
            "call kfacade.distribution.initialize() at the start of the program, before any "
            f"tensor or variable is made. ({error})"
        ) from error
    _job[0] = _Job(process_id, num_processes, float(timeout_seconds), strategy)


def process_info():
    job = _job[0]
    return (0, 1) if job is None else (job.process_id, job.num_processes)


def process_sum(array):
    """A collective sum through the job's strategy: each process's first local
    replica contributes `array`, the others zeros."""
    array = np.asarray(array)
    job = _job[0]
    if job is None or job.num_processes == 1:
        return array
    strategy = job.strategy
    if job.sum_function is None:
        local_count = len(strategy.extended.worker_devices)

        def total(value):
            def contribution(ctx):
                first = ctx.replica_id_in_sync_group % local_count == 0
                return tf.identity(value) if first else tf.zeros_like(value)

            per_replica = strategy.experimental_distribute_values_from_function(contribution)
            return strategy.reduce(_SUM, per_replica, axis=None)

        job.sum_function = tf.function(total, autograph=False)
    # Collectives sum float64 and int64 on every device kind; back to the caller's dtype after.
    wide = np.float64 if np.issubdtype(array.dtype, np.floating) else np.int64
    summed = job.sum_function(tf.convert_to_tensor(array.astype(wide)))
    return np.asarray(summed.numpy()).astype(array.dtype)


# --------------------------------------------------------------- meshes
def _local_kind():
    return "gpu" if list_devices("gpu") else "cpu"


def distribution_devices():
    """This process's GPUs, else its CPUs; in a job, each worker's as "worker<i>/gpu:0"
    (MultiWorkerMirroredStrategy runs one replica per GPU of each worker, or
    one on its CPU when it has none)."""
    job = _job[0]
    if job is None:
        return list_devices(_local_kind())
    local = len(job.strategy.extended.worker_devices)
    kind = _local_kind()
    return [f"worker{task}/{kind}:{index}" for task in range(job.num_processes)
            for index in range(local)]


_NOT_SHARDED = (
    "tf.distribute's MirroredStrategy keeps a full copy of every variable on each replica; "
    "use DataParallel, or the JAX or torch backend for ModelParallel"
)


def mesh_create(shape, axis_names, device_names):
    """A ``MirroredStrategy`` over the named devices (any mesh shape: the batch is
    split over all of them), or the job's ``MultiWorkerMirroredStrategy``."""
    names = list(device_names)
    job = _job[0]
    if job is not None:
        available = distribution_devices()
        missing = [name for name in names if name not in available]
        if missing:
            raise ValueError(
                f"Devices {missing} are not in this TensorFlow job. Available devices: "
                f"{available}."
            )
        if names != available:
            raise NotImplementedError(
                f"TensorFlow's MultiWorkerMirroredStrategy runs on every device of the job, in "
                f"order ({available}); a mesh over {names} is not supported."
            )
        return job.strategy
    tf_names = []
    for name in names:
        try:
            kind, index = parse_device_name(name)
        except ValueError:
            kind, index = None, 0
        if kind is None or index >= len(tf.config.list_logical_devices(kind.upper())):
            raise ValueError(
                f"Device {name!r} is not available to TensorFlow. Available devices: "
                f"{list_devices()}."
            )
        tf_names.append(f"/{kind.upper()}:{index}")
    if len(set(tf_names)) != len(tf_names):
        raise ValueError(f"A device mesh lists each device once. Received: {names}")
    return tf.distribute.MirroredStrategy(devices=tf_names)


# ------------------------------------------------------------ variables
_AGGREGATIONS = {
    "sum": tf.VariableAggregation.SUM,
    "mean": tf.VariableAggregation.MEAN,
    "none": tf.VariableAggregation.ONLY_FIRST_REPLICA,
    "only_first_replica": tf.VariableAggregation.ONLY_FIRST_REPLICA,
}


def distribute_variable(handle, mesh, axes, aggregation):
    """A new variable under `mesh`'s scope holding `handle`'s value: ON_READ with SUM
    for "sum" (replica 0 of process 0 holds the value, the other copies zeros,
    so a read sums to it), else mirrored ON_WRITE (MEAN for "mean", else
    ONLY_FIRST_REPLICA). Over many processes the strategy broadcasts process
    0's initial value."""
    if any(axis is not None for axis in axes):
        raise NotImplementedError(
            f"Cannot lay out a variable of shape {tuple(handle.shape)} as {tuple(axes)}: "
            f"{_NOT_SHARDED}."
        )
    strategy = mesh
    value = handle.read_value() if isinstance(handle, tf.Variable) else tf.convert_to_tensor(handle)
    name = handle.name.split(":")[0] if isinstance(handle, tf.Variable) else None
    trainable = bool(getattr(handle, "trainable", False))
    on_read = aggregation == "sum"
    if process_info()[1] > 1 and value.dtype not in _COLLECTIVE_DTYPES:
        # TF's collectives cannot broadcast this dtype (seed states are
        # uint32), so no strategy variable can hold it across workers (the
        # strategy broadcasts every initial value): each worker keeps a plain
        # local variable, starting from process 0's value (shared as int64)
        # and updated alike by the workers' identical steps.
        shared = process_sum(np.asarray(value).astype("int64") if process_info()[0] == 0
                             else np.zeros(value.shape, "int64"))
        return tf.Variable(shared.astype(value.dtype.as_numpy_dtype), trainable=trainable,
                           name=name, dtype=value.dtype)
    with strategy.scope():
        variable = tf.Variable(
            tf.zeros_like(value) if on_read else value, trainable=trainable, name=name,
            dtype=value.dtype,
            synchronization=(tf.VariableSynchronization.ON_READ if on_read
                             else tf.VariableSynchronization.ON_WRITE),
            aggregation=_AGGREGATIONS.get(aggregation, tf.VariableAggregation.ONLY_FIRST_REPLICA))
    if on_read and process_info()[0] == 0:
        # Each local copy is assigned directly: assigning the distributed
        # variable would divide `value` over the replicas (inexact for ints).
        strategy.experimental_local_results(variable)[0].assign(value)
    return variable


#: The dtypes TF's collective ops (broadcast, all-reduce) accept.
_COLLECTIVE_DTYPES = (tf.bool, tf.float32, tf.float16, tf.float64, tf.int32, tf.int64)


def variable_layout(handle):
    return (None,) * len(handle.shape)


# ----------------------------------------------------------------- step
def _share(leaf, replica_id, replicas, device):
    """Replica `replica_id`'s ``numpy.array_split`` share of a batch leaf, on `device`."""
    with tf.device(device):
        if isinstance(leaf, (tf.Tensor, tf.Variable)):
            rows = leaf.shape[0] if leaf.shape.rank else None
        else:
            leaf = np.asarray(leaf)
            rows = leaf.shape[0] if leaf.ndim else None
        if rows is None:  # a scalar: every replica receives it
            return tf.identity(leaf)
        size, extra = divmod(rows, replicas)
        start = replica_id * size + min(replica_id, extra)
        stop = start + size + (1 if replica_id < extra else 0)
        part = leaf[start:stop]
        return tf.convert_to_tensor(part) if isinstance(part, np.ndarray) else tf.identity(part)


def compile_distributed_function(fn, state_variables, jit_compile, mesh, batch_axis):
    """``strategy.run`` of `fn` in one ``tf.function`` (no autograph, as
    ``compile_function``), each replica on its share of the global batch.

    A step that combined its replicas (called ``cross_replica_sum``: kfacade's
    train and test steps) returns replica 0's logs, which are then global; one
    that did not (the predict step) returns per-sample outputs, gathered from
    every replica in replica order (``strategy.gather``, across processes too).
    `jit_compile` is not applied: XLA does not compile the strategy's
    cross-replica calls. Variables are tracked by ``tf.function``, so
    `state_variables` is not needed.
    """
    strategy = mesh
    record = {"combined": False}
    replicas = strategy.num_replicas_in_sync
    local_devices = list(strategy.extended.worker_devices)

    def replica_fn(data):
        previous = _replica.record
        _replica.record = record
        try:
            with compiled_step_trace():
                return fn(data)
        finally:
            _replica.record = previous

    def first_replica(value):
        return strategy.experimental_local_results(value)[0]

    def gathered(value):
        local = first_replica(value)
        if not isinstance(local, tf.Tensor) or not local.shape.rank:
            return local
        return strategy.gather(value, axis=0)

    def traced(data):
        outputs = strategy.run(replica_fn, args=(data,))
        finish = first_replica if record["combined"] else gathered
        return tf.nest.map_structure(finish, outputs)

    function = tf.function(traced, autograph=False)

    def step(data):
        flat = tf.nest.flatten(data)
        present = [i for i, leaf in enumerate(flat) if leaf is not None]

        def shares(ctx):
            replica_id = ctx.replica_id_in_sync_group
            device = local_devices[replica_id % len(local_devices)]
            return [_share(flat[i], replica_id, replicas, device) for i in present]

        per_replica = strategy.experimental_distribute_values_from_function(shares)
        for i, value in zip(present, per_replica):
            flat[i] = value
        return function(tf.nest.pack_sequence_as(data, flat))

    step.tf_function = function
    return step


def cross_replica_sum(values):
    """``ReplicaContext.all_reduce`` of the list inside a distributed step's
    replica function; None anywhere else (one thread-local read)."""
    record = _replica.record
    if record is None:
        return None
    record["combined"] = True
    if not values:
        return []
    # A value without a device (a variable's read: metric state) is copied in
    # the replica's device scope: over many processes, a replica's lone value
    # is also where the strategy reduces to, which must be a device.
    tensors = [tf.identity(value) if isinstance(value, tf.Variable) or not value.device else value
               for value in values]
    return list(tf.distribute.get_replica_context().all_reduce(_SUM, tensors))
