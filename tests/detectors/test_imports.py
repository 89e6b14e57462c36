"""The detectors package imports without cycles: each module can be the first one imported, and no
function imports a piiscan module (a function-local import of our own code only ever dodges a cycle;
heavy third-party libraries imported on first need are fine)."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.conftest import REPO

DETECTORS = REPO / "detectors"


def _module_names() -> list[str]:
    names = []
    for path in sorted(DETECTORS.rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        names.append(".".join(("piiscan", *(parts[:-1] if parts[-1] == "__init__" else parts))))
    return names


def test_every_detectors_module_imports_first_in_a_fresh_interpreter() -> None:
    """A cycle shows as an ImportError (or a partly initialised module) for some module imported first."""
    code = (
        "import importlib, sys\n"
        "failed = []\n"
        "for name in sys.argv[1:]:\n"
        "    for loaded in [m for m in sys.modules if m.startswith('piiscan.detectors')]:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception as exc:\n"
        "        failed.append(f'{name}: {type(exc).__name__}: {exc}')\n"
        "print('\\n'.join(failed))\n"
    )
    names = _module_names()
    assert "piiscan.detectors.engine" in names and "piiscan.detectors.identifiers" in names
    proc = subprocess.run([sys.executable, "-c", code, *names], capture_output=True, text=True, cwd=REPO, check=True)
    assert proc.stdout.strip() == ""


def local_first_party_imports(source: str) -> list[tuple[int, str]]:
    """(line, module) of every import of a piiscan module (or a relative one) inside a function of ``source``,
    and (line, "import_module") of every dynamic import (importlib.import_module, __import__) anywhere."""
    tree = ast.parse(source)
    found = {
        (node.lineno, "import_module")
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
            or (isinstance(node.func, ast.Name) and node.func.id in ("import_module", "__import__"))
        )
    }
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(func):  # nested functions too (and again on their own: hence the set)
            if isinstance(node, ast.ImportFrom):
                module = (node.module or "") if node.level == 0 else "." * node.level + (node.module or "")
                modules = [module]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            found |= {(node.lineno, m) for m in modules if m.startswith(("piiscan", "."))}
    return sorted(found)


def test_no_function_in_detectors_imports_a_piiscan_module() -> None:
    found = [
        f"{path.relative_to(REPO)}:{line} {module}"
        for path in sorted(DETECTORS.rglob("*.py"))
        for line, module in local_first_party_imports(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_import_check_finds_function_local_imports_of_our_own_code_only() -> None:
    source = (
        "import re\n"
        "from piiscan.detectors import base\n"
        "def f():\n"
        "    import wordfreq\n"
        "    from piiscan.detectors.nlp import normalise_name\n"
        "    def g():\n"
        "        from . import base\n"
        "        import piiscan.detectors.custom, json\n"
        "class C:\n"
        "    def m(self):\n"
        "        from presidio_analyzer import AnalyzerEngine\n"
        "        return importlib.import_module(name)\n"
    )
    assert local_first_party_imports(source) == [
        (5, "piiscan.detectors.nlp"),
        (7, "."),
        (8, "piiscan.detectors.custom"),
        (12, "import_module"),
    ]
