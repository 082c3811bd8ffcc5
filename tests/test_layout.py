"""Architecture rules (docs/architecture.md), checked: import direction, one home for env, DuckDB, SQL and the CLI."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHELL, REPLAY = "papertrend", "digest_replay"
CORE = {
    "extractors": {"extractors"},  # the pure leaf
    "warehouse": {"warehouse", "extractors"},
    "reports": {"reports", "warehouse", "extractors"},  # the weekly report only: no email in it
    "mail": {"mail", "reports", "warehouse", "extractors"},
    "flows": {"flows", "extractors", "warehouse", "reports", "mail"},
}
ALLOWED = CORE | {
    REPLAY: {REPLAY, "extractors", "reports"},  # the stand-in for the real sites
    SHELL: {SHELL, REPLAY, *CORE},  # on top: may import anything of ours
}
MODULES = sorted(path for package in ALLOWED for path in (ROOT / package).rglob("*.py"))
SHELL_ONLY = {"typer", "click", "rich"}  # command-line libraries: printing and exit codes live in the shell
MAX_MODULE_LINES = 400  # past this a module is split by noun (STYLE.md: Size)
MAX_CLI_LINES = 300  # papertrend/cli.py wires commands; the commands live in their own modules
# Modules still over the limit, each with the work that splits it; an entry is removed as its module shrinks.
OVER_THE_LIMIT = {
    "flows/settings.py": "issue 17: loading and validating split from the Prefect environment and each layer's checks",
    "warehouse/db.py": "issue 17: the warehouse opens and migrates once, split by noun",
}
SMTP_LIBRARIES = {"smtplib", "aiosmtpd"}


def _tree(path: Path) -> ast.AST:
    return ast.parse(path.read_text())


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _package(path: Path) -> str:
    return path.relative_to(ROOT).parts[0]


def _imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _imported_packages(path: Path) -> set[str]:
    return {name.split(".")[0] for name in _imported_modules(path)}


def test_packages_import_only_in_the_allowed_direction():
    wrong = [
        f"{_name(path)} imports {other}"
        for path in MODULES
        for other in sorted((_imported_packages(path) & set(ALLOWED)) - ALLOWED[_package(path)])
    ]
    assert wrong == []


def test_only_the_shell_uses_the_command_line_libraries():
    wrong = [
        f"{_name(p)} imports {lib}"
        for p in MODULES
        if _package(p) != SHELL
        for lib in sorted(_imported_packages(p) & SHELL_ONLY)
    ]
    assert wrong == []


def test_smtp_is_spoken_only_by_the_email_package_and_the_local_stand_in():
    # The stand-in (digest_replay/smtp_server.py) is the server side, imported only by the demo, tests and bench.
    wrong = [
        f"{_name(p)} imports {lib}"
        for p in MODULES
        if _package(p) != "mail" and p != ROOT / REPLAY / "smtp_server.py"
        for lib in sorted(_imported_packages(p) & SMTP_LIBRARIES)
    ]
    assert wrong == []


def test_reports_holds_the_weekly_report_only():
    # Email composition (MIME, SMTP, digests) lives in mail/, which may import reports/ but never the reverse.
    wrong = [
        f"{_name(p)} imports {lib}"
        for p in (ROOT / "reports").rglob("*.py")
        for lib in sorted(_imported_packages(p) & {"mail", "email", *SMTP_LIBRARIES})
    ]
    assert wrong == [] and not list((ROOT / "reports").rglob("*.j2"))


def test_no_module_of_ours_imports_itself_back_through_others():
    names = {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p for p in MODULES}
    edges = {name: {m for m in _imported_modules(path) if m in names and m != name} for name, path in names.items()}
    cycles = set()

    def visit(name: str, trail: list[str]) -> None:
        for other in edges[name]:
            if other in trail:
                cycles.add(" -> ".join([*trail[trail.index(other) :], other]))
            elif len(trail) < 12:
                visit(other, [*trail, other])

    for name in names:
        visit(name, [name])
    assert sorted(cycles) == []


def test_flows_holds_flows_their_steps_and_their_io_edges_only():
    allowed = {
        "__init__",
        "alerts",
        "archive",
        "bounds",
        "arxiv_history",
        "calendar",
        "day",
        "digests",
        "email",
        "exports",
        "files",
        "health",
        "http",
        "ingest",
        "indexing",
        "prefect_server",
        "progress",
        "reextract",
        "run",
        "schedule",
        "settings",
        "sweeper",
        "weekly",
    }
    assert sorted(p.stem for p in (ROOT / "flows").glob("*.py")) == sorted(allowed)


def test_only_flows_settings_touches_the_environment():
    def touches(path):
        return any(
            (isinstance(n, ast.Attribute) and n.attr in ("environ", "getenv", "putenv"))
            or (
                isinstance(n, ast.ImportFrom)
                and n.module == "os"
                and any(a.name in ("environ", "getenv") for a in n.names)
            )
            for n in ast.walk(_tree(path))
        )

    assert [_name(p) for p in MODULES if touches(p) and p != ROOT / "flows" / "settings.py"] == []


def test_only_warehouse_db_opens_duckdb():
    def opens(path):
        return any(
            (
                isinstance(n, ast.Attribute)
                and n.attr == "connect"
                and isinstance(n.value, ast.Name)
                and n.value.id == "duckdb"
            )
            or (isinstance(n, ast.ImportFrom) and n.module == "duckdb" and any(a.name == "connect" for a in n.names))
            for n in ast.walk(_tree(path))
        )

    assert [_name(p) for p in MODULES if opens(p) and p != ROOT / "warehouse" / "db.py"] == []


def test_only_warehouse_audience_opens_sqlite():
    # The audience store (personal data) has one door, as the warehouse does.
    def opens(path):
        return any(
            isinstance(n, ast.Attribute)
            and n.attr == "connect"
            and isinstance(n.value, ast.Name)
            and n.value.id == "sqlite3"
            for n in ast.walk(_tree(path))
        )

    assert [_name(p) for p in MODULES if opens(p) and p != ROOT / "warehouse" / "audience.py"] == []


def test_sql_text_lives_only_in_warehouse():
    # Outside warehouse/, .sql()/.execute() may only run SQL a user typed (a variable), never a literal.
    def literal_sql(path):
        return [
            n.lineno
            for n in ast.walk(_tree(path))
            if isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and n.func.attr in ("sql", "execute", "executemany")
            and n.args
            and isinstance(n.args[0], (ast.Constant, ast.JoinedStr))
        ]

    found = [f"{_name(p)}:{line}" for p in MODULES if _package(p) != "warehouse" for line in literal_sql(p)]
    assert found == []


def test_every_exception_of_ours_derives_from_its_layer_base():
    # One written tree (docs/architecture.md): every class named like an error derives from PapertrendError.
    import importlib

    from extractors.errors import PapertrendError

    stray = []
    for path in MODULES:
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.ClassDef) and any(
                isinstance(b, ast.Name) and b.id in ("Exception", "ValueError", "RuntimeError", "FileNotFoundError")
                for b in node.bases
            ):
                module = importlib.import_module(
                    ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
                )
                if not issubclass(getattr(module, node.name), PapertrendError):
                    stray.append(f"{_name(path)}:{node.name}")
    assert stray == []


def _lines(path: Path) -> int:
    return len(path.read_text().splitlines())


def test_no_module_is_over_400_lines():
    over = {_name(p): _lines(p) for p in MODULES if _lines(p) > MAX_MODULE_LINES}
    assert sorted(set(over) - set(OVER_THE_LIMIT)) == [], over
    # An entry whose module shrank is a promise kept: take it off the list.
    assert sorted(set(OVER_THE_LIMIT) - set(over)) == []


def test_the_cli_module_only_wires_commands():
    assert _lines(ROOT / SHELL / "cli.py") <= MAX_CLI_LINES


def test_the_shell_prints_and_does_not_query():
    # The SQL runner lives in warehouse/reader.py: the shell imports DuckDB for type hints only.
    def runtime_imports(path):
        tree = _tree(path)
        guarded = {
            inner.lineno
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
            for inner in node.body
        }
        return [
            n.lineno
            for n in ast.walk(tree)
            if isinstance(n, (ast.Import, ast.ImportFrom))
            and n.lineno not in guarded
            and any(name.split(".")[0] == "duckdb" for name in _names(n))
        ]

    found = [f"{_name(p)}:{line}" for p in MODULES if _package(p) == SHELL for line in runtime_imports(p)]
    assert found == []


def _names(node: ast.Import | ast.ImportFrom) -> list[str]:
    return [node.module or ""] if isinstance(node, ast.ImportFrom) else [alias.name for alias in node.names]


def test_the_prefect_server_record_has_one_home():
    home = ROOT / "flows" / "prefect_server.py"
    assert [_name(p) for p in MODULES if "server.json" in p.read_text() and p != home] == []
