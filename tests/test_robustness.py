"""Never a 500 on bad input (issue 11 point 8), through the API and the pages, on SQLite and PostgreSQL (where a NUL
character cannot be stored at all); and the 500s that do happen: logged once with their stack and the request id,
which the user sees (app/request_ids.py). Plain-text logs by default, JSON with LOG_FORMAT=json (issue 12)."""

import io
import json
import logging
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Candidature, Organisme
from tests.conftest import demo, page_text

NUL_MESSAGE = "La requête contient un caractère nul"
HUGE = "99999999999999999999"  # beyond 64 bits
LISTS = {  # the lists of FAB's pages, by the view name their arguments carry
    "/candidatures/list/": "CandidatureView",
    "/formations/list/": "FormationsView",
    "/candidatures-abandonnees/list/": "CandidatureAbandonneeView",
    "/habilitations/list/": "DemandeHabilitationView",
    "/certificateurs/jurys/list/": "SessionJuryView",
    "/rattachements/list/": "DemandeRattachementView",
    "/sous-domaines/list/": "SousDomaineView",
    "/domaines/list/": "DomaineView",
    "/etablissements/list/": "EtablissementView",
    "/organismes/list/": "OrganismeView",
    "/utilisateurs/list/": "UtilisateurView",
    "/reseaux/list/": "ReseauView",
}
RELATIONS = {
    "CandidatureView": ["etablissement", "organisme", "certificateur", "session_jury"],
    "FormationsView": ["etablissement", "organisme"],
    "CandidatureAbandonneeView": ["etablissement", "organisme"],
    "DemandeHabilitationView": ["organisme", "etablissements", "certificateurs", "demandeur"],
    "SessionJuryView": ["certificateur"],
    "DemandeRattachementView": ["candidature", "etablissement_origine", "etablissement_destination"],
    "SousDomaineView": ["domaine"],
    "DomaineView": ["referentiel", "sous_domaines"],
    "EtablissementView": ["organisme", "inconnue"],
    "OrganismeView": ["reseau", "inconnue"],
    "UtilisateurView": ["roles", "inconnue"],
    "ReseauView": ["organismes", "inconnue"],
}


@pytest.fixture
def real_errors(app, monkeypatch):
    """The answers a user gets (the tests' app otherwise lets an exception through to the test)."""
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    return app


@pytest.fixture
def file_a(app):
    with app.app_context():
        return db.session.execute(select(Candidature.id).order_by(Candidature.id)).scalars().first()


def own_candidature(app, username_perimeter):
    """A file of establishment A1-1 (etab.user's)."""
    with app.app_context():
        from app.models import Etablissement

        etab = demo(Etablissement, nom="Avenir Paris République")
        query = select(Candidature.id).where(Candidature.etablissement_id == etab.id)
        return db.session.execute(query).scalars().first()


def org_a1(app):
    with app.app_context():
        return demo(Organisme, nom="Organisme A1 — Avenir Paris").id


def nom_of(app, pk):
    with app.app_context():
        db.session.remove()
        return db.session.get(Organisme, pk).nom


# --- Non-text values, lists where one value is expected, ids beyond 64 bits --------------------------------
@pytest.mark.parametrize("value", [5, 3.5, True, ["Nom"], {"nom": "x"}, None])
def test_a_name_that_is_not_text_is_refused_in_french(app, api, value):
    pk = org_a1(app)
    before = nom_of(app, pk)
    response = api("certifpro").put(f"/api/v1/organisme/{pk}", json={"nom": value})
    assert response.status_code == 422, response.get_json()
    messages = response.get_json()["message"]["nom"]
    assert messages and not [m for m in messages if re.search(r"\b(Not|valid|Field|may|null|string)\b", m)], messages
    assert nom_of(app, pk) == before
    created = api("certifpro").post("/api/v1/reseau/", json={"nom": value, "responsable_nom": ["x"]})
    assert created.status_code == 422 and "nom" in created.get_json()["message"]


