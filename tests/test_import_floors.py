"""The import graph of kfacade/ and backends/ runs one way: from the public
namespaces down to backend selection, never up, and has no circle.

``FLOORS`` is the architecture of docs/architecture.md as data: each module
belongs to the floor of its longest listed prefix. A module may import its
own floor or lower ones. Imports inside functions count too (one that only
hides a circle is still a circle); the one allowed exception is listed in
``ALLOWED_CIRCLE``. The adapters (``backends/``, installed as
``kfacade.backends``) may import from kfacade only the floor-0 modules the
contract names (``ADAPTER_MAY_IMPORT``).
"""
import ast
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: (floor, what it holds, module prefixes), bottom up.
FLOORS = [
    (0, "backend selection, contract and shared rules",
     ["kfacade.backend", "kfacade.version", "kfacade.backends"]),
    (1, "variables and the graph engine",
     ["kfacade.variables", "kfacade.engine", "kfacade.dtype_policies"]),
    (2, "ops", ["kfacade.ops", "kfacade.random", "kfacade.device", "kfacade.distribution"]),
    (3, "layers, losses, metrics, optimizers",
     ["kfacade.activations", "kfacade.initializers", "kfacade.regularizers", "kfacade.constraints",
      "kfacade.layers", "kfacade.losses", "kfacade.metrics", "kfacade.optimizers"]),
    # Saving and callbacks see a model only through its methods and the object
    # registry, so the trainer (callbacks) and Model.save (saving) call down.
    (4, "saving and callbacks", ["kfacade.saving", "kfacade.callbacks"]),
    (5, "models and the trainer", ["kfacade.models", "kfacade.trainers"]),
    (6, "public namespaces and Keras 2 shims",
     ["kfacade", "kfacade.legacy", "kfacade.preprocessing", "kfacade.datasets",
      "kfacade.mixed_precision", "kfacade.config"]),
    # Framework-free utilities (files, progress bars, batch sequences, Keras 3's
    # nested-structure functions): any floor may use them.
    (1, "utilities", ["kfacade.utils", "kfacade.tree"]),
]

#: Modules on another floor than their package: public namespaces over utilities.
MODULE_FLOORS = {
    "kfacade.utils": 6,
    "kfacade.utils.random_seed": 6,  # seeds initializers, kfacade.random and the adapter
    "kfacade.utils.legacy": 6,  # serves the Keras 2 shim kfacade.legacy.serialization
    "kfacade.utils.bounding_boxes": 6,  # serves kfacade.layers.preprocessing.bounding_boxes
}

#: Function-local imports allowed to close a circle: ``Model(inputs, outputs)``
#: returns a Functional (as Keras), and Functional is a Model.
ALLOWED_CIRCLE = {"kfacade.models.model", "kfacade.models.functional"}

#: What an adapter may import from kfacade: the contract and the floor-0 rules it names.
ADAPTER_MAY_IMPORT = ("kfacade.backend.contract", "kfacade.backend.config", "kfacade.backend.dtypes",
                      "kfacade.backend.state", "kfacade.backend.conv_geometry",
                      "kfacade.backend.device_names", "kfacade.backends")


def _modules():
    """{module name: file path} for kfacade/ and backends/ (as kfacade.backends)."""
    modules = {}
    for folder, package in (("kfacade", "kfacade"), ("backends", "kfacade.backends")):
        for directory, _, files in os.walk(os.path.join(ROOT, folder)):
            for file in files:
                if not file.endswith(".py"):
                    continue
                path = os.path.join(directory, file)
                relative = os.path.relpath(path, os.path.join(ROOT, folder))[:-3].replace(os.sep, ".")
                name = package if relative == "__init__" else package + "." + relative.removesuffix(".__init__")
                modules[name] = path
    return modules


MODULES = _modules()


def _targets(module, path, node):
    """The kfacade modules an import statement in `module` loads by name."""
    if isinstance(node, ast.Import):
        candidates = [alias.name for alias in node.names]
    else:
        base = module if path.endswith("__init__.py") else module.rsplit(".", 1)[0]
        if node.level:
            base = ".".join(base.split(".")[: len(base.split(".")) - node.level + 1])
            target = base + ("." + node.module if node.module else "")
        else:
            target = node.module
        candidates = [f"{target}.{alias.name}" if f"{target}.{alias.name}" in MODULES else target
                      for alias in node.names]
    found = set()
    for name in candidates:
        while name and name not in MODULES:
            name = name.rpartition(".")[0]
        if name and name != module:
            found.add(name)
    return found


def _edges():
    """[(importer, imported, line, is module-level)] over every import statement."""
    edges = []
    for module, path in MODULES.items():
        with open(path) as f:
            tree = ast.parse(f.read())
        top_level = set()
        for statement in tree.body:
            if isinstance(statement, (ast.If, ast.Try)):
                top_level.update(id(n) for n in ast.walk(statement))
            top_level.add(id(statement))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target in _targets(module, path, node):
                    edges.append((module, target, node.lineno, id(node) in top_level))
    return edges


EDGES = _edges()


def floor_of(module):
    if module in MODULE_FLOORS:
        return MODULE_FLOORS[module]
    best, floor = "", None
    for number, _, prefixes in FLOORS:
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > len(best):
                best, floor = prefix, number
    return floor


def strongly_connected(edges):
    """The strongly connected components (sets of 2+ modules) of a directed graph."""
    graph = {}
    for source, target, *_ in edges:
        graph.setdefault(source, set()).add(target)
    index, low, stack, on_stack, components = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = set()
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.add(other)
                if other == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in list(graph):
        if node not in index:
            visit(node)
    return components


def test_every_module_has_a_floor():
    assert [m for m in MODULES if floor_of(m) is None] == []


def test_no_module_level_circle():
    assert strongly_connected([e for e in EDGES if e[3]]) == []


def test_no_circle_with_function_local_imports():
    components = strongly_connected(EDGES)
    assert [sorted(c) for c in components if not c <= ALLOWED_CIRCLE] == []


def test_no_upward_import():
    upward = sorted(
        f"{source} (floor {floor_of(source)}) imports {target} (floor {floor_of(target)}) at line {line}"
        for source, target, line, _ in EDGES
        if floor_of(target) > floor_of(source)
    )
    assert upward == []


def test_adapters_import_only_the_contract_floor():
    reaching_up = sorted(
        f"{source} imports {target} at line {line}"
        for source, target, line, _ in EDGES
        if source.startswith("kfacade.backends") and not target.startswith(ADAPTER_MAY_IMPORT)
    )
    assert reaching_up == []


@pytest.mark.parametrize("source, target", [
    ("kfacade.layers.core.dense", "kfacade.models.model"),
    ("kfacade.backend.registry", "kfacade.ops"),
])
def test_floor_rule_catches_an_upward_import(source, target):
    assert floor_of(target) > floor_of(source)


def test_architecture_doc_lists_the_floors():
    with open(os.path.join(ROOT, "docs", "architecture.md")) as f:
        text = f.read()
    table = text.split("<!-- floors:", 1)[1].split("<!-- /floors -->", 1)[0]
    rows = []
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].isdigit():
            rows.append((int(cells[0]), cells[1], [m.strip("` ") for m in cells[2].split(",")]))
    assert sorted(rows) == sorted((floor, what, list(prefixes)) for floor, what, prefixes in FLOORS)
