"""``kfacade.distribution``: Keras 3's distribution API, run by each framework's own engine.

One user program trains data-parallel (``DataParallel``) or with variables
sharded over a device mesh (``ModelParallel``) on every backend: JAX compiles
one SPMD program over a ``jax.sharding.Mesh``; TensorFlow runs
``tf.distribute.MirroredStrategy`` (``MultiWorkerMirroredStrategy`` across
processes); torch runs one process per device under ``torch.distributed``.
The adapters' ``distribute.py`` files do the mapping (see the "distribute"
family of ``kfacade/backend/contract.py``); ``fit``, ``evaluate`` and
``predict`` are the same loop with or without a distribution.

Example:
    >>> kfacade.distribution.set_distribution(kfacade.distribution.DataParallel())
    >>> model.fit(x, y, batch_size=64)  # 64 samples per step, split over the devices
"""
import collections.abc
import contextlib
import re

import numpy as np

from kfacade.backend.active import adapter as _B
from kfacade.distribution.process_env import collective_timeout, job_from_environment

__all__ = [
    "DataParallel", "DeviceMesh", "Distribution", "LayoutMap", "ModelParallel", "TensorLayout",
    "distribution", "get_device_count", "initialize", "is_chief", "list_devices",
    "num_processes", "process_id", "set_distribution", "barrier",
]


# ------------------------------------------------------------- processes
def initialize(job_addresses=None, num_processes=None, process_id=None):
    """Joins this process to a multi-process job (Keras 3's ``initialize``).

    Args:
        job_addresses: "host:port" of every process, comma-separated or a
            list; the first is the coordinator. torch and JAX need only the
            coordinator's.
        num_processes: how many processes the job has.
        process_id: this process's index, 0 to ``num_processes - 1``.

    Any argument left None comes from the environment: kfacade's launcher
    variables (``KFACADE_JOB_ADDRESSES``, ``KFACADE_NUM_PROCESSES``,
    ``KFACADE_PROCESS_ID``), torchrun's (``MASTER_ADDR``, ``WORLD_SIZE``,
    ``RANK``...) or TensorFlow's ``TF_CONFIG``. Collectives time out after
    ``KFACADE_COLLECTIVE_TIMEOUT`` seconds (default 120), so a process whose
    peer died exits with an error instead of hanging.

    Raises:
        ValueError: the job is not described (no arguments, no environment),
            or its values are inconsistent.
    """
    if isinstance(job_addresses, str):
        job_addresses = [a.strip() for a in job_addresses.split(",") if a.strip()]
    if job_addresses is None or num_processes is None or process_id is None:
        found = job_from_environment()
        if found is None:
            raise ValueError(
                "kfacade.distribution.initialize() found no job: pass job_addresses, "
                "num_processes and process_id, or start the processes with "
                "`python -m kfacade.distribution.launch`, torchrun, or TF_CONFIG."
            )
        env_addresses, env_count, env_id = found
        job_addresses = env_addresses if job_addresses is None else job_addresses
        num_processes = env_count if num_processes is None else num_processes
        process_id = env_id if process_id is None else process_id
    num_processes, process_id = int(num_processes), int(process_id)
    if not 0 <= process_id < num_processes:
        raise ValueError(
            f"process_id={process_id} is outside the job of num_processes={num_processes}."
        )
    if not job_addresses:
        raise ValueError("initialize() needs at least the coordinator's address in job_addresses.")
    if num_processes == 1:
        return  # a job of one process (e.g. torchrun --nproc_per_node=1) needs no runtime
    _B.distribution_initialize(list(job_addresses), num_processes, process_id, collective_timeout())


def process_id():
    """This process's index in the job (0 with one process)."""
    return _B.process_info()[0]


def num_processes():
    """How many processes the job has (1 without ``initialize``)."""
    return _B.process_info()[1]


def is_chief():
    """True in process 0, the one that prints progress and writes checkpoints."""
    return _B.process_info()[0] == 0


def barrier():
    """Returns once every process has reached it (at once with one process)."""
    if _B.process_info()[1] > 1:
        _B.process_sum(np.zeros((1,), "int32"))


def list_devices(device_type=None):
    """The devices a distribution may span: every process's, in the framework's order.

    With `device_type` ("cpu", "gpu"), this process's devices of that kind.
    """
    if device_type is None:
        return list(_B.distribution_devices())
    return list(_B.list_devices(device_type))


def get_device_count(device_type=None):
    """The number of devices of one kind (Keras 3's ``get_device_count``).

    Without `device_type`, the default kind's: the accelerators when there
    are any, else the CPUs (the devices ``list_devices()`` spans), never a
    mix of kinds.

    Args:
        device_type: "cpu", "gpu" or "tpu" (case-insensitive), or None.
    """
    if device_type is None:
        return len(_B.distribution_devices())
    return len(_B.list_devices(device_type.lower()))