def test_lists_where_one_code_is_expected(app, api, as_user):
    pk = own_candidature(app, "etab.user")
    client = api("etab.user")
    for body in ({"motif": ["Raisons de santé"]}, {"motif": {"code": "sante"}}, {"motif": 12}):
        response = client.post(f"/api/v1/candidature/{pk}/abandonner", json=body)
        assert response.status_code == 422, (body, response.get_json())
        assert isinstance(response.get_json()["message"], dict)
    # A list filter given a list: 400 in French, never a 500.
    listed = client.get("/api/v1/candidature/?q=(filters:!((col:statut,opr:eq,value:!(a,b))))")
    assert listed.status_code in (200, 400), listed.get_json()
    if listed.status_code == 400:
        assert "invalide" in listed.get_json()["message"]
    page = as_user("etab.user").get("/candidatures/list/?_flt_0_statut=a&_flt_0_statut=b&_flt_0_statut=")
    assert page.status_code == 200


def test_ids_beyond_64_bits(app, api, as_user, file_a):
    client = api("certifpro")
    for url in (f"/api/v1/candidature/{HUGE}", f"/api/v1/organisme/{HUGE}", f"/api/v1/candidature/{10**40}"):
        response = client.get(url)
        assert response.status_code == 404 and response.get_json()["message"] == "Élément introuvable."
    answer = client.post(f"/api/v1/candidature/{HUGE}/affecter", json={"session_jury_id": 1})
    assert answer.status_code == 404
    related = client.post("/api/v1/etablissement/", json={"nom": "Grand", "organisme": 10**30})
    assert related.status_code == 422
    assert related.get_json()["message"]["organisme"] == ["Cet élément n'existe pas ou n'est pas dans votre périmètre."]
    assert client.get(f"/api/v1/candidature/?q=(page:{HUGE})").status_code in (200, 400)
    ui = as_user("certifpro")
    for url in (f"/candidatures/show/{HUGE}", f"/organismes/edit/{HUGE}", f"/candidatures/{HUGE}/fiche.pdf"):
        response = ui.get(url)
        assert response.status_code == 404 and "Page introuvable" in page_text(response)


