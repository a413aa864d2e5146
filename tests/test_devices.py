"""Device scopes completed: ``device_of``, the torch scope's native tensors and
mixed-device ops, steps that move batches to the model's device, the error
for a tensor on the wrong device, and the Keras 2 device-parallel example
(a shared LSTM, one branch per device, merged on the CPU).

Several devices are simulated on CPU: JAX's host platform split in two
(``XLA_FLAGS=--xla_force_host_platform_device_count=2``) and TensorFlow's
CPU as two logical devices, each in a subprocess; torch's ``meta`` device
stands in for a second one (a CPU-only torch has no other).
"""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import kfacade
from kfacade.backend import adapter as B
from kfacade.backend import backend, device_of

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "examples"))
import device_parallel  # noqa: E402

F32 = "float32"
ON_TORCH = pytest.mark.skipif(
    backend() != "torch",
    reason=f"adapter {backend()!r}: checks the torch adapter's scope and step (torch.device, the meta device)")


# ------------------------------------------------------------------ device_of


def test_device_of_names_tensors_arrays_and_variables():
    with kfacade.device("cpu:0"):
        variable = kfacade.Variable(np.zeros(3, F32))
        tensor = kfacade.ops.ones((2,))
    assert device_of(variable) == "cpu:0"
    assert device_of(tensor) == "cpu:0"
    assert device_of(np.ones(3)) == "cpu:0"
    assert device_of(kfacade.Variable(np.zeros(2, F32))) in B.list_devices()
    with pytest.raises(ValueError, match="device_of expects"):
        device_of("cpu:0")


def test_device_of_is_the_adapters():
    assert kfacade.backend.device_of.__doc__
    x = kfacade.ops.zeros((1,))
    assert device_of(x) == B.device_of(x)


# ------------------------------------------------------------ torch scopes


@ON_TORCH
def test_torch_scope_enters_torch_device_for_tensors_made_in_call():
    import torch
    from torch.utils import _device

    class MakesNativeTensors(kfacade.layers.Layer):
        def call(self, x):
            self.made = torch.zeros(3).device
            self.default = _device.CURRENT_DEVICE
            return x

    layer = MakesNativeTensors()
    layer(np.ones(3, F32))
    assert layer.default is None  # outside a scope torch is untouched
    with kfacade.device("cpu:0"):
        layer(np.ones(3, F32))
    assert layer.default == torch.device("cpu") and layer.made == torch.device("cpu")
    layer(np.ones(3, F32))
    assert layer.default is None


@pytest.mark.skipif(backend() != "torch" or not B.list_devices("gpu"),
                    reason="needs the torch adapter and a CUDA GPU")
def test_torch_scope_puts_tensors_made_in_call_on_the_gpu():
    import torch

    class MakesNativeTensors(kfacade.layers.Layer):
        def call(self, x):
            self.made = torch.zeros(3).device
            return x

    layer = MakesNativeTensors()
    with kfacade.device("gpu:0"):
        layer(np.ones(3, F32))
    assert layer.made == torch.device("cuda", 0)


@ON_TORCH
def test_torch_scope_runs_an_op_mixing_devices_on_its_device():
    import torch

    from kfacade.backends.torch.device import _ScopeMode

    parameter = torch.nn.Parameter(torch.ones(3))  # on the CPU
    with _ScopeMode(torch.device("meta")):
        made = torch.ones(3)
        mixed = (parameter * torch.ones(3, device="meta")).sum()
        alone = parameter * 2  # one device: runs where it is
    assert made.device.type == "meta" and mixed.device.type == "meta"
    assert alone.device.type == "cpu" and mixed.grad_fn is not None  # differentiable move


# ---------------------------------------------------- steps on the model's device


@ON_TORCH
def test_torch_step_moves_batches_to_the_state_device():
    import torch

    from kfacade.backends.torch.device import _current

    variable = kfacade.Variable(np.zeros(3, F32))
    seen = {}

    def step(data):
        x, y = data
        seen.update(x=x.device, y=type(y), current=_current[0])
        return {}

    on_cpu = B.compile_function(step, [variable], False)
    # All state on the CPU of a machine without a GPU: the step is `step` itself.
    assert (on_cpu is step) == (not torch.cuda.is_available())
    variable._handle = torch.nn.Parameter(torch.zeros(3, device="meta"))  # a second device
    placed = B.compile_function(step, [variable], False)
    placed((torch.ones(3), np.ones(3, F32)))
    # The tensor moved; NumPy is converted where kfacade converts it, on the state's device.
    assert seen == {"x": torch.device("meta"), "y": np.ndarray, "current": torch.device("meta")}
    assert _current[0] != torch.device("meta")


@ON_TORCH
def test_a_tensor_on_another_device_is_a_value_error_naming_both():
    import torch

    model = kfacade.Sequential([kfacade.Input((3,)), kfacade.layers.Dense(2)])
    with pytest.raises(ValueError, match=r"inputs on \['meta:0'\] but its variables are on \['cpu:0'\]"):
        model(torch.ones(2, 3, device="meta"))


