"""The layering of docs/architecture.md, read from the code: every module of the project is parsed
(ast, nothing is imported) and each import is checked against the arrows allowed between packages.

harness at the bottom; the two implementations on harness; benchmarks on those; validation on
those; reports on top. Inside validation and reports, the subsystems (validation.steps, .fit,
.timing; reports.page, .nightly) do not import one another, and reports.measurements is below
both of reports'. Only packages and the modules that the whole package shares sit at the top of
validation/ and reports/.
"""

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.tensorflow_kernel_free  # reads the sources (ast): no backend runs

ROOT = Path(__file__).resolve().parents[1]

# Which project packages each top-level package may import (itself included).
LAYERS = {
    "harness": {"harness"},
    "reference_impl": {"harness", "reference_impl"},
    "multidense_impl": {"harness", "multidense_impl"},
    "benchmarks": {"harness", "reference_impl", "multidense_impl", "benchmarks"},
    "validation": {"harness", "reference_impl", "multidense_impl", "benchmarks", "validation"},
    "reports": {"harness", "reference_impl", "multidense_impl", "benchmarks", "validation", "reports"},
}
PROJECT = set(LAYERS)

# Subsystems inside a package: a subpackage may import those named here, never the others.
SUBSYSTEMS = {
    "validation.steps": set(),
    "validation.fit": set(),
    "validation.timing": set(),
    "reports.measurements": set(),
    "reports.page": {"reports.measurements"},
    "reports.nightly": {"reports.measurements"},
}

# What may sit at the top of validation/ and reports/ besides subpackages: the entry points and the
# modules that the whole package shares.
TOP_LEVEL_MODULES = {
    "validation": {"__init__", "__main__", "candidates", "results", "settings"},
    "reports": {"__init__", "__main__", "errors"},
}
# Folders of data (no Python) that a subpackage ships.
DATA_FOLDERS = {"reports/page/templates", "reports/page/vendor"}


def module_name(path, root=ROOT):
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules():
    for package in sorted(PROJECT):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "__pycache__" not in path.parts:
                yield path


def imports_of(path, root=ROOT):
    """(line, imported module) for every import in ``path``, functions included; relative ones resolved."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            yield node.lineno, module
            for alias in node.names:  # `from validation import fit` imports the subpackage fit
                yield node.lineno, f"{module}.{alias.name}"


def subsystem_of(module):
    return next((s for s in SUBSYSTEMS if module == s or module.startswith(s + ".")), None)


def violations(path, root=ROOT):
    """The imports of ``path`` that run against the layering, one readable line each."""
    importer = module_name(path, root)
    top = importer.split(".")[0]
    own = subsystem_of(importer)
    found, lines = [], set()
    for line, imported in imports_of(path, root):
        if line in lines:  # one finding per import statement
            continue
        where = f"{path.relative_to(root)}:{line}: {importer} imports {imported}"
        imported_top = imported.split(".")[0]
        if imported_top not in PROJECT:
            continue
        if imported_top not in LAYERS[top]:
            found.append(f"{where} ({top} may import only {sorted(LAYERS[top])})")
            lines.add(line)
            continue
        target = subsystem_of(imported)
        if target is None or target == own or imported_top != top:
            continue
        if own is None:
            if not importer.endswith("__main__") and importer != top:
                found.append(f"{where} (a module {top} shares imports none of its subpackages)")
                lines.add(line)
        elif target not in SUBSYSTEMS[own]:
            found.append(f"{where} ({own} may import {sorted(SUBSYSTEMS[own]) or 'no other subpackage'})")
            lines.add(line)
    return found


def test_no_import_runs_against_the_layering():
    found = [v for path in project_modules() for v in violations(path)]
    assert not found, "imports against docs/architecture.md:\n" + "\n".join(found)


def test_the_checker_sees_imports_in_functions_and_from_package_forms(tmp_path):
    """The rule itself: a bad import is found wherever and however it is written."""
    bad = {
        "harness/x.py": "def f():\n    import validation.results\n",
        "multidense_impl/x.py": "from reference_impl import build_network\n",
        "benchmarks/x.py": "from reports.errors import ReportInputError\n",
        "validation/results.py": "from validation.timing import compare\n",
        "validation/fit/x.py": "from validation import steps\n",
        "reports/nightly/x.py": "from ..page import build\n",
    }
    for relative, source in bad.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(source)
    for relative in bad:
        assert violations(tmp_path / relative, tmp_path), relative
    fine = tmp_path / "reports/page/y.py"
    fine.parent.mkdir(parents=True)
    fine.write_text("from reports.measurements import statistics\nfrom validation.timing import speedup\n")
    assert violations(fine, tmp_path) == []


@pytest.mark.parametrize("package", sorted(TOP_LEVEL_MODULES))
def test_only_shared_modules_sit_at_the_top(package):
    top = {p.stem for p in (ROOT / package).glob("*.py")}
    stray = sorted(top - TOP_LEVEL_MODULES[package])
    assert not stray, (f"{package}/{{{', '.join(stray)}}}.py: put each in the subpackage that owns it, or "
                       "(when the whole package shares it) add it to TOP_LEVEL_MODULES and "
                       "docs/architecture.md")


@pytest.mark.parametrize("package", sorted(TOP_LEVEL_MODULES))
def test_every_folder_is_a_package_that_says_what_it_owns(package):
    for folder in sorted(p for p in (ROOT / package).rglob("*") if p.is_dir() and p.name != "__pycache__"):
        if not any(folder.rglob("*.py")):  # no code: data or generated output (make report's reports/html)
            continue
        relative = folder.relative_to(ROOT).as_posix()
        if any(relative == d or relative.startswith(d + "/") for d in DATA_FOLDERS):
            continue
        init = folder / "__init__.py"
        assert init.is_file(), f"{relative}/ is not a package (no __init__.py)"
        assert ast.get_docstring(ast.parse(init.read_text())), f"{relative}/__init__.py has no docstring"