# ------------------------------------------------------ meshes and layouts
class DeviceMesh:
    """Devices arranged as an n-dimensional grid with named axes.

    Args:
        shape: the grid's shape, e.g. ``(2, 2)``.
        axis_names: one name per axis, e.g. ``["batch", "model"]``.
        devices: device names (``list_devices()`` by default), as many as the
            grid has cells, in row-major order.

    Raises:
        ValueError: the names or the devices do not fit the shape.
    """

    def __init__(self, shape, axis_names, devices=None):
        shape = tuple(int(d) for d in shape)
        axis_names = [str(name) for name in axis_names]
        if len(axis_names) != len(shape):
            raise ValueError(
                f"Shape and axis_names cannot be mismatched. Received: shape={shape}, "
                f"axis_names={axis_names}"
            )
        if len(set(axis_names)) != len(axis_names):
            raise ValueError(f"axis_names must be unique. Received: {axis_names}")
        if devices is None:
            devices = list_devices()
        devices = np.asarray(devices, dtype=object)
        if devices.size != int(np.prod(shape)):
            raise ValueError(
                f"Shape {shape} does not match the number of devices ({devices.size}): "
                f"{list(devices.flat)}."
            )
        self._shape = shape
        self._axis_names = axis_names
        self._devices = devices.reshape(shape)
        self._native = None

    @property
    def shape(self):
        return self._shape

    @property
    def axis_names(self):
        return list(self._axis_names)

    @property
    def devices(self):
        """The device names as an array of the mesh's shape."""
        return self._devices

    @property
    def backend_mesh(self):
        """The adapter's native mesh (created on first use)."""
        if self._native is None:
            self._native = _B.mesh_create(self._shape, tuple(self._axis_names),
                                          [str(d) for d in self._devices.flat])
        return self._native

    def __repr__(self):
        return f"<DeviceMesh shape={self._shape}, axis_names={self._axis_names}>"


class TensorLayout:
    """How a tensor is laid out on a mesh: per dimension, a mesh axis to shard it over, or None.

    Args:
        axes: one entry per tensor dimension (a mesh axis name or None).
        device_mesh: the mesh; a ``LayoutMap`` fills it in when omitted.
    """

    def __init__(self, axes, device_mesh=None):
        self.axes = tuple(axes)
        self.device_mesh = device_mesh
        if device_mesh is not None:
            self._check_axes(device_mesh)

    def _check_axes(self, mesh):
        unknown = [a for a in self.axes if a is not None and a not in mesh.axis_names]
        if unknown:
            raise ValueError(
                f"Invalid axis names for layout {self.axes}: {unknown} are not axes of the "
                f"device mesh {mesh.axis_names}."
            )

    def __repr__(self):
        return f"<TensorLayout axes={self.axes}>"


class LayoutMap(collections.abc.MutableMapping):
    """Variable-path regexes mapped to layouts (``ModelParallel``'s plan).

    A variable takes the layout of the key equal to its path, else of the one
    key that ``re.search``es its path; none found means replicated.

    Example:
        >>> layout_map = LayoutMap(mesh)
        >>> layout_map["dense.*kernel"] = (None, "model")
        >>> layout_map["dense.*bias"] = ("model",)
    """

    def __init__(self, device_mesh):
        self._mesh = device_mesh
        self._layouts = {}

    @property
    def device_mesh(self):
        return self._mesh

    def __getitem__(self, key):
        """The layout for variable path `key`, or None.

        Raises:
            ValueError: several regexes match `key`.
        """
        if key in self._layouts:
            return self._layouts[key]
        matches = [pattern for pattern in self._layouts if re.search(pattern, key)]
        if len(matches) > 1:
            raise ValueError(
                f"Path {key!r} matches multiple layout specification keys: {matches}. "
                f"Make the keys in the LayoutMap more specific."
            )
        return self._layouts[matches[0]] if matches else None

    def __setitem__(self, key, layout):
        if key in self._layouts:
            raise ValueError(
                f"{key!r} already has a layout: {self._layouts[key]}. Delete it first."
            )
        if not isinstance(layout, TensorLayout):
            if not isinstance(layout, (tuple, list)):
                raise ValueError(
                    f"A layout must be a TensorLayout or a tuple of axis names. Received: "
                    f"{layout!r}"
                )
            layout = TensorLayout(layout)
        if layout.device_mesh is None:
            layout.device_mesh = self._mesh
        layout._check_axes(self._mesh)
        self._layouts[key] = layout

    def __delitem__(self, key):
        del self._layouts[key]

    def __len__(self):
        return len(self._layouts)

    def __iter__(self):
        return iter(self._layouts)


