"""The one reader of typed dates (app/domain/dates.py): jj/mm/aaaa or aaaa-mm-jj, French messages."""

import datetime

import pytest

from app.domain.dates import DATE_INVALIDE, DATE_ISO_INVALIDE, parse_date, parse_datetime

D = datetime.date


@pytest.mark.parametrize(
    "value, expected",
    [
        ("15/01/2026", D(2026, 1, 15)),
        ("2026-01-15", D(2026, 1, 15)),
        (" 15/01/2026 ", D(2026, 1, 15)),
        ("1/2/2024", D(2024, 2, 1)),
        ("29/02/2024", D(2024, 2, 29)),
        (D(2026, 1, 15), D(2026, 1, 15)),
        (datetime.datetime(2026, 1, 15, 10, 30), D(2026, 1, 15)),
    ],
)
def test_dates_read(value, expected):
    assert parse_date(value) == expected
    assert type(parse_date(value)) is datetime.date


@pytest.mark.parametrize(
    "value",
    [
        "31/02/2001",
        "29/02/2025",
        "2026-13-45",
        "15/01/26",
        "15-01-2026",
        "abc",
        "",
        "   ",
        None,
        20260115,
        "20260115",
        "2026-W03-4",
        "١٥/٠١/٢٠٢٦",
        "9" * 5000,
        "15/01/2026 10:00",
    ],
)
def test_invalid_dates_in_french(value):
    with pytest.raises(ValueError) as error:
        parse_date(value)
    assert str(error.value) == DATE_INVALIDE == "Date invalide (jj/mm/aaaa)."


def test_iso_only_for_the_api():
    assert parse_date("2026-01-15", iso_only=True) == D(2026, 1, 15)
    with pytest.raises(ValueError) as error:
        parse_date("15/01/2026", iso_only=True)
    assert str(error.value) == DATE_ISO_INVALIDE == "Date invalide (format AAAA-MM-JJ attendu)."


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2026-03-09T08:11", datetime.datetime(2026, 3, 9, 8, 11)),
        ("2026-03-09 08:11", datetime.datetime(2026, 3, 9, 8, 11)),
        ("09/03/2026 08:11", datetime.datetime(2026, 3, 9, 8, 11)),
        ("2026-03-09T08:11:30", datetime.datetime(2026, 3, 9, 8, 11, 30)),
        ("09/03/2026", datetime.datetime(2026, 3, 9, 9, 0)),
        (D(2026, 3, 9), datetime.datetime(2026, 3, 9, 9, 0)),
        (datetime.datetime(2026, 3, 9, 8, 11), datetime.datetime(2026, 3, 9, 8, 11)),
    ],
)
def test_date_times_read(value, expected):
    assert parse_datetime(value, default_time=datetime.time(9)) == expected


@pytest.mark.parametrize("value", ["09/03/2026 25:00", "09/03/2026 8h11", "31/02/2026 08:11", "demain", None, ""])
def test_invalid_date_times_in_french(value):
    with pytest.raises(ValueError) as error:
        parse_datetime(value)
    assert str(error.value) == DATE_INVALIDE
