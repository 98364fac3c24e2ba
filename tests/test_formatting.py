"""Dates, numbers, amounts, sizes and durations read French (app/formatting.py), in a request, in an application
context and without any (a PDF or an .xlsx built by a thread)."""

import datetime
import io
import threading
from decimal import Decimal

from app import formatting
from app.formatting import date_fr, datetime_fr, heure_fr, heures_fr, montant_fr, nombre_fr, oui_non, taille_fr

NNBSP, NBSP = "\u202f", "\u00a0"  # Babel's fr: narrow no-break space between thousands, no-break space before €

EXPECTED = [
    (lambda: nombre_fr(1234.5), f"1{NNBSP}234,5"),
    (lambda: nombre_fr(1234567), f"1{NNBSP}234{NNBSP}567"),
    (lambda: nombre_fr(7.2), "7,2"),
    (lambda: nombre_fr(Decimal("35.0")), "35"),
    (lambda: nombre_fr(Decimal("1234.5"), 2), f"1{NNBSP}234,50"),
    (lambda: nombre_fr(0), "0"),
    (lambda: nombre_fr(None), ""),
    (lambda: montant_fr(Decimal("1234.5")), f"1{NNBSP}234,50{NBSP}€"),
    (lambda: montant_fr(0), f"0,00{NBSP}€"),
    (lambda: taille_fr(7373), "7,2 Ko"),
    (lambda: taille_fr(512), "0,5 Ko"),
    (lambda: taille_fr(4 * 1024 * 1024), "4,0 Mo"),
    (lambda: taille_fr(1024 * 1024 - 1), f"1{NNBSP}024,0 Ko"),
    (lambda: heures_fr(Decimal("35.0")), "35 h"),
    (lambda: heures_fr(Decimal("12.5")), "12,5 h"),
    (lambda: heures_fr(21), "21 h"),
    (lambda: date_fr(datetime.date(2026, 3, 7)), "07/03/2026"),
    (lambda: date_fr(datetime.datetime(2026, 3, 7, 23, 59)), "07/03/2026"),
    (lambda: date_fr("2026-03-07"), "07/03/2026"),
    (lambda: date_fr("pas une date"), "pas une date"),
    (lambda: date_fr(None), ""),
    (lambda: datetime_fr(datetime.datetime(2026, 3, 9, 8, 5)), "09/03/2026 08:05"),
    (lambda: datetime_fr("2026-03-09T08:05:00"), "09/03/2026 08:05"),
    (lambda: datetime_fr(datetime.date(2026, 3, 9)), "09/03/2026"),
    (lambda: heure_fr(datetime.datetime(2026, 3, 9, 23, 5)), "23:05"),
    (lambda: oui_non(True) + oui_non(None), "OuiNon"),
]


def _check_all():
    for function, expected in EXPECTED:
        assert function() == expected


def test_in_an_application_context_and_a_request(app):
    with app.app_context():
        _check_all()
    with app.test_request_context("/"):
        _check_all()


