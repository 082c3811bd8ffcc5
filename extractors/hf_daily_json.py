"""Extractor for the Hugging Face daily-papers API (`/api/daily_papers?date=...`)."""

from __future__ import annotations

import ast
import json
from datetime import date, datetime
from typing import Any

from common.records import PaperRecord
from common.sources import HF_API
from extractors.errors import MalformedPayload
from extractors.hf_entry import record_from_entry

_WRAPPER_KEYS = {"status", "date", "count", "data"}


def parse_daily_api(body: bytes, *, digest_date: date, observed_at: datetime, where: str = HF_API) -> list[PaperRecord]:
    """Return the day's records in rank order; an explicit `[]` is a day with no papers.

    Raises MalformedPayload for bodies that are not a list of entries (or the
    recorder's wrapper around one), and EntryInvalid for an entry without an id.
    """
    entries = decode_daily_api(body, where=where)
    return [
        record_from_entry(entry, rank=rank, digest_date=digest_date, observed_at=observed_at, where=where)
        for rank, entry in enumerate(entries, start=1)
    ]


def decode_daily_api(body: bytes, *, where: str = HF_API) -> list[dict[str, Any]]:
    """Decode the body to a list of entry dicts, recovering the known capture quirks."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedPayload(f"invalid JSON ({exc}); is the body truncated?", source=where) from exc
    except RecursionError as exc:  # a body nested deeper than any real capture: not the API's shape
        raise MalformedPayload("JSON nested too deeply to be a daily-papers response", source=where) from exc
    if isinstance(payload, dict) and payload.keys() >= _WRAPPER_KEYS:
        payload = _unwrap(payload, where=where)
    if not isinstance(payload, list):
        raise MalformedPayload(f"expected a JSON list of entries, got {type(payload).__name__}", source=where)
    return [_entry(item, index, where=where) for index, item in enumerate(payload, start=1)]


def _unwrap(wrapper: dict[str, Any], *, where: str) -> Any:
    # A recorder wrapped one capture as {status, date, count, data}; the count
    # is a free integrity check.
    data = wrapper["data"]
    if isinstance(data, list) and wrapper["count"] != len(data):
        raise MalformedPayload(f"wrapper says count={wrapper['count']} but holds {len(data)} entries", source=where)
    return data


def _entry(item: Any, index: int, *, where: str) -> dict[str, Any]:
    if isinstance(item, dict):
        return item
    if isinstance(item, str):
        # Some captures hold Python reprs of the entries (single quotes,
        # True/None). literal_eval evaluates literals only, so it is safe, and
        # it recovers the entry exactly.
        try:
            value = ast.literal_eval(item)
        except (ValueError, SyntaxError, MemoryError, RecursionError) as exc:
            raise MalformedPayload(f"entry {index} is a string that is not a Python literal", source=where) from exc
        if isinstance(value, dict):
            return value
    raise MalformedPayload(f"entry {index} is a {type(item).__name__}, not an object", source=where)