# ---------------------------------------------------------- distributions
_current = [None]


class Distribution:
    """The base: a device mesh and the mesh axis the batch is split along."""

    def __init__(self, device_mesh, batch_dim_name):
        if batch_dim_name not in device_mesh.axis_names:
            raise ValueError(
                f"batch_dim_name {batch_dim_name!r} is not an axis of the device mesh "
                f"{device_mesh.axis_names}."
            )
        self._mesh = device_mesh
        self._batch_dim_name = batch_dim_name

    @property
    def device_mesh(self):
        return self._mesh

    @property
    def batch_dim_name(self):
        return self._batch_dim_name

    def get_data_layout(self, data_shape):
        """Inputs are split along their first axis over the batch mesh axis."""
        return TensorLayout([self._batch_dim_name] + [None] * (len(data_shape) - 1), self._mesh)

    def get_variable_layout(self, variable):
        """Replicated (subclasses shard); an optimizer slot follows its variable."""
        return TensorLayout([None] * len(variable.shape), self._mesh)

    @contextlib.contextmanager
    def scope(self):
        """Makes this the distribution within the block."""
        previous = _current[0]
        _current[0] = self
        try:
            yield
        finally:
            _current[0] = previous


class DataParallel(Distribution):
    """Every variable replicated, each batch split over the devices.

    Args:
        device_mesh: a 1-D mesh; default: one over `devices`.
        devices: device names; default: every device (``list_devices()``).
        auto_shard_dataset: accepted for Keras 3 compatibility; array data
            is always split, each device receiving only its share.
    """

    def __init__(self, device_mesh=None, devices=None, auto_shard_dataset=True):
        if device_mesh is None:
            devices = list(devices) if devices is not None else list_devices()
            device_mesh = DeviceMesh((len(devices),), ["batch"], devices)
        elif len(device_mesh.shape) != 1:
            raise ValueError(
                f"DataParallel needs a 1-D device mesh. Received: shape={device_mesh.shape}"
            )
        super().__init__(device_mesh, device_mesh.axis_names[0])


class ModelParallel(Distribution):
    """Variables laid out per a ``LayoutMap``, batches split over `batch_dim_name`.

    Args:
        device_mesh: accepted for Keras's older signature; must be the layout
            map's mesh.
        layout_map: a ``LayoutMap``: variable-path regex -> layout.
        batch_dim_name: the mesh axis batches are split along; default the
            mesh's first axis.
    """

    def __init__(self, device_mesh=None, layout_map=None, batch_dim_name=None, **kwargs):
        if kwargs:
            raise TypeError(f"ModelParallel got unexpected arguments {sorted(kwargs)}")
        if not isinstance(layout_map, LayoutMap):
            raise ValueError(
                f"ModelParallel needs a LayoutMap as layout_map. Received: {layout_map!r}"
            )
        mesh = layout_map.device_mesh
        if device_mesh is not None and device_mesh is not mesh:
            raise ValueError("device_mesh must be the mesh of the layout_map.")
        super().__init__(mesh, batch_dim_name or mesh.axis_names[0])
        self._layout_map = layout_map

    def get_variable_layout(self, variable):
        reference = getattr(variable, "layout_reference", None)
        path = getattr(reference or variable, "path", None) or variable.name
        layout = self._layout_map[path]
        if layout is None:
            return super().get_variable_layout(variable)
        if len(layout.axes) != len(variable.shape):
            raise ValueError(
                f"The layout {layout.axes} for variable {path!r} has {len(layout.axes)} "
                f"axes; the variable has shape {variable.shape}."
            )
        return layout


def set_distribution(value):
    """Sets the distribution every later ``fit``/``evaluate``/``predict`` uses (None: none)."""
    if value is not None and not isinstance(value, Distribution):
        raise ValueError(f"Expected a Distribution or None. Received: {value!r}")
    _current[0] = value


def distribution():
    """The distribution in effect (``set_distribution`` or the innermost ``scope()``), or None."""
    return _current[0]


def distribute_variables(variables, dist):
    """Lays each of `variables` out on `dist`'s mesh (once per mesh), in place.

    Each variable's native storage is replaced by the adapter's distributed
    one, holding the same value; a variable already on the mesh is left alone.
    """
    mesh = dist.device_mesh
    native = mesh.backend_mesh
    for variable in variables:
        if getattr(variable, "_distributed_on", None) is mesh:
            continue
        layout = dist.get_variable_layout(variable)
        variable._handle = _B.distribute_variable(
            variable._handle, native, tuple(layout.axes), variable.aggregation)
        variable._distributed_on = mesh