def test_fit_takes_native_tensors_and_predicts_on_the_model_device():
    """On this process's one CPU device; the subprocess tests below give the
    batches another device than the model's."""
    model = kfacade.Sequential([kfacade.Input((3,)), kfacade.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = kfacade.ops.convert_to_tensor(np.ones((4, 3), F32))
    y = kfacade.ops.convert_to_tensor(np.ones((4, 1), F32))
    history = model.fit(x, y, epochs=2, batch_size=2, shuffle=False, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert device_of(model.predict(x, verbose=0)) == "cpu:0"


# ------------------------------------------------------ the device-parallel example


def test_device_parallel_example_trains(rng):
    kfacade.utils.set_random_seed(3)
    devices = device_parallel.branch_devices()
    model = device_parallel.build_model(devices, units=8)
    assert all(device in B.list_devices() for device in devices)
    (x, y), _ = kfacade.datasets.digits.load_data()
    inputs, labels = device_parallel.digit_pairs(x, y, 256, rng)
    model.compile(optimizer=kfacade.optimizers.RMSprop(0.01), loss="binary_crossentropy")
    losses = model.fit(inputs, labels, batch_size=64, epochs=3, verbose=0).history["loss"]
    assert np.isfinite(losses).all() and losses[-1] < losses[0]
    # Nodes built under a scope remember it: the merge ran under "cpu:0".
    assert [layer for layer in model.layers if layer.name.startswith("dense")][0]._inbound_nodes[0].device == "cpu:0"


_BRANCHES_ON_TWO_DEVICES = """
    import sys
    import numpy as np
    sys.path.insert(0, {examples!r})
    {setup}
    import device_parallel
    import kfacade
    from kfacade.backend import device_of

    devices = device_parallel.branch_devices()
    assert devices == ("cpu:0", "cpu:1"), devices
    model = device_parallel.build_model(devices, units=8)
    lstm = [layer for layer in model.layers if type(layer).__name__ == "LSTM"][0]
    branches = kfacade.Model(model.inputs, [lstm.get_output_at(0), lstm.get_output_at(1), model.output])
    rng = np.random.default_rng(0)
    x = [rng.random((8, 8, 8), dtype=np.float32) for _ in range(2)]
    y = (rng.random((8, 1)) > 0.5).astype(np.float32)
    assert {{device_of(v) for v in lstm.variables}} == {{"cpu:0"}}
    model.compile(optimizer="rmsprop", loss="binary_crossentropy")
    losses = model.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False).history["loss"]
    assert np.isfinite(losses).all(), losses
    # Each branch runs on its device, the shared LSTM's weights copied to the second.
    assert [device_of(out) for out in branches(x)] == ["cpu:0", "cpu:1", "cpu:0"]

    # A model spread over both devices trains, and its variables stay where they were made.
    spread = device_parallel.build_model(("cpu:1", "cpu:1"), units=8)
    where = {{v.path: device_of(v) for v in spread.variables if v.trainable}}
    assert set(where.values()) == {{"cpu:0", "cpu:1"}}, where
    spread.compile(optimizer="adam", loss="binary_crossentropy")
    losses = spread.fit(x, y, batch_size=8, epochs=1, verbose=0).history["loss"]
    assert np.isfinite(losses).all(), losses
    assert {{v.path: device_of(v) for v in spread.variables if v.trainable}} == where

    # Batches committed to another device than the model's train it where the model is.
    with kfacade.device("cpu:1"):
        plain = kfacade.Sequential([kfacade.Input((8, 8)), kfacade.layers.Flatten(), kfacade.layers.Dense(1)])
    plain.compile(optimizer="sgd", loss="mse")
    x_other, y_other = on_cpu0(x[0]), on_cpu0(y)
    assert device_of(x_other) == "cpu:0"
    losses = plain.fit(x_other, y_other, batch_size=4, epochs=2, verbose=0, shuffle=False).history["loss"]
    assert np.isfinite(losses).all() and np.isfinite(plain.predict(x_other, verbose=0)).all()
    assert {{device_of(v) for v in plain.trainable_variables}} == {{"cpu:1"}}
    print("ok")
"""


def _run_child(backend_name, setup, extra_env):
    env = dict(os.environ, KERAS_BACKEND=backend_name, KFACADE_ROOT=os.environ.get("KFACADE_ROOT", ROOT),
               **extra_env)
    script = textwrap.dedent(_BRANCHES_ON_TWO_DEVICES).format(
        examples=os.path.join(ROOT, "examples"), setup=setup)
    proc = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0 and "ok" in proc.stdout, proc.stderr[-3000:]


@pytest.mark.skipif(backend() != "jax", reason=f"adapter {backend()!r}: the JAX pass runs it (KERAS_BACKEND=jax)")
def test_device_parallel_branches_on_two_jax_cpu_devices():
    """Also: a batch committed to cpu:0 (jax.device_put) is moved to a model on cpu:1."""
    flags = "--xla_force_host_platform_device_count=2 " + os.environ.get("XLA_FLAGS", "")
    setup = "import jax; on_cpu0 = lambda a: jax.device_put(a, jax.devices('cpu')[0])"
    _run_child("jax", setup, {"XLA_FLAGS": flags.strip()})


@pytest.mark.skipif(backend() != "tensorflow",
                    reason=f"adapter {backend()!r}: the TensorFlow pass runs it (KERAS_BACKEND=tensorflow)")
def test_device_parallel_branches_on_two_tensorflow_logical_cpus():
    """Also: tensors on cpu:0 train a model on cpu:1 (TensorFlow copies them)."""
    setup = ("import tensorflow as tf; tf.config.set_logical_device_configuration("
             "tf.config.list_physical_devices('CPU')[0], [tf.config.LogicalDeviceConfiguration()] * 2)\n"
             "def on_cpu0(a):\n    with tf.device('/CPU:0'):\n        return tf.constant(a)")
    _run_child("tensorflow", setup, {})


def test_get_device_count_counts_one_kind():
    """Keras 3's ``distribution.get_device_count``: the default kind's devices
    (those a distribution spans), or one kind's; a kind absent here is 0."""
    from kfacade import distribution

    assert distribution.get_device_count() == len(distribution.list_devices())
    assert distribution.get_device_count("CPU") == len(distribution.list_devices("cpu")) >= 1
    assert distribution.get_device_count("tpu") == 0