# --- Bodies nested too deep, NUL characters ------------------------------------------------------------------
@pytest.mark.parametrize("depth", [25, 5_000, 200_000])
def test_json_nested_too_deep_is_400(app, api, as_user, depth):
    pk = org_a1(app)
    body = "[" * depth + "]" * depth
    for client, url in (
        (api("certifpro"), f"/api/v1/organisme/{pk}"),
        (api("certifpro"), "/api/v1/reseau/"),
        (as_user("certifpro"), f"/organismes/edit/{pk}"),
    ):
        method = client.put if url.startswith("/api/v1/organisme") else client.post
        response = method(url, data=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 400, (url, response.status_code)
        assert "trop imbriqué" in response.get_data(as_text=True).replace("\\u00e9", "é")


def test_nul_characters_are_refused_in_french_everywhere(app, api, as_user):
    pk = org_a1(app)
    before = nom_of(app, pk)
    client = api("certifpro")
    for method, url, kwargs in (
        ("put", f"/api/v1/organisme/{pk}", {"json": {"nom": "Organisme\x00 piraté"}}),
        ("put", f"/api/v1/organisme/{pk}", {"json": {"nom\x00": "x"}}),
        ("post", "/api/v1/reseau/", {"json": {"nom": "R\x00", "responsable_nom": "x"}}),
        ("get", "/api/v1/organisme/?q=(filters:!((col:nom,opr:ct,value:'a%00b')))", {}),
        ("get", "/api/v1/organisme/?x=%00", {}),
    ):
        response = getattr(client, method)(url, **kwargs)
        assert response.status_code == 400, (url, response.status_code)
        assert NUL_MESSAGE in response.get_json()["message"]
    ui = as_user("certifpro")
    for method, url, kwargs in (
        ("post", f"/organismes/edit/{pk}", {"data": {"nom": "Organisme\x00 piraté"}}),
        ("get", "/organismes/list/?_flt_0_nom=a%00b", {}),
        ("get", "/recherche/?nom=%00", {}),
        ("get", "/organismes/download/a%00b", {}),
    ):
        response = getattr(ui, method)(url, **kwargs)
        assert response.status_code == 400, (url, response.status_code)
        assert NUL_MESSAGE in page_text(response)
    assert nom_of(app, pk) == before
    # A file may hold any byte: a document with NUL bytes is still accepted.
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    etab_pk = own_candidature(app, "etab.user")
    upload = api("etab.user").post(
        f"/api/v1/candidature/{etab_pk}/documents",
        data={"file": (io.BytesIO(png), "piece.png")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 201, upload.get_json()


# --- FAB's lists and actions ---------------------------------------------------------------------------------
def test_sorting_by_a_relation_or_an_unknown_column_keeps_the_default_order(real_errors, as_user):
    client = as_user("certifpro")
    for url, view in LISTS.items():
        default = page_text(client.get(url))
        for column in RELATIONS[view]:
            for direction in ("asc", "desc"):
                response = client.get(f"{url}?_oc_{view}={column}&_od_{view}={direction}")
                assert response.status_code == 200, (url, column)
                assert page_text(response) == default, (url, column)


def test_api_sorting_by_a_relation_is_refused_in_french(api):
    for column in ("organisme", "etablissement", "inconnue"):
        response = api("certifpro").get(f"/api/v1/candidature/?q=(order_column:{column},order_direction:asc)")
        assert response.status_code == 400
        assert response.get_json()["message"] == f"Tri impossible sur la colonne « {column} »."


def test_page_numbers_and_sizes_stay_within_bounds(real_errors, as_user, api):
    client = as_user("certifpro")
    for url, view in LISTS.items():
        for page in (HUGE, "999999999", "-5", "abc", "1e9", "٣"):
            response = client.get(f"{url}?page_{view}={page}")
            assert response.status_code == 200, (url, page)
        for size in ("100000", "-1", "0", "abc", HUGE):
            assert client.get(f"{url}?psize_{view}={size}").status_code == 200, (url, size)
    rows = client.get("/candidatures/list/?psize_CandidatureView=100000").get_data(as_text=True)
    assert 0 < rows.count('name="rowid"') + rows.count("/candidatures/show/") // 2 <= 200
    capped = api("certifpro").get("/api/v1/candidature/?q=(page_size:100000)").get_json()
    assert len(capped["result"]) <= 100 and capped["count"] > 0
    far = api("certifpro").get(f"/api/v1/candidature/?q=(page:{HUGE},page_size:10)")
    assert far.status_code in (200, 400)
    if far.status_code == 200:
        assert far.get_json()["result"] == []
    else:
        assert "invalide" in far.get_json()["message"]


def test_unknown_fab_actions_are_404(real_errors, app, as_user):
    pk = org_a1(app)
    client = as_user("certifpro")
    for url in (f"/organismes/action/inconnue/{pk}", f"/candidatures/action/supprimer_tout/{HUGE}"):
        response = client.get(url)
        assert response.status_code == 404 and "Page introuvable" in page_text(response)
    for data in ({"action": "inconnue", "rowid": [str(pk)]}, {"rowid": [str(pk)]}, {"action": "x", "rowid": ["abc"]}):
        response = client.post("/organismes/action_post", data=data)
        assert response.status_code == 404, data


# --- Request ids, the 500 that does happen ----------------------------------------------------------------
def test_every_answer_carries_a_request_id(client, api):
    first, second = client.get("/login/"), client.get("/login/")
    assert re.fullmatch(r"[0-9a-f]{32}", first.headers["X-Request-ID"])
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]
    kept = client.get("/login/", headers={"X-Request-ID": "proxy-1234.abc"})
    assert kept.headers["X-Request-ID"] == "proxy-1234.abc"
    for insane in ("a b", "x" * 300, "<script>", "a;b"):
        replaced = client.get("/login/", headers={"X-Request-ID": insane})
        assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["X-Request-ID"])
    assert "X-Request-ID" in api("certifpro").get("/api/v1/organisme/").headers


def _explode(*args, **kwargs):
    raise RuntimeError("panne imprévue")


def _error_records(caplog):
    return [r for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]


def test_a_page_500_is_logged_once_with_its_stack_and_shows_the_request_id(real_errors, as_user, caplog, monkeypatch):
    from app.services import tableau_de_bord

    client = as_user("etab.user")
    monkeypatch.setattr(tableau_de_bord, "candidatures", _explode)
    caplog.set_level(logging.INFO)
    response = client.get("/", headers={"X-Request-ID": "ref-page-500"})
    assert response.status_code == 500
    text = page_text(response)
    assert "Une erreur est survenue" in text and "ref-page-500" in text and "RuntimeError" not in text
    assert response.headers["X-Request-ID"] == "ref-page-500"
    (record,) = _error_records(caplog)
    assert record.request_id == "ref-page-500" and record.exc_info[0] is RuntimeError
    assert "panne imprévue" in logging.Formatter().formatException(record.exc_info)


def test_an_api_500_is_logged_once_and_answers_the_request_id(real_errors, api, caplog, monkeypatch):
    from app.services import stats

    monkeypatch.setattr(stats, "tableau", _explode)
    caplog.set_level(logging.INFO)
    response = api("certifpro").get("/api/v1/stats/")
    assert response.status_code == 500
    request_id = response.headers["X-Request-ID"]
    assert response.get_json() == {"message": "Une erreur interne est survenue.", "request_id": request_id}
    (record,) = _error_records(caplog)
    assert record.request_id == request_id and record.exc_info[0] is RuntimeError
    # A refusal is not a server error: no stack written for a 404 or a 422.
    caplog.clear()
    assert api("certifpro").get(f"/api/v1/organisme/{HUGE}").status_code == 404
    assert api("certifpro").post("/api/v1/reseau/", json={"nom": 5}).status_code == 422
    assert _error_records(caplog) == []


def test_the_database_down_stays_a_503(real_errors, api, as_user, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from app.services import stats

    def down(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connexion perdue"))

    monkeypatch.setattr(stats, "tableau", down)
    monkeypatch.setitem(real_errors.config, "DB_PANNE_SECONDES", 0)
    response = api("certifpro").get("/api/v1/stats/")
    assert response.status_code == 503 and "indisponible" in response.get_json()["message"]


def _log_lines(app, monkeypatch, log_format):
    from app import request_ids

    monkeypatch.setitem(app.config, "LOG_FORMAT", log_format)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    stream = io.StringIO()
    handler = request_ids.configure_logging(app, stream=stream, force=True)
    try:
        from app.services import tableau_de_bord

        monkeypatch.setattr(tableau_de_bord, "candidatures", _explode)
        from tests.conftest import login

        client = login(app.test_client(), "etab.user")
        response = client.get("/", headers={"X-Request-ID": f"ref-{log_format}"})
        assert response.status_code == 500
    finally:
        logging.getLogger().removeHandler(handler)
    return [line for line in stream.getvalue().splitlines() if line.strip()]


def test_json_logs_one_object_per_line(app, monkeypatch):
    lines = _log_lines(app, monkeypatch, "json")
    records = [json.loads(line) for line in lines if line.startswith("{")]
    assert records and len(records) == len([line for line in lines if not line.startswith(" ")])
    (error,) = [r for r in records if r["level"] == "ERROR"]
    assert {"timestamp", "level", "logger", "message", "request_id", "stack"} <= set(error)
    assert error["request_id"] == "ref-json" and "RuntimeError: panne imprévue" in error["stack"]
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", error["timestamp"])


def test_text_logs_by_default(app, monkeypatch):
    lines = _log_lines(app, monkeypatch, "text")
    (error,) = [line for line in lines if " ERROR " in line]
    assert "[ref-text]" in error and not error.startswith("{")
    assert any("RuntimeError: panne imprévue" in line for line in lines)
