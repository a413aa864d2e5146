"""The local launcher (``python -m kfacade.distribution.launch``) and the job
variables it writes and ``kfacade.distribution.initialize`` reads.

The children are tiny Python scripts that load no framework, so these tests do
not depend on the backend. Each waits a bounded time: a launch that hangs fails
its time assertion, and every subprocess call has a timeout.
"""
import importlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from kfacade.distribution import process_env
from kfacade.distribution.process_env import collective_timeout, environment_for, job_from_environment

launcher = importlib.import_module("kfacade.distribution.launch")  # the module, whatever the package exports
LAUNCH_FILE = launcher.__file__
JOB_VARIABLES = ("KFACADE_JOB_ADDRESSES", "KFACADE_NUM_PROCESSES", "KFACADE_PROCESS_ID", "RANK", "LOCAL_RANK",
                 "WORLD_SIZE", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT", "TF_CONFIG", "KERAS_BACKEND",
                 "KFACADE_COLLECTIVE_TIMEOUT")

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the launcher's tests send POSIX signals")


def _script(tmp_path, name, body):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return str(path)


def _wait_for(paths, seconds=10.0):
    deadline = time.monotonic() + seconds
    while not all(os.path.exists(p) for p in paths):
        assert time.monotonic() < deadline, f"the children never wrote {paths}"
        time.sleep(0.02)


