"""The adapter contract and the import rules, checked without trusting an adapter.

- every registered adapter whose framework is installed defines every
  function of ``kfacade/backend/contract.py`` with the same parameters, each
  in the file of its family (``backends/<name>/<family>.py``, whose
  ``__all__`` is exactly the family's names of ``contract.FAMILIES``);
- no file under ``kfacade/`` imports a framework;
- ``import kfacade`` imports only the selected framework and leaves the
  user's home and environment alone;
- the backend is chosen by ``KERAS_BACKEND``, else ``keras.json``; an unknown
  name fails with a message listing the valid ones;
- ``import backends.<name>`` from the repository root is refused.

Checks that import another framework than the active one run in a
subprocess: one process holds one framework.
"""
import ast
import importlib
import inspect
import json
import os
import pathlib
import subprocess
import sys

import pytest

import kfacade
from kfacade.backend import contract, registry

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE_DIR = pathlib.Path(kfacade.__file__).resolve().parent
ACTIVE = kfacade.backend.backend()
#: The modules each built-in backend imports, by backend name.
FRAMEWORK_MODULES = {"tensorflow": ("tensorflow",), "torch": ("torch",), "jax": ("jax", "jaxlib")}
FORBIDDEN_ROOTS = {"tensorflow", "torch", "jax", "jaxlib"}
SUBPROCESS_TIMEOUT = 180


def _contract_functions():
    return {
        name: function
        for name, function in inspect.getmembers(contract, inspect.isfunction)
        if not name.startswith("_") and function.__module__ == contract.__name__
    }


def _parameters(function):
    return [
        (p.name, p.kind.name, None if p.default is inspect.Parameter.empty else repr(p.default))
        for p in inspect.signature(function).parameters.values()
    ]


#: {function name: [(parameter, kind, repr(default))]}, what an adapter must match.
EXPECTED_SIGNATURES = {name: _parameters(f) for name, f in _contract_functions().items()}


def contract_violations(adapter):
    """Human-readable lines, one per way `adapter` departs from the contract."""
    problems = []
    for attribute in (contract.NAME_ATTRIBUTE, contract.REQUIREMENT_ATTRIBUTE):
        value = getattr(adapter, attribute, None)
        if not isinstance(value, str) or not value:
            problems.append(f"attribute {attribute!r} missing or not a non-empty string: {value!r}")
    for name, expected in EXPECTED_SIGNATURES.items():
        function = getattr(adapter, name, None)
        if function is None:
            problems.append(f"missing: {name}")
        elif not callable(function):
            problems.append(f"not callable: {name}")
        else:
            try:
                actual = _parameters(function)
            except (TypeError, ValueError) as error:
                problems.append(f"{name}: no signature ({error})")
                continue
            if actual != expected:
                problems.append(f"{name}: parameters {actual}, contract has {expected}")
    return problems + family_violations(adapter)


def family_violations(adapter):
    """Lines, one per family file of `adapter` that does not export exactly its family.

    Family ``f`` lives in ``<adapter package>.f``; its ``__all__`` lists
    exactly ``contract.FAMILIES[f]`` and each of those functions is defined
    in that file (not imported from a sibling). Other names of the file are
    its private helpers; helpers shared by several files go in ``_helpers.py``.
    """
    problems = []
    for family, names in contract.FAMILIES.items():
        module_name = f"{adapter.__name__}.{family}"
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            problems.append(f"family {family!r}: no module {module_name} ({error})")
            continue
        exported = list(getattr(module, "__all__", ()))
        extra, missing = sorted(set(exported) - set(names)), sorted(set(names) - set(exported))
        if extra or missing or len(exported) != len(set(exported)):
            problems.append(
                f"{module_name}.__all__ differs from contract.FAMILIES[{family!r}]: "
                f"extra {extra}, missing {missing}, listed {len(exported)} names for {len(set(exported))}"
            )
        for name in names:
            function = getattr(module, name, None)
            if function is not None and getattr(function, "__module__", None) != module_name:
                problems.append(
                    f"{name} (family {family!r}) is defined in "
                    f"{getattr(function, '__module__', None)}, expected {module_name}"
                )
    return problems


def _env(**overrides):
    """The current environment for a child, threads pinned, with `overrides` (None unsets)."""
    env = dict(os.environ)
    env.update(OMP_NUM_THREADS="1", TF_CPP_MIN_LOG_LEVEL="3", PYTHONDONTWRITEBYTECODE="1")
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _run(code, env, cwd=None):
    return subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True, text=True,
        timeout=SUBPROCESS_TIMEOUT,
    )


def _last_json_line(result):
    assert result.returncode == 0, f"child failed:\n{result.stderr[-3000:]}"
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, f"child printed no result:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    return json.loads(lines[-1])


# ---------------------------------------------------------------- contract


def test_contract_lists_functions():
    # Guards the check below against a contract module it cannot read.
    assert len(EXPECTED_SIGNATURES) > 100
    assert {"conv", "scan", "compile_function", "value_and_grad"} <= set(EXPECTED_SIGNATURES)


