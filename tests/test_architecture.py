"""The layout's rules, checked from the source: imports go one way (ARCHITECTURE.md's table),
no import cycle, no web framework in the engine, no module over 400 lines, and every
subpackage says what it holds."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("indexer", "webapp")
MAX_LINES = 400
WEB_FRAMEWORKS = {"flask", "flask_babel", "werkzeug", "jinja2", "gunicorn"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def sources() -> dict[str, Path]:
    return {module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


def imports_of(name: str, path: Path) -> set[str]:
    """Return every module path imports (absolute names; lazy imports inside functions too)."""
    found = set()
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[:len(package) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.add(module)
            # ``from pkg import mod`` imports the module pkg.mod when there is one.
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def graph() -> dict[str, set[str]]:
    """Return module → the project's modules it imports."""
    known = sources()
    return {name: {m for m in imports_of(name, path) if m in known and m != name} for name, path in known.items()}


def allowed_rows() -> dict[str, set[str]]:
    """Read ARCHITECTURE.md's allowed-imports table: row → what it may import."""
    text = (ROOT / "ARCHITECTURE.md").read_text("utf-8")
    table = re.search(r"<!-- allowed-imports[^>]*-->(.*?)<!-- /allowed-imports -->", text, re.S)
    assert table, "ARCHITECTURE.md has no allowed-imports table"
    rows = {}
    for line in table.group(1).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 2 or not cells[0].startswith("`"):
            continue
        rows[cells[0].strip("`")] = set(re.findall(r"`([\w.]+)`", cells[1]))
    return rows


def row_of(module: str, rows) -> str | None:
    """Return the longest row that names module or a package holding it."""
    matches = [r for r in rows if module == r or module.startswith(r + ".")]
    return max(matches, key=len) if matches else None


def covers(entry: str, module: str) -> bool:
    return module == entry or module.startswith(entry + ".")


def test_the_allowed_imports_table_is_read():
    rows = allowed_rows()
    assert {"indexer.search", "indexer.codec", "indexer.text", "webapp"} <= set(rows)
    assert "indexer.write" not in rows["indexer.search"]


def test_every_module_belongs_to_a_row_of_the_table():
    rows = allowed_rows()
    assert [m for m in sources() if m != "indexer" and row_of(m, rows) is None] == []


def test_imports_follow_the_allowed_directions():
    rows = allowed_rows()
    wrong = []
    for module, targets in graph().items():
        mine = row_of(module, rows)
        for target in targets:
            theirs = row_of(target, rows)
            if theirs == mine or target == "indexer":
                continue
            if not any(covers(entry, target) for entry in rows.get(mine, ())):
                wrong.append(f"{module} imports {target}")
    assert wrong == []


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Return the strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle():
    assert cycles(graph()) == []


def test_the_cycle_check_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_engine_imports_no_web_framework():
    wrong = [f"{name} imports {m}" for name, path in sources().items() if name.startswith("indexer")
             for m in imports_of(name, path) if m.split(".")[0] in WEB_FRAMEWORKS]
    assert wrong == []


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_over_400_lines(package):
    long = {str(p.relative_to(ROOT)): n for p in (ROOT / package).rglob("*.py")
            if (n := len(p.read_text("utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_every_subpackage_says_what_it_holds():
    for init in (ROOT / "indexer").glob("*/__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text("utf-8"))) or ""
        assert len(doc.split()) >= 15, f"{init.relative_to(ROOT)} needs a docstring saying what the folder holds"


def test_the_map_names_every_folder():
    text = (ROOT / "ARCHITECTURE.md").read_text("utf-8")
    for init in (ROOT / "indexer").glob("*/__init__.py"):
        assert f"`indexer/{init.parent.name}/`" in text
