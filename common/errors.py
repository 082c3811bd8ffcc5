"""The root of papertrend's exception tree.

Every layer derives its errors from one base of its own, and every base from
PapertrendError (the tree is drawn in docs/architecture.md). The root lives in
common/ because that is the leaf every layer may import.
"""

from __future__ import annotations


class PapertrendError(Exception):
    """Something papertrend expected can go wrong went wrong; the message says what to do."""
