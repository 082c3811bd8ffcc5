"""The subscriber CSV: read strictly (every problem with its line number), written safe for spreadsheets.

A cell that starts with =, +, -, @, a tab or a carriage return is a formula to
a spreadsheet, so the export prefixes it with a single quote (OWASP's advice for
CSV injection) and the import takes exactly that quote off again: an exported
file imports back unchanged. Booleans use the settings' own rule
(common.booleans), so `only_matches=maybe` is an error, not a silent false.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

from common.booleans import BooleanInvalid, parse_boolean
from common.errors import PapertrendError
from warehouse.subscribers import DEFAULT_MAX_PAPERS, Subscriber, SubscriberInvalid, address_key, valid_subscriber

LIST_SEPARATOR = ";"  # between keywords, topics or seeds in one CSV cell
CSV_FIELDS = ("address", "name", "cadence", "keywords", "topics", "seeds", "max_papers", "only_matches")
EXPORT_ONLY = ("active", "created_at")  # written by the export; read back (active) or ignored (created_at)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_FILE_BYTES = 50_000_000  # a subscriber file is thousands of short rows, not gigabytes


class CsvInvalid(PapertrendError, ValueError):
    """A subscriber CSV file cannot be imported; the message and `problems` say where."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


class CsvRowsInvalid(CsvInvalid):
    """Rows of a subscriber CSV file are bad; `problems` names each by its line."""


def neutralised(cell: object) -> object:
    """A string cell a spreadsheet would run as a formula, prefixed with a quote; other cells as they are.
    A cell already starting with a quote before such a character gets one more, so reading back is exact."""
    if isinstance(cell, str) and (cell.startswith(FORMULA_STARTS) or (cell[:1] == "'" and _formula(cell[1:]))):
        return "'" + cell
    return cell


def _formula(text: str) -> bool:
    return text.startswith(FORMULA_STARTS) or (text[:1] == "'" and _formula(text[1:]))


def restored(cell: str) -> str:
    """The inverse of neutralised(): one leading quote off a cell that neutralised() would have made."""
    return cell[1:] if cell[:1] == "'" and _formula(cell[1:]) else cell


def write_csv(rows: Iterable[dict], out: io.TextIOBase, fieldnames: list[str]) -> None:
    """Write subscriber rows as CSV with every formula-like string cell neutralised."""
    writer = csv.DictWriter(out, fieldnames=fieldnames)
    writer.writeheader()
    writer.writerows({k: neutralised(v) for k, v in row.items()} for row in rows)


def read_csv(file: Path) -> list[Subscriber]:
    """Every subscriber of `file`, each checked; raises CsvInvalid listing every bad line (nothing is half-read)."""
    try:
        if file.stat().st_size > MAX_FILE_BYTES:
            raise CsvInvalid(f"{file} is over {MAX_FILE_BYTES // 1_000_000} MB; split it")
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise CsvInvalid(f"cannot read {file}: {reason}; give a UTF-8 CSV file") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        names = reader.fieldnames or []
    except csv.Error as exc:
        raise CsvInvalid(f"{file}: line 1: {exc}") from None
    unknown = sorted(set(names) - set(CSV_FIELDS) - set(EXPORT_ONLY))
    if "address" not in names or unknown:
        raise CsvInvalid(
            f"{file}: the header must name address and may name {', '.join(CSV_FIELDS[1:])}"
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
            + f" (lists separated by '{LIST_SEPARATOR}')"
        )
    return _rows(file, reader)


def _rows(file: Path, reader: csv.DictReader) -> list[Subscriber]:
    subs, bad, seen = [], [], set()
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # e.g. a field over csv's limit (128 KiB): the rest cannot be trusted
            # csv counts a line once it is parsed: the one that failed is the next.
            bad.append(f"line {reader.line_num + 1}: {exc}")
            break
        line = reader.line_num
        try:
            sub = _subscriber({k: restored(v) if isinstance(v, str) else v for k, v in row.items()})
            if address_key(sub.address) in seen:
                raise SubscriberInvalid(f"address {sub.address} is on an earlier line too (addresses ignore case)")
            seen.add(address_key(sub.address))
            subs.append(sub)
        except (SubscriberInvalid, BooleanInvalid) as exc:
            bad.append(f"line {line}: {exc}")
    if bad:
        raise CsvRowsInvalid(f"{file}: {len(bad)} bad row(s); nothing was imported", bad)
    return subs


def _subscriber(row: dict) -> Subscriber:
    if None in row:  # csv puts cells beyond the header under the key None
        raise SubscriberInvalid("more cells than the header names")
    address = row.get("address") or ""
    only_matches, active = _flag(row, "only_matches", False), _flag(row, "active", True)
    max_papers = (row.get("max_papers") or "").strip() or str(DEFAULT_MAX_PAPERS)
    if not max_papers.isdigit():
        raise SubscriberInvalid(f"{address}: max_papers must be a whole number, not {max_papers[:20]!r}")
    return valid_subscriber(
        Subscriber(
            address,
            row.get("name") or None,
            (row.get("cadence") or "weekly").strip(),
            _listed(row.get("keywords")),
            _listed(row.get("topics")),
            _listed(row.get("seeds")),
            int(max_papers),
            only_matches,
            active=active,
        )
    )


def _flag(row: dict, name: str, default: bool) -> bool:
    cell = (row.get(name) or "").strip()
    try:
        return parse_boolean(cell) if cell else default
    except BooleanInvalid as exc:
        raise BooleanInvalid(f"{name}: {exc}") from None


def _listed(cell: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (cell or "").split(LIST_SEPARATOR) if part.strip())