def test_contract_families_partition_its_functions():
    # Every function belongs to exactly one family, so an adapter author knows
    # which file defines it; the families are the adapter file names.
    assigned = [name for names in contract.FAMILIES.values() for name in names]
    assert sorted(assigned) == sorted(EXPECTED_SIGNATURES), (
        f"contract.FAMILIES misses {sorted(set(EXPECTED_SIGNATURES) - set(assigned))}, "
        f"repeats {sorted({n for n in assigned if assigned.count(n) > 1})}"
    )
    assert list(contract.FAMILIES) == [
        "variables", "numpy", "nn", "core", "linalg", "fft", "random", "device", "distribute", "step"]
    assert {"scan", "stop_gradient", "cond", "while_loop"} <= set(contract.FAMILIES["core"])
    assert {"svd", "solve", "cholesky"} <= set(contract.FAMILIES["linalg"])
    assert {"conv", "dropout", "relu"} <= set(contract.FAMILIES["nn"])


def test_family_check_reports_a_misplaced_function():
    # The per-family check must see a function exported by the wrong file.
    adapter = kfacade.backend.adapter
    module = importlib.import_module(f"{adapter.__name__}.core")
    saved = module.__all__
    module.__all__ = saved + ["relu"]
    try:
        problems = family_violations(adapter)
    finally:
        module.__all__ = saved
    assert any("core.__all__" in line and "'relu'" in line for line in problems), problems
    assert not family_violations(adapter)


_CHILD_CONTRACT_CHECK = """
import json, sys
sys.path.insert(0, {tests_dir!r})
from test_contract import contract_violations
import kfacade
print(json.dumps({{"name": kfacade.backend.backend(), "problems": contract_violations(kfacade.backend.adapter)}}))
"""


# Each adapter is checked in its own session in-process; the subprocess checks
# of the other adapters repeat that, so they run in one session only.
@pytest.mark.parametrize("name", [
    name if name == ACTIVE else pytest.param(name, marks=pytest.mark.backend_independent)
    for name in registry.installed_backends()])
def test_adapter_implements_contract(name, tmp_path):
    if name == ACTIVE:  # already imported here: no need for another process
        adapter = kfacade.backend.adapter
        assert adapter.name == name
        problems = contract_violations(adapter)
    else:
        code = _CHILD_CONTRACT_CHECK.format(tests_dir=str(pathlib.Path(__file__).parent))
        report = _last_json_line(_run(code, _env(KERAS_BACKEND=name), cwd=str(tmp_path)))
        assert report["name"] == name
        problems = report["problems"]
    assert not problems, f"adapter {name!r} departs from the contract:\n" + "\n".join(problems)


# ------------------------------------------------------ no framework import


