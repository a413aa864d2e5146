"""kfacade's public names against Keras 3's, namespace by namespace.

`tests/keras3_public_names.json` is the committed list of Keras 3's names
(`tools/keras3_public_names.py` writes it from an installed Keras), so these tests
run without Keras. Every Keras 3 name must exist in the matching kfacade namespace
(`keras.layers.Dense` -> `kfacade.layers.Dense`) or be listed, with a reason, in
docs/compatibility.md between the `keras3-missing` markers; a listed name that
kfacade provides fails too, so that the page stays true.
"""
import importlib
import importlib.util
import json
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAMES_FILE = os.path.join(ROOT, "tests", "keras3_public_names.json")
DOC = os.path.join(ROOT, "docs", "compatibility.md")

with open(NAMES_FILE) as _f:
    KERAS3 = json.load(_f)


def kfacade_namespace(keras_namespace):
    """`keras.layers` -> the module `kfacade.layers` (`keras` -> `kfacade`)."""
    return importlib.import_module("kfacade" + keras_namespace[len("keras"):])


def documented_missing():
    """{full Keras 3 name: reason} from the tables between the keras3-missing markers."""
    with open(DOC) as f:
        text = f.read()
    section = text.split("<!-- keras3-missing", 1)[1].split("<!-- /keras3-missing -->", 1)[0]
    listed = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not cells[0].startswith("`"):
            continue
        for name in re.findall(r"`([^`]+)`", cells[0]):
            assert name not in listed, f"{name} is listed twice in docs/compatibility.md"
            listed[name] = cells[1]
    return listed


LISTED = documented_missing()


def split_name(full_name):
    """"keras.layers.Dense" -> ("keras.layers", "Dense")."""
    namespace, _, name = full_name.rpartition(".")
    return namespace, name


@pytest.mark.parametrize("namespace", sorted(KERAS3["namespaces"]))
def test_every_keras3_name_is_provided_or_documented(namespace):
    module = kfacade_namespace(namespace)
    undocumented = [name for name in KERAS3["namespaces"][namespace]
                    if not hasattr(module, name) and f"{namespace}.{name}" not in LISTED]
    assert undocumented == [], (
        f"Keras 3 names missing from kfacade{namespace[len('keras'):]} and not listed in "
        f"docs/compatibility.md: {undocumented}")


def test_documented_names_are_keras3_names_with_a_reason():
    for full_name, reason in LISTED.items():
        namespace, name = split_name(full_name)
        assert name in KERAS3["namespaces"].get(namespace, []), (
            f"docs/compatibility.md lists {full_name}, which is not a Keras "
            f"{KERAS3['keras_version']} name")
        assert len(reason) > 5, f"{full_name} has no reason in docs/compatibility.md"


def test_documented_names_are_really_missing():
    provided = [full_name for full_name in LISTED
                if hasattr(kfacade_namespace(split_name(full_name)[0]), split_name(full_name)[1])]
    assert provided == [], (
        f"kfacade now provides {provided}: remove their rows from docs/compatibility.md")


def test_skipped_namespaces_are_documented():
    for namespace in KERAS3["skipped_namespaces"]:
        assert namespace in LISTED, f"{namespace} is skipped but not listed with a reason"


def test_the_doc_keeps_a_keras2_section():
    with open(DOC) as f:
        assert "\n## Keras 2 names not supported\n" in f.read()


def _keras_backend_for_subprocess():
    for name in ("jax", "torch", "tensorflow"):  # fastest import first
        if importlib.util.find_spec(name) is not None:
            return name
    return None


@pytest.mark.backend_independent  # reads the installed Keras 3 only
@pytest.mark.skipif(importlib.util.find_spec("keras") is None
                    or _keras_backend_for_subprocess() is None,
                    reason="Keras 3 (keras>=3) or a framework to run it is not installed")
def test_committed_names_match_the_installed_keras(tmp_path):
    """The committed list is what tools/keras3_public_names.py writes for the installed Keras."""
    env = dict(os.environ, KERAS_BACKEND=_keras_backend_for_subprocess(),
               TF_CPP_MIN_LOG_LEVEL="3")
    script = ("import json, keras, importlib; print(json.dumps({'version': keras.__version__, "
              "'names': {ns: sorted(n for n in dir(importlib.import_module(ns)) "
              f"if not n.startswith('_')) for ns in {sorted(KERAS3['namespaces'])!r}}}}}))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env=env, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    installed = json.loads(result.stdout.strip().splitlines()[-1])
    if not installed["version"].startswith("3."):
        pytest.skip(f"the installed keras is {installed['version']}, not Keras 3")
    if installed["version"] != KERAS3["keras_version"]:
        pytest.skip(f"Keras {installed['version']} is installed; the committed list is of "
                    f"Keras {KERAS3['keras_version']} (rerun tools/keras3_public_names.py)")
    assert installed["names"] == KERAS3["namespaces"]
