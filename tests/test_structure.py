"""The code's shape, as the README's code map promises it: no import cycle among the project's
modules, every module importable on its own, modules of a readable size, and every job a
service may ask for defined where its reference says."""

from __future__ import annotations

import ast
import importlib
import os
import subprocess
import sys
from pathlib import Path

from feedback.background import registry
from feedback.background.queues import queue_name_of

ROOT = Path(__file__).parents[1]
PACKAGES = ("feedback", "workflows")
MAX_LINES = 400
SOURCE_FOLDERS = (*PACKAGES, "tests", "bench", "scripts", "migrations")


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def imported_modules(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules a module imports, wherever the import statement stands."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            candidates = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        found.update(candidate for candidate in candidates if candidate in known and candidate != name)
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_among_the_project_modules() -> None:
    modules = project_modules()
    graph = {name: imported_modules(name, path, set(modules)) for name, path in modules.items()}
    assert len(graph) > 100 and graph["feedback.jobs"], "the walk found the modules and their imports"
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_inside_a_function() -> None:
    """An import inside a function is how a cycle hides; the factory and the CLI need none."""
    lazy = []
    for name, path in project_modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                imports = [inner for inner in ast.walk(node) if isinstance(inner, ast.Import | ast.ImportFrom)]
                lazy += [f"{name}.{node.name}"] * len(imports)
    assert lazy == []


# Forked from an interpreter that has loaded the libraries but none of the project, each child
# imports one module first: an import that works only after another module was loaded fails here.
IMPORT_EACH = """
import importlib, os, sys, traceback
libraries, modules = sys.argv[1].split(","), sys.argv[2:]
for library in libraries:
    importlib.import_module(library)
failed = []
for name in modules:
    pid = os.fork()
    if pid == 0:
        try:
            __import__(name)
        except BaseException:
            traceback.print_exc()
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    if status:
        failed.append(name)
print("FAILED:", " ".join(failed))
"""


def libraries(modules: dict[str, Path]) -> list[str]:
    """The libraries the project imports, by their top-level name."""
    names = set()
    for path in modules.values():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names.add(node.module.split(".")[0])
    return sorted(names - {*PACKAGES, "__future__"})


def test_every_module_imports_on_its_own() -> None:
    modules = project_modules()
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_EACH, ",".join(libraries(modules)), *sorted(modules)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "FAILED:", result.stderr


def test_modules_stay_readable() -> None:
    """The application, the engine, the tests, the benchmarks, the scripts and the migrations."""
    paths = [*ROOT.glob("*.py"), *(path for folder in SOURCE_FOLDERS for path in (ROOT / folder).rglob("*.py"))]
    assert len(paths) > 200
    sizes = {str(path.relative_to(ROOT)): len(path.read_text().splitlines()) for path in paths}
    long = {name: lines for name, lines in sizes.items() if lines > MAX_LINES}
    assert long == {}, f"split these modules (over {MAX_LINES} lines)"


def test_every_job_reference_names_its_job_and_queue() -> None:
    refs = [value for value in vars(registry).values() if isinstance(value, registry.JobRef)]
    assert refs
    for ref in refs:
        module_name, _, function_name = ref.path.rpartition(".")
        job = getattr(importlib.import_module(module_name), function_name)
        assert queue_name_of(job) == ref.queue, ref