def _framework_imports(tree):
    """(line, module) of every import of a framework in an AST, nested ones included."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] in FORBIDDEN_ROOTS]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module and node.module.split(".")[0] in FORBIDDEN_ROOTS:
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call):
            function = node.func
            called = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", None)
            if called in ("import_module", "__import__") and node.args:
                first = node.args[0]
                if (
                    isinstance(first, ast.Constant) and isinstance(first.value, str)
                    and first.value.split(".")[0] in FORBIDDEN_ROOTS
                ):
                    found.append((node.lineno, first.value))
    return found


def test_framework_import_detector_sees_every_form():
    source = (
        "import torch\nfrom jax import numpy\nimport tensorflow.compat.v1 as tf1\n"
        "def f():\n    import jaxlib\n    return importlib.import_module('torch.nn')\n"
        "__import__('tensorflow')\nimport numpy\nfrom . import torch_like\n"
    )
    modules = [module for _, module in _framework_imports(ast.parse(source))]
    assert sorted(modules) == sorted(["torch", "jax", "tensorflow.compat.v1", "jaxlib", "torch.nn", "tensorflow"])


def test_kfacade_package_imports_no_framework():
    offenders = []
    files = sorted(PACKAGE_DIR.rglob("*.py"))
    assert files
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        offenders += [f"{path.relative_to(PACKAGE_DIR.parent)}:{line}: {module}" for line, module in _framework_imports(tree)]
    assert not offenders, (
        "kfacade/ must reach frameworks only through the adapter (kfacade.backend.adapter); "
        "these files import one:\n" + "\n".join(offenders)
    )


# ---------------------------------------------------------- import effects

_CHILD_IMPORT_EFFECTS = """
import json, os, sys
before = dict(os.environ)
import kfacade
after = dict(os.environ)
changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
modules = sorted(m for m in {frameworks!r} if m in sys.modules)
print(json.dumps({{"backend": kfacade.backend.backend(), "modules": modules, "env_changed": changed}}))
"""


def test_import_loads_only_the_selected_framework_and_has_no_side_effects(tmp_path):
    home, keras_home = tmp_path / "home", tmp_path / "keras_home"
    home.mkdir()
    keras_home.mkdir()
    all_framework_modules = sorted(m for modules in FRAMEWORK_MODULES.values() for m in modules)
    code = _CHILD_IMPORT_EFFECTS.format(frameworks=all_framework_modules)
    env = _env(KERAS_BACKEND=ACTIVE, HOME=str(home), KERAS_HOME=str(keras_home), XDG_CACHE_HOME=None)
    report = _last_json_line(_run(code, env, cwd=str(tmp_path)))
    assert report["backend"] == ACTIVE
    own = FRAMEWORK_MODULES.get(ACTIVE, ())
    assert not own or own[0] in report["modules"], f"{ACTIVE} was not imported: {report['modules']}"
    foreign = [m for m in report["modules"] if m not in own]
    assert not foreign, f"import kfacade with KERAS_BACKEND={ACTIVE} also imported {foreign}"
    assert report["env_changed"] == [], f"import kfacade changed os.environ: {report['env_changed']}"
    assert list(home.rglob("*")) == [], f"import kfacade wrote into $HOME: {list(home.rglob('*'))}"
    assert list(keras_home.rglob("*")) == [], f"import kfacade wrote into $KERAS_HOME: {list(keras_home.rglob('*'))}"


# ------------------------------------------------------- backend selection


def test_unknown_backend_fails_with_the_valid_names(tmp_path):
    result = _run("import kfacade", _env(KERAS_BACKEND="nonsense", KERAS_HOME=str(tmp_path)), cwd=str(tmp_path))
    assert result.returncode != 0
    assert "ValueError" in result.stderr
    message = result.stderr.strip().splitlines()[-1]
    for name in ("tensorflow", "torch", "jax", "nonsense"):
        assert name in message, f"{name!r} not in the error message: {message}"


_CHILD_PRINT_BACKEND = """
import json, sys
import kfacade
print(json.dumps({"backend": kfacade.backend.backend(), "modules": sorted(m for m in ("tensorflow", "torch", "jax") if m in sys.modules)}))
"""


def _write_keras_json(folder, backend):
    folder.mkdir(exist_ok=True)
    (folder / "keras.json").write_text(json.dumps({"backend": backend}))


def test_keras_json_selects_the_backend(tmp_path):
    keras_home = tmp_path / "keras_home"
    _write_keras_json(keras_home, ACTIVE)
    env = _env(KERAS_BACKEND=None, KERAS_HOME=str(keras_home))
    report = _last_json_line(_run(_CHILD_PRINT_BACKEND, env, cwd=str(tmp_path)))
    assert report["backend"] == ACTIVE
    # The default is "tensorflow": show that keras.json is read at all, cheaply
    # (no framework import), by naming an unknown backend in it.
    _write_keras_json(keras_home, "nonsense_from_json")
    result = _run("import kfacade", env, cwd=str(tmp_path))
    assert result.returncode != 0 and "nonsense_from_json" in result.stderr


def test_environment_variable_wins_over_keras_json(tmp_path):
    keras_home = tmp_path / "keras_home"
    others = [name for name in registry.installed_backends() if name != ACTIVE]
    _write_keras_json(keras_home, others[0] if others else "nonsense")
    env = _env(KERAS_BACKEND=ACTIVE, KERAS_HOME=str(keras_home))
    report = _last_json_line(_run(_CHILD_PRINT_BACKEND, env, cwd=str(tmp_path)))
    assert report["backend"] == ACTIVE
    if others:
        assert others[0] not in report["modules"], "the backend named in keras.json was imported too"


def test_adapters_cannot_be_imported_as_top_level_backends():
    # From the repository root `backends/` is importable as a top-level
    # package; a second copy of an adapter would mean a second registry.
    result = _run("import backends.torch", _env(KERAS_BACKEND=ACTIVE), cwd=str(REPO_ROOT))
    assert result.returncode != 0
    assert "ImportError" in result.stderr
    assert "kfacade.backends" in result.stderr


def _documented_parameters(hook_doc):
    """The parameter names of the signature on a hook's first documented line."""
    signature = hook_doc.strip().split("->")[0]
    while signature.count("(") > signature.count(")"):
        signature += ")"
    tree = ast.parse(f"def {' '.join(signature.split())}: pass")
    arguments = tree.body[0].args
    return [a.arg for a in arguments.posonlyargs + arguments.args + arguments.kwonlyargs]


def test_optional_hooks_the_adapter_defines_match_the_contract():
    # Every hook kfacade looks up is documented in the contract, and an adapter's
    # hook takes the documented parameters (a third-party author writes it from there).
    assert {"fused_optimizer_update", "lstm", "gru", "fused_batch_normalization",
            "fused_layer_normalization", "fused_dot_product_attention"} <= set(contract.OPTIONAL_HOOKS)
    for name, doc in contract.OPTIONAL_HOOKS.items():
        hook = getattr(kfacade.backend.adapter, name, None)
        if hook is not None:
            assert [p[0] for p in _parameters(hook)] == _documented_parameters(doc), name
