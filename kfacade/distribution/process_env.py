"""The environment variables that describe a job of several processes.

Three ways of describing a job are read, in this order (the first one present
wins):

1. kfacade's own variables, set by ``python -m kfacade.distribution.launch``
   or by hand on each host:

   - ``KFACADE_JOB_ADDRESSES``: comma-separated ``host:port``, one per process;
     the first is the coordinator. Only TensorFlow's ``MultiWorkerMirroredStrategy``
     needs every address (each worker serves on its own); torch's process group
     and ``jax.distributed`` need only the coordinator, so a single address is
     accepted too, with ``KFACADE_NUM_PROCESSES`` giving the count.
   - ``KFACADE_NUM_PROCESSES``: the number of processes (by default the number
     of addresses).
   - ``KFACADE_PROCESS_ID``: this process's index, 0 for the coordinator.

2. torchrun's ``MASTER_ADDR``, ``MASTER_PORT``, ``WORLD_SIZE`` and ``RANK``. The
   job addresses are then the coordinator's alone (``["MASTER_ADDR:MASTER_PORT"]``),
   which is all torch and JAX need.

3. TensorFlow's ``TF_CONFIG``: ``{"cluster": {"worker": [...], "chief": [...]},
   "task": {"type": "worker", "index": i}}``. As in TensorFlow, a ``chief`` is
   process 0 and the workers follow it.

``KFACADE_COLLECTIVE_TIMEOUT`` (seconds, 120 by default) bounds how long a
collective waits for a peer, so that a process that died makes the others fail
instead of hanging.

This module imports nothing but the standard library: the launcher reads and
writes these variables without loading a framework.
"""
import json
import math
import os

#: kfacade's variables, in the order a job is read from them.
JOB_ADDRESSES = "KFACADE_JOB_ADDRESSES"
NUM_PROCESSES = "KFACADE_NUM_PROCESSES"
PROCESS_ID = "KFACADE_PROCESS_ID"
COLLECTIVE_TIMEOUT = "KFACADE_COLLECTIVE_TIMEOUT"

#: Seconds a collective waits for its peers when KFACADE_COLLECTIVE_TIMEOUT is unset.
DEFAULT_COLLECTIVE_TIMEOUT = 120.0

_TORCHRUN = ("MASTER_ADDR", "MASTER_PORT", "WORLD_SIZE", "RANK")


def split_address(address, variable="address"):
    """``"host:port"`` -> ``(host, port)``; an IPv6 host is written in brackets.

    Raises:
        ValueError: no port, an empty host, or a port that is not in 1..65535;
            the message names `variable` and the received value.
    """
    host, colon, port = address.strip().rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(
            f"{variable}: expected 'host:port' with a port in 1..65535 (IPv6 hosts in brackets, "
            f"'[::1]:1234'). Received: {address!r}")
    return host, int(port)


def _integer(environ, variable, minimum):
    value = environ[variable]
    try:
        number = int(value.strip())
    except ValueError:
        number = None
    if number is None or number < minimum:
        raise ValueError(f"{variable}: expected an integer >= {minimum}. Received: {value!r}")
    return number


def _check_process_id(process_id, num_processes, id_name, count_name):
    if process_id >= num_processes:
        raise ValueError(
            f"{id_name}={process_id} is not below {count_name}={num_processes}: "
            f"process ids run from 0 to {num_processes - 1}.")


def _from_kfacade(environ):
    given = [name for name in (JOB_ADDRESSES, NUM_PROCESSES, PROCESS_ID) if environ.get(name, "").strip()]
    if not given:
        return None
    for required in (JOB_ADDRESSES, PROCESS_ID):
        if required not in given:
            raise ValueError(
                f"{required} is not set, but {', '.join(given)} is: a kfacade job needs "
                f"{JOB_ADDRESSES} (host:port of each process, coordinator first) and {PROCESS_ID}.")
    addresses = [a.strip() for a in environ[JOB_ADDRESSES].split(",")]
    for address in addresses:
        split_address(address, JOB_ADDRESSES)
    if NUM_PROCESSES in given:
        num_processes = _integer(environ, NUM_PROCESSES, 1)
        if len(addresses) not in (1, num_processes):
            raise ValueError(
                f"{JOB_ADDRESSES} lists {len(addresses)} addresses but {NUM_PROCESSES}={num_processes}: "
                f"give one address per process, or the coordinator's alone. "
                f"Received: {environ[JOB_ADDRESSES]!r}")
    else:
        num_processes = len(addresses)
    process_id = _integer(environ, PROCESS_ID, 0)
    _check_process_id(process_id, num_processes, PROCESS_ID, NUM_PROCESSES)
    return addresses, num_processes, process_id


def _from_torchrun(environ):
    if not any(environ.get(name, "").strip() for name in ("WORLD_SIZE", "RANK")):
        return None
    missing = [name for name in _TORCHRUN if not environ.get(name, "").strip()]
    if missing:
        raise ValueError(
            f"{', '.join(missing)} not set, but WORLD_SIZE or RANK is: torchrun's environment needs "
            f"all of {', '.join(_TORCHRUN)}.")
    num_processes = _integer(environ, "WORLD_SIZE", 1)
    process_id = _integer(environ, "RANK", 0)
    _check_process_id(process_id, num_processes, "RANK", "WORLD_SIZE")
    if _integer(environ, "MASTER_PORT", 1) > 65535:
        raise ValueError(f"MASTER_PORT: expected a port in 1..65535. Received: {environ['MASTER_PORT']!r}")
    address = f"{environ['MASTER_ADDR'].strip()}:{environ['MASTER_PORT'].strip()}"
    host, port = split_address(address, "MASTER_ADDR:MASTER_PORT")
    return [_join(host, port)], num_processes, process_id


