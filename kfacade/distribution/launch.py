"""``python -m kfacade.distribution.launch``: one job of N processes on this host.

    python -m kfacade.distribution.launch --nproc 2 train.py --epochs 3
    python -m kfacade.distribution.launch --nproc 2 --backend torch -m mypackage.train

Each process runs ``python train.py ...`` with the variables of
``process_env.environment_for``: kfacade's ``KFACADE_*``, torchrun's ``RANK``,
``WORLD_SIZE``, ``MASTER_ADDR``... and a ``TF_CONFIG``, on free loopback ports;
so the same command serves every backend. ``--backend`` sets ``KERAS_BACKEND``
and ``--timeout`` sets ``KFACADE_COLLECTIVE_TIMEOUT`` in the children. Their
output comes through line by line, prefixed with the process index (``[1] ...``;
``--no-prefix`` passes the streams through untouched instead). When a process
exits with an error or is killed, the others get SIGTERM, then SIGKILL 5 s
later, and the launcher exits with the failed process's code (128 + the
signal's number for a signal). Ctrl-C or SIGTERM to the launcher stops the
children the same way.

``python -m`` imports the ``kfacade`` package first, and ``kfacade/__init__.py``
loads the backend, so the launcher's own process pays one framework import.
Running the file (``python path/to/kfacade/distribution/launch.py ...``) imports
nothing but the standard library.

Recipes, for several hosts or without this launcher. ``train.py`` is the same
in each: it calls ``kfacade.distribution.initialize()`` before building the
model, which reads the job from the environment (``process_env``)::

    from kfacade import distribution
    distribution.initialize()
    distribution.set_distribution(distribution.DataParallel())
    ...  # build, compile and fit as on one device

- torch, through torchrun (it sets ``MASTER_ADDR``, ``MASTER_PORT``,
  ``WORLD_SIZE``, ``RANK``)::

      KERAS_BACKEND=torch torchrun --nproc_per_node=N train.py
      # several hosts: add --nnodes=H --node_rank=h --master_addr=HOST0 --master_port=PORT

- JAX, through ``jax.distributed`` (only the coordinator's address is needed),
  on each process p of P::

      KERAS_BACKEND=jax KFACADE_JOB_ADDRESSES=host0:1234 KFACADE_NUM_PROCESSES=P \\
          KFACADE_PROCESS_ID=p python train.py

- TensorFlow, through ``MultiWorkerMirroredStrategy`` (every worker's address,
  the same list everywhere, and this worker's index), on each worker i::

      KERAS_BACKEND=tensorflow \\
          TF_CONFIG='{"cluster": {"worker": ["host0:1234", "host1:1234"]},
                      "task": {"type": "worker", "index": i}}' python train.py

``KFACADE_COLLECTIVE_TIMEOUT`` (seconds, 120 by default) bounds a collective's
wait for a peer in each recipe, so a process that dies makes the others fail.
"""
import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time

if __package__:
    from kfacade.distribution.process_env import COLLECTIVE_TIMEOUT, collective_timeout, environment_for
else:  # run as a file: its folder is sys.path[0], and the kfacade package stays unloaded
    from process_env import COLLECTIVE_TIMEOUT, collective_timeout, environment_for

#: Seconds between SIGTERM and SIGKILL when the children are stopped.
GRACE_SECONDS = 5.0
#: Seconds between two looks at the children.
POLL_SECONDS = 0.05

_PROG = "python -m kfacade.distribution.launch"
_VALUE_OPTIONS = ("--nproc", "--timeout", "--backend")


def _parser():
    parser = argparse.ArgumentParser(
        prog=_PROG,
        usage=f"{_PROG} --nproc N [--timeout SECONDS] [--backend NAME] [--no-prefix] "
              "(script.py | -m module) [args ...]",
        description="Start N local processes of one job (kfacade, torchrun and TF_CONFIG variables set) "
                    "and stop them all when one fails.")
    parser.add_argument("--nproc", type=int, required=True, help="number of processes to start")
    parser.add_argument("--timeout", metavar="SECONDS",
                        help=f"{COLLECTIVE_TIMEOUT} for the children: how long a collective waits for a peer")
    parser.add_argument("--backend", metavar="NAME", help="KERAS_BACKEND for the children")
    parser.add_argument("--no-prefix", action="store_true",
                        help="pass the children's output through untouched instead of prefixing '[i] '")
    return parser


def _split(argv):
    """``argv`` -> (launcher options, command); as with python, the command starts at
    the script or at ``-m module`` and everything after it belongs to the command."""
    index = 0
    while index < len(argv):
        argument = argv[index]
        if argument == "--":
            return argv[:index], argv[index + 1:]
        if argument == "-m":
            return argv[:index], argv[index:]
        if argument.startswith("-m") and not argument.startswith("--"):  # -mmodule
            return argv[:index], ["-m", argument[2:]] + argv[index + 1:]
        if argument in _VALUE_OPTIONS:
            index += 2
        elif argument.startswith("-"):
            index += 1
        else:
            return argv[:index], argv[index:]
    return argv, []


def _parse(argv):
    """(options, command) or, for --help and usage errors, the exit status."""
    parser = _parser()
    options, command = _split(list(argv))
    try:
        parsed = parser.parse_args(options)
        if parsed.nproc < 1:
            parser.error(f"--nproc must be at least 1. Received: {parsed.nproc}")
        if parsed.timeout is not None:
            try:
                parsed.timeout = collective_timeout({COLLECTIVE_TIMEOUT: parsed.timeout})
            except ValueError:
                parser.error(f"--timeout must be a positive number of seconds. Received: {parsed.timeout!r}")
        if not command or command == ["-m"]:
            parser.error("no script to run: give script.py or -m module after the launcher's options")
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 2
    return parsed, command


