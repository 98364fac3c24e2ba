"""The one reader of the dates a person or an API client types: « jj/mm/aaaa » (forms) or « aaaa-mm-jj » (ISO,
the API and the browsers' date fields), and « jj/mm/aaaa HH:MM » / « aaaa-mm-jjTHH:MM » for a date and time.

`parse_date` and `parse_datetime` return a date / datetime or raise ValueError with the French message to show;
callers that have a message of their own for the field catch it and use theirs.
"""

import datetime
import re

DATE_INVALIDE = "Date invalide (jj/mm/aaaa)."
DATE_ISO_INVALIDE = "Date invalide (format AAAA-MM-JJ attendu)."

# ASCII digits only; day and month may have one digit (« 1/2/2024 »), as Python's strptime allowed.
_FR = re.compile(r"(?P<d>[0-9]{1,2})/(?P<m>[0-9]{1,2})/(?P<y>[0-9]{4})")
_ISO = re.compile(r"(?P<y>[0-9]{4})-(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2})")
_TIME = re.compile(r"(?P<H>[0-9]{1,2}):(?P<M>[0-9]{2})(?::(?P<S>[0-9]{2}))?")
_LONGEST = 40  # anything longer is not a date: not even read


def _date_of(match) -> datetime.date:
    return datetime.date(int(match["y"]), int(match["m"]), int(match["d"]))


def parse_date(value, iso_only: bool = False) -> datetime.date:
    """A date object (a datetime gives its day), « jj/mm/aaaa » or « aaaa-mm-jj » (surrounding spaces ignored);
    with `iso_only`, « aaaa-mm-jj » only (the API's contract). ValueError with a French message otherwise —
    including an impossible day such as 31/02/2001, a blank value and anything that is not text."""
    message = DATE_ISO_INVALIDE if iso_only else DATE_INVALIDE
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > _LONGEST:
        raise ValueError(message)
    match = _ISO.fullmatch(text) or (None if iso_only else _FR.fullmatch(text))
    if match is None:
        raise ValueError(message)
    try:
        return _date_of(match)
    except ValueError:
        raise ValueError(message) from None


def parse_datetime(value, default_time: datetime.time = datetime.time(0)) -> datetime.datetime:
    """A datetime object, a date and a time (« jj/mm/aaaa HH:MM », « aaaa-mm-jj HH:MM », « aaaa-mm-jjTHH:MM »,
    seconds allowed), or a date alone (then at `default_time`). ValueError with a French message otherwise."""
    if isinstance(value, datetime.datetime):
        return value
    if isinstance(value, str) and len(value.strip()) <= _LONGEST:
        day, separator, time = value.strip().replace("T", " ", 1).partition(" ")
        if separator:
            hour = _TIME.fullmatch(time.strip())
            if hour is None:
                raise ValueError(DATE_INVALIDE)
            try:
                return datetime.datetime.combine(
                    parse_date(day), datetime.time(int(hour["H"]), int(hour["M"]), int(hour["S"] or 0))
                )
            except ValueError:
                raise ValueError(DATE_INVALIDE) from None
    return datetime.datetime.combine(parse_date(value), default_time)
