"""Errors of data sources: a bad record names the file (and row) and says why.

Example:
    >>> str(BadRecordError("/x/cat/3.png", "cannot identify image file"))
    'bad record in /x/cat/3.png: cannot identify image file'
"""

from __future__ import annotations

ON_BAD_RECORD = ("error", "skip")


class BadRecordError(ValueError):
    """A record a source cannot read, raised under `on_bad_record: error`.

    Example:
        >>> BadRecordError("/data/t.csv row 3", "missing label").where
        '/data/t.csv row 3'
    """

    def __init__(self, where: str, reason: str):
        super().__init__(f"bad record in {where}: {reason}")
        self.where = where
        self.reason = reason


class BadRecords:
    """Applies `on_bad_record` to the bad records of one load: raise at the first, or collect them.

    Example:
        >>> bad = BadRecords("skip")
        >>> bad("/x/a.png", "truncated")
        >>> bad.count, bad.records
        (1, ['/x/a.png: truncated'])
    """

    def __init__(self, on_bad_record: str):
        if on_bad_record not in ON_BAD_RECORD:
            raise ValueError(f"on_bad_record must be one of {', '.join(ON_BAD_RECORD)}, got {on_bad_record!r}")
        self.on_bad_record = on_bad_record
        self.records: list[str] = []

    def __call__(self, where: str, reason: str) -> None:
        if self.on_bad_record == "error":
            raise BadRecordError(where, reason)
        self.records.append(f"{where}: {reason}")

    @property
    def count(self) -> int:
        return len(self.records)