def test_outside_any_application():
    """A new thread has no application context (the background exports run in threads of their own)."""
    outcome = {}

    def run():
        from flask import has_app_context

        outcome["context"] = has_app_context()
        try:
            _check_all()
            outcome["ok"] = True
        except AssertionError as exc:
            outcome["ok"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert outcome == {"context": False, "ok": True}


def test_naive_date_times_are_shown_as_stored(app):
    """BABEL_DEFAULT_TIMEZONE is Europe/Paris, but stored date-times are naive: never shifted."""
    assert app.config["BABEL_DEFAULT_TIMEZONE"] == "Europe/Paris"
    with app.test_request_context("/"):
        assert datetime_fr(datetime.datetime(2026, 7, 1, 23, 30)) == "01/07/2026 23:30"
        assert date_fr(datetime.datetime(2026, 7, 1, 23, 30)) == "01/07/2026"


def test_dates_are_written_as_babel_writes_them_for_french(app):
    """The date patterns are written directly (app/formatting.py DIRECT): the same text as Babel's French, for
    days and months of one and two digits, midnight, the end of a day, early years."""
    from babel import dates

    samples = [
        datetime.datetime(year, month, day, hour, minute)
        for year, month, day, hour, minute in [
            (2026, 3, 7, 0, 0),
            (2026, 12, 31, 23, 59),
            (1999, 1, 9, 9, 5),
            (1900, 2, 28, 12, 30),
            (999, 11, 1, 1, 1),
        ]
    ]
    with app.test_request_context("/"):
        for moment in samples:
            assert datetime_fr(moment) == dates.format_datetime(moment, "dd/MM/yyyy HH:mm", locale="fr_FR")
            assert date_fr(moment.date()) == dates.format_date(moment.date(), "dd/MM/yyyy", locale="fr_FR")
            assert heure_fr(moment) == dates.format_datetime(moment, "HH:mm", locale="fr_FR")


def test_whole_numbers_are_written_as_babel_writes_them_for_french(app):
    from babel import numbers

    with app.test_request_context("/"):
        for value in (0, 7, 999, 1000, 65_536, 1_234_567, -1234, 10**12):
            assert nombre_fr(value) == numbers.format_decimal(value, locale="fr_FR"), value


def test_every_function_is_a_jinja_filter(app):
    assert set(formatting.FILTERS) <= set(app.jinja_env.filters)
    with app.test_request_context("/"):
        render = app.jinja_env.from_string(
            "{{ n|nombre_fr }} | {{ s|taille_fr }} | {{ h|heures_fr }} | {{ m|montant_fr }} | {{ d|date_fr }} | "
            "{{ t|datetime_fr }} | {{ t|heure_fr }} | {{ clea_taille_max }}"
        ).render
        text = render(
            n=1234.5,
            s=7373,
            h=Decimal("35.0"),
            m=Decimal("12.5"),
            d=datetime.date(2026, 3, 7),
            t=datetime.datetime(2026, 3, 7, 14, 5),
        )
    assert text == (f"1{NNBSP}234,5 | 7,2 Ko | 35 h | 12,50{NBSP}€ | 07/03/2026 | 07/03/2026 14:05 | 14:05 | 4,0 Mo")


def test_fab_widgets_show_decimals_the_french_way(app):
    with app.test_request_context():
        render = app.jinja_env.from_string("{{ v|valeur_fr }}").render
        assert render(v=1234.5) == f"1{NNBSP}234,5" and render(v=2026) == "2026"


def test_document_size_label():
    from app.models.documents import Document

    assert Document(taille=7373).taille_label == "7,2 Ko"
    assert Document(taille=4 * 1024 * 1024).taille_label == "4,0 Mo"


def test_the_french_locale_is_the_applications(app):
    import flask_babel

    assert app.config["BABEL_DEFAULT_LOCALE"] == "fr"
    with app.test_request_context("/"):
        assert str(flask_babel.get_locale()) == "fr"


def test_training_duration_and_document_size_on_the_candidate_page(app, as_user):
    from tests.conftest import page_text
    from tests.test_documents import PDF
    from tests.test_formations import ids

    pk, domaines = ids(app)
    client = as_user("etab.user")
    done = client.post(
        f"/candidatures/{pk}/formations",
        data={
            "domaines": [domaines[0]],
            "date_debut": "26/02/2024",
            "date_fin": "22/07/2024",
            "duree_heures": "35",
            "formateur_nom": "Fabre",
            "formateur_prenom": "Lina",
            "formateur_email": "Lina.Fabre@of.example",
        },
        follow_redirects=True,
    )
    assert "Durée : 35 h" in page_text(done)  # the column is Numeric(6, 1): Decimal("35.0"), never « 35.0 h »
    uploaded = client.post(
        f"/candidatures/{pk}/documents",
        data={"file": (io.BytesIO(PDF), "piece.pdf")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    text = page_text(uploaded)
    size = taille_fr(len(PDF))
    assert "," in size and f"piece.pdf {size}" in text.replace(" — ", " ")
    assert "Taille maximum : 4,0 Mo." in text


def test_list_values_without_formatter_write_decimals_the_french_way(app):
    """issue 17: a Decimal column (a training's hours, an amount) in FAB's lists: « 35 », « 7,25 », never « 35.0 »;
    whole numbers (years, counts of a column) as they are."""
    from decimal import Decimal

    from app.formatting import nombre_fr

    with app.test_request_context():
        valeur = app.jinja_env.filters["valeur_fr"]
        assert [str(valeur(v)) for v in (Decimal("35.0"), 7.25, Decimal("1234.5"), 2026, True)] == [
            "35",
            "7,25",
            nombre_fr(Decimal("1234.5")),  # « 1 234,5 », its space the formatting's own
            "2026",
            "Oui",
        ]
