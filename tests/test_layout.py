"""Architecture rules from STYLE.md, checked: import direction, one home for env, DuckDB and SQL."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = {
    "extractors": {"extractors"},
    "warehouse": {"warehouse", "extractors"},
    "reports": {"reports", "warehouse"},
    "flows": {"flows", "extractors", "warehouse", "reports"},
}
MODULES = sorted(path for package in ALLOWED for path in (ROOT / package).rglob("*.py"))


def _tree(path: Path) -> ast.AST:
    return ast.parse(path.read_text())


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _imported_packages(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & set(ALLOWED)


def test_packages_import_only_in_the_allowed_direction():
    wrong = [f"{_name(path)} imports {other}" for path in MODULES
             for other in sorted(_imported_packages(path) - ALLOWED[path.relative_to(ROOT).parts[0]])]
    assert wrong == []


def test_only_flows_settings_touches_the_environment():
    def touches(path):
        return any((isinstance(n, ast.Attribute) and n.attr in ("environ", "getenv", "putenv")) or
                   (isinstance(n, ast.ImportFrom) and n.module == "os" and
                    any(a.name in ("environ", "getenv") for a in n.names))
                   for n in ast.walk(_tree(path)))
    assert [_name(p) for p in MODULES if touches(p) and p != ROOT / "flows" / "settings.py"] == []


def test_only_warehouse_db_opens_duckdb():
    def opens(path):
        return any((isinstance(n, ast.Attribute) and n.attr == "connect" and
                    isinstance(n.value, ast.Name) and n.value.id == "duckdb") or
                   (isinstance(n, ast.ImportFrom) and n.module == "duckdb" and
                    any(a.name == "connect" for a in n.names))
                   for n in ast.walk(_tree(path)))
    assert [_name(p) for p in MODULES if opens(p) and p != ROOT / "warehouse" / "db.py"] == []


def test_sql_text_lives_only_in_warehouse():
    # Outside warehouse/, .sql()/.execute() may only run SQL a user typed (a variable), never a literal.
    def literal_sql(path):
        return [n.lineno for n in ast.walk(_tree(path))
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                and n.func.attr in ("sql", "execute", "executemany")
                and n.args and isinstance(n.args[0], (ast.Constant, ast.JoinedStr))]
    found = [f"{_name(p)}:{line}" for p in MODULES if p.relative_to(ROOT).parts[0] != "warehouse"
             for line in literal_sql(p)]
    assert found == []