def _gone(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_each_child_gets_its_job_environment(tmp_path, capsys):
    script = _script(tmp_path, "record.py", f"""
        import json, os, sys
        names = {JOB_VARIABLES!r}
        record = {{name: os.environ.get(name) for name in names}}
        record["argv"] = sys.argv[1:]
        with open(os.path.join({str(tmp_path)!r}, "env" + os.environ["KFACADE_PROCESS_ID"] + ".json"), "w") as f:
            json.dump(record, f)
        print("hello from", os.environ["RANK"])
        print("to stderr", file=sys.stderr)
        """)
    status = launcher.launch(["--nproc", "2", "--backend", "some_backend", "--timeout", "7",
                              script, "--epochs", "3"])
    assert status == 0
    records = [json.loads((tmp_path / f"env{i}.json").read_text()) for i in range(2)]
    addresses = records[0]["KFACADE_JOB_ADDRESSES"].split(",")
    assert len(addresses) == 2 and len(set(addresses)) == 2
    assert all(a.startswith("127.0.0.1:") for a in addresses)
    for process_id, record in enumerate(records):
        assert record["argv"] == ["--epochs", "3"]
        assert record["KERAS_BACKEND"] == "some_backend"
        assert float(record["KFACADE_COLLECTIVE_TIMEOUT"]) == 7.0
        assert record["RANK"] == record["LOCAL_RANK"] == str(process_id)
        assert record["WORLD_SIZE"] == record["LOCAL_WORLD_SIZE"] == "2"
        assert f"{record['MASTER_ADDR']}:{record['MASTER_PORT']}" == addresses[0]
        assert job_from_environment(record) == (addresses, 2, process_id)
        torchrun_only = {n: record[n] for n in ("MASTER_ADDR", "MASTER_PORT", "WORLD_SIZE", "RANK")}
        assert job_from_environment(torchrun_only) == ([addresses[0]], 2, process_id)
        assert job_from_environment({"TF_CONFIG": record["TF_CONFIG"]}) == (addresses, 2, process_id)
    out, err = capsys.readouterr()
    assert sorted(line for line in out.splitlines() if "hello" in line) == ["[0] hello from 0", "[1] hello from 1"]
    assert sorted(line for line in err.splitlines() if "stderr" in line) == ["[0] to stderr", "[1] to stderr"]


def test_module_mode_runs_python_dash_m(tmp_path, monkeypatch, capfd):
    _script(tmp_path, "job_module.py", """
        import os, sys
        print("module", os.environ["KFACADE_PROCESS_ID"], sys.argv[1:])
        """)
    monkeypatch.chdir(tmp_path)
    assert launcher.launch(["--nproc", "1", "--no-prefix", "-m", "job_module", "--lr", "0.1"]) == 0
    assert "module 0 ['--lr', '0.1']" in capfd.readouterr().out  # --no-prefix: the child writes to fd 1


def test_a_failed_child_sets_the_exit_code_and_stops_its_sibling(tmp_path, monkeypatch):
    monkeypatch.setattr(launcher, "GRACE_SECONDS", 0.5)  # the sibling ignores SIGTERM: SIGKILL after the grace
    script = _script(tmp_path, "fail.py", f"""
        import os, signal, sys, time
        folder = {str(tmp_path)!r}
        if os.environ["RANK"] == "1":
            deadline = time.monotonic() + 10
            while not os.path.exists(os.path.join(folder, "pid0")) and time.monotonic() < deadline:
                time.sleep(0.02)
            sys.exit(3)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        with open(os.path.join(folder, "pid0.tmp"), "w") as f:
            f.write(str(os.getpid()))
        os.rename(os.path.join(folder, "pid0.tmp"), os.path.join(folder, "pid0"))
        time.sleep(60)
        """)
    start = time.monotonic()
    assert launcher.launch(["--nproc", "2", script]) == 3
    assert time.monotonic() - start < 8
    assert _gone(int((tmp_path / "pid0").read_text()))


def test_a_sigkilled_child_ends_the_launch_and_its_sleeping_sibling(tmp_path, capsys):
    script = _script(tmp_path, "kill.py", f"""
        import os, signal, time
        folder = {str(tmp_path)!r}
        if os.environ["RANK"] == "1":
            deadline = time.monotonic() + 10
            while not os.path.exists(os.path.join(folder, "pid0")) and time.monotonic() < deadline:
                time.sleep(0.02)
            os.kill(os.getpid(), signal.SIGKILL)
        with open(os.path.join(folder, "pid0.tmp"), "w") as f:
            f.write(str(os.getpid()))
        os.rename(os.path.join(folder, "pid0.tmp"), os.path.join(folder, "pid0"))
        time.sleep(60)
        """)
    start = time.monotonic()
    assert launcher.launch(["--nproc", "2", script]) == 128 + signal.SIGKILL
    assert time.monotonic() - start < 10
    assert _gone(int((tmp_path / "pid0").read_text()))
    assert "process 1" in capsys.readouterr().err


def test_sigterm_to_the_launcher_stops_the_children(tmp_path):
    script = _script(tmp_path, "sleep.py", f"""
        import os, time
        path = os.path.join({str(tmp_path)!r}, "pid" + os.environ["RANK"])
        with open(path + ".tmp", "w") as f:
            f.write(str(os.getpid()))
        os.rename(path + ".tmp", path)
        time.sleep(60)
        """)
    # The file itself, not -m: the launcher's process then imports no framework.
    process = subprocess.Popen([sys.executable, LAUNCH_FILE, "--nproc", "2", script],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        pid_files = [str(tmp_path / f"pid{i}") for i in range(2)]
        _wait_for(pid_files)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    assert process.returncode == 128 + signal.SIGTERM, err.decode()
    assert b"received SIGTERM" in err
    assert all(_gone(int(open(p).read())) for p in pid_files)


def test_the_launcher_file_imports_no_framework():
    folder = os.path.dirname(LAUNCH_FILE)
    code = (f"import sys; sys.path.insert(0, {folder!r}); import launch, process_env; "
            "print(sorted(m for m in ('kfacade', 'tensorflow', 'torch', 'jax') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=30)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().strip() == "[]"


def test_the_documented_command_runs(tmp_path):
    script = _script(tmp_path, "hello.py", 'import os; print("rank", os.environ["RANK"])\n')
    result = subprocess.run([sys.executable, "-m", "kfacade.distribution.launch", "--nproc", "2", script],
                            capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    assert sorted(result.stdout.decode().splitlines()) == ["[0] rank 0", "[1] rank 1"]


@pytest.mark.parametrize("argv, message", [
    ([], "--nproc"),
    (["--nproc", "2"], "no script"),
    (["--nproc", "0", "x.py"], "at least 1"),
    (["--nproc", "2", "--timeout", "-1", "x.py"], "--timeout"),
    (["--nproc", "two", "x.py"], "--nproc"),
])
def test_usage_errors(argv, message, capsys):
    assert launcher.launch(argv) == 2
    assert message in capsys.readouterr().err


# -- process_env ---------------------------------------------------------------------------------


@pytest.mark.parametrize("environ, job", [
    ({}, None),
    ({"TF_CONFIG": ""}, None),
    ({"KFACADE_JOB_ADDRESSES": "h0:1,h1:2,h2:3", "KFACADE_PROCESS_ID": "2"}, (["h0:1", "h1:2", "h2:3"], 3, 2)),
    ({"KFACADE_JOB_ADDRESSES": "h0:1", "KFACADE_NUM_PROCESSES": "4", "KFACADE_PROCESS_ID": "3"}, (["h0:1"], 4, 3)),
    ({"MASTER_ADDR": "10.0.0.1", "MASTER_PORT": "29500", "WORLD_SIZE": "2", "RANK": "1"},
     (["10.0.0.1:29500"], 2, 1)),
    ({"MASTER_ADDR": "::1", "MASTER_PORT": "29500", "WORLD_SIZE": "1", "RANK": "0"}, (["[::1]:29500"], 1, 0)),
    ({"TF_CONFIG": json.dumps({"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 1}})},
     (["a:1", "b:2"], 2, 1)),
    ({"TF_CONFIG": json.dumps({"cluster": {"chief": ["c:9"], "worker": ["a:1", "b:2"]},
                               "task": {"type": "worker", "index": 0}})}, (["c:9", "a:1", "b:2"], 3, 1)),
    ({"TF_CONFIG": json.dumps({"cluster": {"chief": ["c:9"], "worker": ["a:1"]},
                               "task": {"type": "chief", "index": 0}})}, (["c:9", "a:1"], 2, 0)),
    # kfacade's variables win over torchrun's, torchrun's over TF_CONFIG.
    ({"KFACADE_JOB_ADDRESSES": "k:1", "KFACADE_PROCESS_ID": "0", "MASTER_ADDR": "t", "MASTER_PORT": "2",
      "WORLD_SIZE": "1", "RANK": "0", "TF_CONFIG": "not json"}, (["k:1"], 1, 0)),
    ({"MASTER_ADDR": "t", "MASTER_PORT": "2", "WORLD_SIZE": "1", "RANK": "0", "TF_CONFIG": "not json"},
     (["t:2"], 1, 0)),
])
def test_job_from_environment(environ, job):
    assert job_from_environment(environ) == job


@pytest.mark.parametrize("environ, named", [
    ({"KFACADE_JOB_ADDRESSES": "h0:1,h1:2", "KFACADE_PROCESS_ID": "2"}, "KFACADE_PROCESS_ID=2"),
    ({"KFACADE_JOB_ADDRESSES": "h0:1,h1:2", "KFACADE_PROCESS_ID": "one"}, "'one'"),
    ({"KFACADE_JOB_ADDRESSES": "h0", "KFACADE_PROCESS_ID": "0"}, "'h0'"),
    ({"KFACADE_JOB_ADDRESSES": "h0:port", "KFACADE_PROCESS_ID": "0"}, "KFACADE_JOB_ADDRESSES"),
    ({"KFACADE_JOB_ADDRESSES": "h0:1,h1:2", "KFACADE_NUM_PROCESSES": "3", "KFACADE_PROCESS_ID": "0"},
     "KFACADE_NUM_PROCESSES=3"),
    ({"KFACADE_JOB_ADDRESSES": "h0:1", "KFACADE_NUM_PROCESSES": "0", "KFACADE_PROCESS_ID": "0"}, "'0'"),
    ({"KFACADE_PROCESS_ID": "0"}, "KFACADE_JOB_ADDRESSES is not set"),
    ({"MASTER_ADDR": "a", "MASTER_PORT": "1", "WORLD_SIZE": "2", "RANK": "2"}, "RANK=2"),
    ({"MASTER_ADDR": "a", "MASTER_PORT": "1", "WORLD_SIZE": "2.5", "RANK": "0"}, "WORLD_SIZE"),
    ({"MASTER_ADDR": "a", "MASTER_PORT": "http", "WORLD_SIZE": "2", "RANK": "0"}, "MASTER_PORT"),
    ({"WORLD_SIZE": "2", "RANK": "0"}, "MASTER_ADDR, MASTER_PORT"),
    ({"TF_CONFIG": "{cluster: 1"}, "TF_CONFIG is not JSON"),
    ({"TF_CONFIG": json.dumps({"cluster": {"worker": ["a:1"]}, "task": {"type": "ps", "index": 0}})}, "'ps'"),
    ({"TF_CONFIG": json.dumps({"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 1}})},
     "task.index=1"),
    ({"TF_CONFIG": json.dumps({"cluster": {"worker": ["a"]}, "task": {"type": "worker", "index": 0}})}, "'a'"),
    ({"TF_CONFIG": json.dumps({"task": {"type": "worker", "index": 0}})}, "TF_CONFIG"),
])
def test_job_from_environment_rejects_bad_values(environ, named):
    with pytest.raises(ValueError) as error:
        job_from_environment(environ)
    assert named in str(error.value)


def test_collective_timeout():
    assert collective_timeout({}) == process_env.DEFAULT_COLLECTIVE_TIMEOUT == 120.0
    assert collective_timeout({"KFACADE_COLLECTIVE_TIMEOUT": "2.5"}) == 2.5
    for bad in ("0", "-3", "soon", "inf", "nan"):
        with pytest.raises(ValueError, match=f"KFACADE_COLLECTIVE_TIMEOUT.*{bad!r}"):
            collective_timeout({"KFACADE_COLLECTIVE_TIMEOUT": bad})


def test_environment_for_counts_local_ranks_per_host():
    addresses = ["hostA:1000", "hostA:1001", "hostB:1000", "hostA:1002"]
    environment = environment_for(3, addresses, extra={"KERAS_BACKEND": "jax"})
    assert (environment["RANK"], environment["LOCAL_RANK"], environment["LOCAL_WORLD_SIZE"]) == ("3", "2", "3")
    assert (environment["MASTER_ADDR"], environment["MASTER_PORT"], environment["WORLD_SIZE"]) == ("hostA", "1000", "4")
    assert environment["KERAS_BACKEND"] == "jax"
    assert json.loads(environment["TF_CONFIG"]) == {"cluster": {"worker": addresses},
                                                    "task": {"type": "worker", "index": 3}}
    assert job_from_environment(environment) == (addresses, 4, 3)
    with pytest.raises(ValueError, match="Received: 4"):
        environment_for(4, addresses)