def free_ports(count, host="127.0.0.1"):
    """`count` distinct ports that were free on `host` (each socket binds port 0,
    and all stay open until every port is known, so none repeats)."""
    sockets = []
    try:
        for _ in range(count):
            sockets.append(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sockets[-1].bind((host, 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _die_with_launcher():
    """Linux: a function run in each child before exec that asks the kernel for
    SIGTERM when the launcher dies, even by SIGKILL, so no child outlives it.
    The kernel ties this to the launcher's thread that started the child."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    launcher = os.getpid()

    def in_child():
        prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
        if os.getppid() != launcher:  # the launcher died before prctl took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return in_child


def _signal_children(children, signum):
    for child in children:
        try:
            if os.name == "posix":  # each child leads its own process group: its helpers go too
                os.killpg(child.pid, signum)
            elif signum == signal.SIGTERM:
                child.terminate()
            else:
                child.kill()
        except (ProcessLookupError, PermissionError):
            pass


def _stop(children, grace):
    """SIGTERM to every child's process group, SIGKILL to what still runs after `grace` s."""
    _signal_children(children, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(child.poll() is None for child in children):
        time.sleep(POLL_SECONDS)
    running = [child for child in children if child.poll() is None]
    _signal_children(running, getattr(signal, "SIGKILL", signal.SIGTERM))
    for child in running:
        try:
            child.wait(timeout=grace)
        except subprocess.TimeoutExpired:  # stuck in the kernel; nothing more to send
            pass


def _exit_status(returncode):
    return 128 - returncode if returncode < 0 else returncode


def _describe(returncode):
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = "an unknown signal"
        return f"was killed by signal {-returncode} ({name})"
    return f"exited with code {returncode}"


class _Output:
    """Writes whole lines to one of the launcher's streams, one writer at a time."""

    def __init__(self, stream):
        self.stream = stream
        self.lock = threading.Lock()
        self.broken = False

    def write(self, data):
        with self.lock:
            if self.broken:
                return
            try:
                binary = getattr(self.stream, "buffer", None)
                self.stream.flush()
                if binary is not None:
                    binary.write(data)
                    binary.flush()
                else:
                    self.stream.write(data.decode(errors="replace"))
                    self.stream.flush()
            except (OSError, ValueError):  # closed or broken pipe: keep draining the children
                self.broken = True


def _relay(pipe, output, prefix):
    with pipe:
        for line in iter(pipe.readline, b""):
            output.write(prefix + (line if line.endswith(b"\n") else line + b"\n"))


def launch(argv):
    """Runs the launcher's command line (without the program name); returns the exit status.

    Args:
        argv: e.g. ``["--nproc", "2", "train.py", "--epochs", "3"]``.

    Returns:
        0 when every process exits 0; otherwise the first failed process's
        code (128 + the signal's number when a signal ended it, or when the
        launcher itself was interrupted); 2 for a usage error.
    """
    parsed = _parse(argv)
    if isinstance(parsed, int):
        return parsed
    options, command = parsed
    prefix = not options.no_prefix
    addresses = [f"127.0.0.1:{port}" for port in free_ports(options.nproc)]
    extra = {}
    if options.backend:
        extra["KERAS_BACKEND"] = options.backend
    if options.timeout is not None:
        extra[COLLECTIVE_TIMEOUT] = repr(options.timeout)
    if prefix:  # a pipe would make Python children buffer whole blocks
        extra["PYTHONUNBUFFERED"] = "1"
    stdout, stderr = _Output(sys.stdout), _Output(sys.stderr)

    received = []
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for name in ("SIGINT", "SIGTERM", "SIGHUP"):
            if hasattr(signal, name):
                signum = getattr(signal, name)
                previous[signum] = signal.signal(signum, lambda number, frame: received.append(number))

    children, relays, status = [], [], 1
    try:
        preexec = _die_with_launcher()
        for process_id in range(options.nproc):
            environment = dict(os.environ)
            environment.update(environment_for(process_id, addresses, extra))
            children.append(subprocess.Popen(
                [sys.executable] + command, env=environment,
                stdout=subprocess.PIPE if prefix else None, stderr=subprocess.PIPE if prefix else None,
                start_new_session=os.name == "posix", preexec_fn=preexec))
        # Readers start after every child: preexec functions and threads do not mix.
        for process_id, child in enumerate(children if prefix else ()):
            label = f"[{process_id}] ".encode()
            for pipe, output in ((child.stdout, stdout), (child.stderr, stderr)):
                relays.append(threading.Thread(target=_relay, args=(pipe, output, label), daemon=True))
                relays[-1].start()

        while True:
            if received:
                status = 128 + received[0]
                stderr.write(f"kfacade.distribution.launch: received {signal.Signals(received[0]).name}; "
                             f"stopping the {len(children)} processes\n".encode())
                break
            returncodes = [child.poll() for child in children]
            failed = [i for i, code in enumerate(returncodes) if code not in (None, 0)]
            if failed:
                code = returncodes[failed[0]]
                status = _exit_status(code)
                stderr.write(f"kfacade.distribution.launch: process {failed[0]} (pid {children[failed[0]].pid}) "
                             f"{_describe(code)}; stopping the others\n".encode())
                break
            if all(code == 0 for code in returncodes):
                status = 0
                break
            time.sleep(POLL_SECONDS)
    finally:
        if status != 0:
            _stop(children, GRACE_SECONDS)
        deadline = time.monotonic() + 1.0  # a grandchild outside the group may hold a pipe open
        for relay in relays:
            relay.join(timeout=max(0.0, deadline - time.monotonic()))
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return status


def main():
    sys.exit(launch(sys.argv[1:]))


if __name__ == "__main__":
    main()
