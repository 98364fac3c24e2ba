"""How dates, numbers, amounts, file sizes and durations read for a person: French, the one place for it.

In the application numbers go through Flask-Babel (`format_decimal`…, the locale of BABEL_DEFAULT_LOCALE = "fr");
without an application context (a PDF or an .xlsx built by a thread, a script) the same Babel functions are called
with the fr_FR locale; dates, all digits, are written directly as Babel writes them. The text is the same everywhere:

- dates « 07/03/2026 », date-times « 07/03/2026 14:05 », times « 14:05 »;
- numbers « 1 234,5 » (Babel's narrow no-break space between thousands), amounts « 1 234,50 € »;
- file sizes « 7,2 Ko », « 4,0 Mo »; durations « 35 h », « 12,5 h ».

Stored date-times are naive and shown as they are stored (never shifted to BABEL_DEFAULT_TIMEZONE).
`install(app)` registers every function below as a Jinja filter of the same name.
"""

import datetime
from decimal import Decimal
from numbers import Number

import flask_babel
from babel import dates as babel_dates, numbers as babel_numbers
from flask import current_app, has_app_context

LOCALE = "fr_FR"  # without an application (Flask-Babel says "fr": the same French)
DATE = "dd/MM/yyyy"
DATETIME = "dd/MM/yyyy HH:mm"
TIME = "HH:mm"
ONE_DECIMAL = "#,##0.0"
KO, MO = 1024, 1024 * 1024
THOUSANDS = "\u202f"  # Babel's French group separator (a narrow no-break space)


def _flask_babel() -> bool:
    return has_app_context() and "babel" in current_app.extensions


# The three patterns are all digits: written directly, as Babel writes them for French (zero-padded day, month,
# hour and minute, a four-digit year). Babel's formatter costs ~6-8 µs per value, and a file's page shows up to 200
# consultation lines. Any other pattern goes through Babel.
DIRECT = {
    DATE: "{0.day:02d}/{0.month:02d}/{0.year:04d}",
    DATETIME: "{0.day:02d}/{0.month:02d}/{0.year:04d} {0.hour:02d}:{0.minute:02d}",
    TIME: "{0.hour:02d}:{0.minute:02d}",
}


def _date(value: datetime.date, pattern: str) -> str:
    if pattern in DIRECT:
        return DIRECT[pattern].format(value)
    if _flask_babel():
        return flask_babel.format_date(value, pattern, rebase=False)
    return babel_dates.format_date(value, pattern, locale=LOCALE)


def _datetime(value: datetime.datetime, pattern: str) -> str:
    if pattern in DIRECT:
        return DIRECT[pattern].format(value)
    if _flask_babel():
        return flask_babel.format_datetime(value, pattern, rebase=False)
    return babel_dates.format_datetime(value, pattern, locale=LOCALE)


def _decimal(value, pattern=None) -> str:
    if _flask_babel():
        return flask_babel.format_decimal(value, pattern)
    return babel_numbers.format_decimal(value, pattern, locale=LOCALE)


def _read_iso(value: str):
    """An ISO date or date-time as JSON and the audit trail keep them; None when it is not one."""
    try:
        if len(value) >= 16 and value[10] == "T":
            return datetime.datetime.fromisoformat(value)
        return datetime.date.fromisoformat(value[:10])
    except ValueError:
        return None


def date_fr(value) -> str:
    """« 07/03/2026 »; "" for nothing. A date-time gives its day; an ISO text is read first, other text is
    returned as it is."""
    if not value:
        return ""
    if isinstance(value, str):
        parsed = _read_iso(value)
        if parsed is None:
            return value
        value = parsed
    return _date(value, DATE)


def datetime_fr(value) -> str:
    """« 07/03/2026 14:05 »; a date without time reads as a date; "" for nothing."""
    if not value:
        return ""
    if isinstance(value, str):
        parsed = _read_iso(value)
        if parsed is None:
            return value
        value = parsed
    if not isinstance(value, datetime.datetime):
        return _date(value, DATE)
    return _datetime(value, DATETIME)


def heure_fr(value) -> str:
    """« 14:05 »."""
    if not value:
        return ""
    return _datetime(value, TIME)


def nombre_fr(value, decimales=None) -> str:
    """« 1 234,5 » (up to 3 decimals, none when whole: Decimal("35.0") → « 35 »); `decimales` fixes their
    number (« 1 234,50 »). "" for None."""
    if value is None or value == "":
        return ""
    if type(value) is int and decimales is None:
        # A whole number as Babel writes it in French (its narrow no-break space between thousands), written
        # directly: the STATS page shows over a hundred of them, ~8 µs each through Babel's formatter.
        return f"{value:,}".replace(",", THOUSANDS)
    pattern = None if decimales is None else "#,##0" + ("." + "0" * decimales if decimales else "")
    return _decimal(value, pattern)


def montant_fr(value) -> str:
    """« 1 234,50 € » (no-break spaces: an amount never wraps). "" for None."""
    if value is None:
        return ""
    if _flask_babel():
        return flask_babel.format_currency(Decimal(value), "EUR")
    return babel_numbers.format_currency(Decimal(value), "EUR", locale=LOCALE)


def taille_fr(octets) -> str:
    """A file size: « 7,2 Ko » under 1 Mo, « 4,0 Mo » from there (1 Ko = 1 024 octets)."""
    if octets is None:
        return ""
    if octets < MO:
        return f"{_decimal(octets / KO, ONE_DECIMAL)} Ko"
    return f"{_decimal(octets / MO, ONE_DECIMAL)} Mo"


def heures_fr(value) -> str:
    """A duration in hours: « 35 h », « 12,5 h ». "" for None."""
    if value is None or value == "":
        return ""
    return f"{nombre_fr(value)} h"


def oui_non(value) -> str:
    return "Oui" if value else "Non"


def valeur_fr(value):
    """A value without formatter in a list or on a record's page: French, never Python's own spelling ("True",
    "False", "None", 2026-11-22, 2.5); any other value as it is (the template escapes it)."""
    if value is None:
        return ""
    if value is True or value is False:
        return oui_non(value)
    if isinstance(value, datetime.datetime):
        return datetime_fr(value)
    if isinstance(value, datetime.date):
        return date_fr(value)
    if isinstance(value, Number) and not isinstance(value, int):
        return nombre_fr(value)
    return value


FILTERS = {
    function.__name__: function
    for function in (
        date_fr,
        datetime_fr,
        heure_fr,
        nombre_fr,
        montant_fr,
        taille_fr,
        heures_fr,
        oui_non,
        valeur_fr,
    )
}


def install(app) -> None:
    """Every formatting function as a Jinja filter: {{ d|date_fr }}, {{ n|nombre_fr }}, {{ f.taille|taille_fr }}…"""
    app.jinja_env.filters.update(FILTERS)
