"""The layers keep their jobs: services speak in typed read models (no untyped
``dict[str, Any]`` in a public service signature), only the services, ``db.py`` and the
migrations send SQL, and no module outgrows what one reader can hold."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "transition"
SERVICES = PACKAGE / "services"

#: Names that build SQL statements (SQLAlchemy Core/ORM and SQLModel).
SQL_NAMES = {
    "select",
    "insert",
    "update",
    "delete",
    "func",
    "text",
    "bindparam",
    "and_",
    "or_",
    "case",
    "union",
    "union_all",
    "exists",
}
SQL_MODULES = ("sqlalchemy", "sqlmodel")
#: Where SQL may be written: the services, the database module and the migrations (and
#: the schema itself, whose partial indexes carry a ``WHERE`` predicate).
SQL_ALLOWED = ("services/", "db.py", "db_postgresql.py", "migrations/", "models/")
MAX_LINES = 500


def _public_functions(tree: ast.Module):
    """Module-level functions and methods of module-level classes whose names (and whose
    class's names) do not start with an underscore."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith(
            "_"
        ):
            yield node.name, node
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and not (
                    item.name.startswith("_")
                ):
                    yield f"{node.name}.{item.name}", item


def _untyped(annotation: ast.expr | None) -> bool:
    if annotation is None:
        return False
    text = ast.unparse(annotation).replace(" ", "")
    return "dict[str,Any]" in text or "Dict[str,Any]" in text


def untyped_signatures(source: str) -> list[str]:
    found = []
    for name, fn in _public_functions(ast.parse(source)):
        args = fn.args
        every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
        if _untyped(fn.returns) or any(a is not None and _untyped(a.annotation) for a in every):
            found.append(f"{name} (line {fn.lineno})")
    return found


def sql_uses(source: str) -> list[int]:
    """Lines that import a statement builder from SQLAlchemy/SQLModel or run a statement
    (``.execute(``/``.exec(``/``.scalars(``/``.scalar(``)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in SQL_MODULES:
            if any(alias.name in SQL_NAMES for alias in node.names):
                lines.append(node.lineno)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("execute", "exec", "scalars", "scalar", "exec_driver_sql")
        ):
            lines.append(node.lineno)
    return lines


def test_public_service_signatures_are_typed():
    found = {}
    for path in sorted(SERVICES.rglob("*.py")):
        bad = untyped_signatures(path.read_text(encoding="utf-8"))
        if bad:
            found[path.relative_to(PACKAGE).as_posix()] = bad
    assert not found, f"dict[str, Any] in public service signatures: {found}"


def test_the_signature_scan_sees_parameters_and_returns():
    assert untyped_signatures("def f(x: dict[str, Any]) -> int: ...")
    assert untyped_signatures("def f() -> list[dict[str, Any]]: ...")
    assert untyped_signatures("class A:\n    def f(self, *, y: dict[str, Any] | None): ...")
    assert not untyped_signatures("def _f(x: dict[str, Any]): ...")
    assert not untyped_signatures("def f(x: dict[str, int]) -> Mapping[str, object]: ...")


def test_only_services_db_and_migrations_write_sql():
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith(SQL_ALLOWED):
            continue
        lines = sql_uses(path.read_text(encoding="utf-8"))
        if lines:
            found[relative] = lines
    assert not found, f"SQL outside services/, db.py and migrations: {found}"


def test_the_sql_scan_sees_builders_and_execution():
    assert sql_uses("from sqlalchemy import select")
    assert sql_uses("from sqlmodel import select, Session")
    assert sql_uses("session.execute(x)")
    assert not sql_uses("from sqlmodel import Session")


def test_no_module_is_longer_than_one_reader_holds():
    long = {
        path.relative_to(PACKAGE).as_posix(): n
        for path in sorted(PACKAGE.rglob("*.py"))
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"
    backend = PACKAGE / "tui" / "backend.py"
    assert len(backend.read_text(encoding="utf-8").splitlines()) <= 150
