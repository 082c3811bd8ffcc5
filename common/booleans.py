"""The one rule for reading yes/no from text: settings and subscriber CSV cells parse booleans alike.

It lives in the leaf package because both the settings (flows/) and the shell's
CSV import read booleans, and a rule kept twice drifts (a CSV once read
`only_matches=maybe` as false).
"""

from __future__ import annotations

from common.errors import PapertrendError

TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


class BooleanInvalid(PapertrendError, ValueError):
    """A value meant as yes/no is none of the accepted words."""


def parse_boolean(value: object) -> bool:
    """True for 1/true/yes/on, False for 0/false/no/off (any case, spaces around ignored); a bool is itself.

    Raises BooleanInvalid for anything else, naming the accepted words.
    """
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise BooleanInvalid(
        f"{str(value)[:40]!r} is not a yes/no value (use one of {', '.join(TRUE_WORDS + FALSE_WORDS)})"
    )
