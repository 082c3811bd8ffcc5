"""Imports go one way: flows -> extractors, warehouse, reports; reports -> warehouse; warehouse -> extractors."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = {
    "extractors": {"extractors"},
    "warehouse": {"warehouse", "extractors"},
    "reports": {"reports", "warehouse"},
    "flows": {"flows", "extractors", "warehouse", "reports"},
}


def _imported_packages(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & set(ALLOWED)


def test_packages_import_only_in_the_allowed_direction():
    wrong = [
        f"{path.relative_to(ROOT)} imports {other}"
        for package, allowed in ALLOWED.items()
        for path in sorted((ROOT / package).rglob("*.py"))
        for other in sorted(_imported_packages(path) - allowed)
    ]
    assert wrong == []


def test_only_flows_read_the_environment():
    offenders = [str(p.relative_to(ROOT)) for pkg in ("extractors", "warehouse", "reports")
                 for p in (ROOT / pkg).rglob("*.py") if "os.environ" in p.read_text() or "getenv" in p.read_text()]
    assert offenders == []


def test_only_warehouse_db_opens_duckdb():
    offenders = [str(p.relative_to(ROOT)) for pkg in ALLOWED for p in (ROOT / pkg).rglob("*.py")
                 if "duckdb.connect" in p.read_text() and p != ROOT / "warehouse" / "db.py"]
    assert offenders == []
