"""The shell's own errors: options that cannot work together, and outcomes a command reports as a failure.

Each is named for its condition; what to do about it lives in one place,
papertrend/failures.py (ADVICE), beside the advice for every other layer's errors.
"""

from __future__ import annotations

from common.errors import PapertrendError


class CommandError(PapertrendError):
    """A command cannot do what it was asked; `details` are lines shown after the advice."""

    def __init__(self, message: str, details: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.details = details


class RefreshWindowNegative(CommandError):
    """`ingest --refresh-days` was given a negative number of days."""


class QueryLimitsInvalid(CommandError):
    """`sql --max-rows` is negative or `--timeout` is not a positive number of seconds under a day."""


class ParquetNeedsOutput(CommandError):
    """`sql -f parquet` was asked to write to the terminal: Parquet goes to a file."""


class SourceUnknown(CommandError):
    """`extract --source` names no extractor."""


class DigestDateMissing(CommandError):
    """`extract` found no digest date in --date, the file's name or the page itself."""


class FaultSpecInvalid(CommandError):
    """`replay --fault` is not KIND[:ARG]@MATCH[*TIMES]."""


class RawPagesDamaged(CommandError):
    """`reextract` set aside raw pages whose bodies are damaged; everything else was rebuilt."""


class QuarantineOpen(CommandError):
    """`reextract` left days whose every page fails to extract."""


class DemoIncomplete(CommandError):
    """The demo run did not load every day of its corpus."""


class PeriodAmbiguous(CommandError):
    """`email` was given both --week and --day."""


class RecipientInvalid(CommandError):
    """`email --to` is not one plain address."""


class SubscriberUnknown(CommandError):
    """No subscriber has the address or token given."""


class RecipientUnsubscribed(CommandError):
    """`email --to` names a subscriber who unsubscribed."""


class RecipientNotDue(CommandError):
    """`email --to` names no active subscriber of the period's cadence who is due."""


class AudienceStoreMissing(CommandError):
    """There is no audience store yet, so no subscriber to remove."""


class DeliveryIncomplete(CommandError):
    """Some messages of the period were not delivered; `details` names each recipient and the server's reply."""


class CannotListen(CommandError):
    """`web` cannot listen on its host and port: a name that does not resolve, or a port already taken."""