def _from_tf_config(environ):
    text = environ.get("TF_CONFIG", "").strip()
    if not text:
        return None
    try:
        config = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"TF_CONFIG is not JSON ({error}). Received: {text!r}") from None
    cluster = config.get("cluster") if isinstance(config, dict) else None
    task = config.get("task") if isinstance(config, dict) else None
    if not isinstance(cluster, dict) or not isinstance(task, dict):
        raise ValueError(
            'TF_CONFIG: expected {"cluster": {"worker": ["host:port", ...]}, '
            f'"task": {{"type": "worker", "index": 0}}}}. Received: {text!r}')
    chief, workers = cluster.get("chief", []), cluster.get("worker", [])
    if (not isinstance(chief, list) or not isinstance(workers, list) or len(chief) > 1
            or not all(isinstance(a, str) for a in chief + workers) or not chief + workers):
        raise ValueError(
            "TF_CONFIG: cluster.worker must be a list of 'host:port' strings and cluster.chief "
            f"a list of at most one. Received: {text!r}")
    addresses = chief + workers
    for address in addresses:
        split_address(address, "TF_CONFIG cluster")
    kind, index = task.get("type"), task.get("index", 0)
    if kind not in ("worker", "chief"):
        raise ValueError(
            f"TF_CONFIG: task.type must be 'worker' or 'chief' (kfacade runs no parameter server "
            f"or evaluator task). Received: task.type={kind!r} in {text!r}")
    members = chief if kind == "chief" else workers
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(members):
        raise ValueError(
            f"TF_CONFIG: task.index must be an integer from 0 to {len(members) - 1} "
            f"(cluster.{kind} has {len(members)}). Received: task.index={index!r} in {text!r}")
    process_id = index if kind == "chief" else len(chief) + index
    return addresses, len(addresses), process_id


def job_from_environment(environ=os.environ):
    """The job that `environ` describes: ``(job_addresses, num_processes, process_id)``.

    Args:
        environ: a mapping of environment variables (``os.environ`` by default).

    Returns:
        ``None`` when none of kfacade's, torchrun's or TensorFlow's variables is
        set; otherwise a tuple of a list of ``"host:port"`` strings (the first
        is the coordinator's; one per process when the source lists them all),
        the number of processes and this process's index. A job of one process
        (``WORLD_SIZE=1``) is returned as such.

    Raises:
        ValueError: an inconsistent or malformed variable, named in the message
            with the received value.

    Example:
        >>> job_from_environment({"MASTER_ADDR": "10.0.0.1", "MASTER_PORT": "29500",
        ...                       "WORLD_SIZE": "2", "RANK": "1"})
        (['10.0.0.1:29500'], 2, 1)
    """
    for source in (_from_kfacade, _from_torchrun, _from_tf_config):
        job = source(environ)
        if job is not None:
            return job
    return None


def collective_timeout(environ=os.environ):
    """Seconds a collective waits for its peers: ``KFACADE_COLLECTIVE_TIMEOUT``, else 120.

    Raises:
        ValueError: the variable is not a positive finite number.
    """
    value = environ.get(COLLECTIVE_TIMEOUT, "").strip()
    if not value:
        return DEFAULT_COLLECTIVE_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        seconds = None
    if seconds is None or not (seconds > 0 and math.isfinite(seconds)):
        raise ValueError(f"{COLLECTIVE_TIMEOUT}: expected a positive number of seconds. Received: {value!r}")
    return seconds


def _join(host, port):
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def environment_for(process_id, job_addresses, extra=None):
    """The variables that make process `process_id` a member of the job.

    Args:
        process_id: the process's index, 0 for the coordinator.
        job_addresses: ``"host:port"`` of every process, coordinator first.
        extra: more variables to set (``KERAS_BACKEND``, ...); they win over
            the job's.

    Returns:
        A dict of strings: kfacade's ``KFACADE_JOB_ADDRESSES``,
        ``KFACADE_NUM_PROCESSES`` and ``KFACADE_PROCESS_ID``; torchrun's
        ``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``, ``LOCAL_WORLD_SIZE``,
        ``MASTER_ADDR`` and ``MASTER_PORT``; and ``TF_CONFIG`` with every
        address as a worker. The local rank counts the earlier processes on the
        same host.

    Example:
        >>> environment_for(1, ["127.0.0.1:4000", "127.0.0.1:4001"])["TF_CONFIG"]
        '{"cluster": {"worker": ["127.0.0.1:4000", "127.0.0.1:4001"]}, "task": {"type": "worker", "index": 1}}'
    """
    job_addresses = list(job_addresses)
    hosts = [split_address(address, "job_addresses")[0] for address in job_addresses]
    if not 0 <= process_id < len(job_addresses):
        raise ValueError(
            f"process_id must be from 0 to {len(job_addresses) - 1} (one per job address). "
            f"Received: {process_id!r}")
    master_host, master_port = split_address(job_addresses[0], "job_addresses")
    host = hosts[process_id]
    environment = {
        JOB_ADDRESSES: ",".join(job_addresses),
        NUM_PROCESSES: str(len(job_addresses)),
        PROCESS_ID: str(process_id),
        "RANK": str(process_id),
        "LOCAL_RANK": str(hosts[:process_id].count(host)),
        "WORLD_SIZE": str(len(job_addresses)),
        "LOCAL_WORLD_SIZE": str(hosts.count(host)),
        "MASTER_ADDR": master_host,
        "MASTER_PORT": str(master_port),
        "TF_CONFIG": json.dumps({"cluster": {"worker": job_addresses},
                                 "task": {"type": "worker", "index": process_id}}),
    }
    environment.update({name: str(value) for name, value in (extra or {}).items()})
    return environment
