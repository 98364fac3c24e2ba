"""« Pour la sélection » (issue 17): one operation on each record of a list's selection, each in its own
transaction as from the record's page, and the report of what was done and what was refused and why."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from app.extensions import db

LOT_MAX = 500  # records per selection


@dataclass
class ResultatLot:
    id: int
    libelle: str  # how the report names the record (« n°2026000123 », « Jeanne Martin »)
    detail: str  # a second column (the candidate, the email…)
    fait: bool
    message: str


def chacun(
    records: Iterable[Any],
    operation: Callable[[Any], object],
    libelle: Callable[[Any], str],
    detail: Callable[[Any], str],
    succes: str,
) -> list[ResultatLot]:
    """Run `operation(record)` on each record (a service call: it commits or raises a domain error)."""
    from app.answers import ANSWERED, as_domain_error, ui_message

    results = []
    for record in list(records)[:LOT_MAX]:
        pk, label, second = record.id, libelle(record), detail(record)
        try:
            operation(record)
        except ANSWERED as exc:
            db.session.rollback()
            results.append(ResultatLot(pk, label, second, False, ui_message(as_domain_error(exc))))  # type: ignore[arg-type]
            continue
        results.append(ResultatLot(pk, label, second, True, succes))
    return results
