"""STATS tab (guide §7): counters of the perimeter for every profile, charts, period filter, exports (.xlsx
prepared in the background for the UI, streamed by the API), export of the CANDIDATURE list with its filters."""

import datetime
import io
import re
import time

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.domain import statuts
from app.extensions import db
from app.models import Candidature, Etablissement, FichierExport, Organisme, Utilisateur
from tests.conftest import demo, page_text

STATS_LOGINS = [
    "certifpro",
    "certif.idf",
    "branche.commerce",
    "reseau.admin",
    "org.admin",
    "reseau2.admin",
    "org2.admin",
]
NO_STATS_LOGINS = ["jury.idf", "reseau.superviseur", "org.user", "etab.admin", "etab.user", "etab2.user"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def files_of(app):
    def read(login):
        with app.app_context():
            return expected_files(login)

    return read


def expected_files(login):
    """The files a demo user's stats cover, counted straight from the tables (not through the perimeter
    module): network → its organisations' files, organisation → its files, certifier → files sent to it."""
    user = demo(Utilisateur, username=login)
    query = select(Candidature.numero_dossier, Candidature.statut)
    if user.reseau_id:
        query = query.join(Organisme, Organisme.id == Candidature.organisme_id).where(
            Organisme.reseau_id == user.reseau_id
        )
    elif user.organisme_id:
        query = query.where(Candidature.organisme_id == user.organisme_id)
    elif user.certificateur_id and user.profil != "Administrateur Certif Pro":
        query = query.where(
            Candidature.certificateur_id == user.certificateur_id, Candidature.statut.in_(statuts.CHEZ_CERTIFICATEUR)
        )
    return dict(db.session.execute(query).all())


def expected_counters(files: dict) -> dict:
    values = list(files.values())
    certificats = values.count(statuts.CERTIFIEE)
    non_certifies = values.count(statuts.NON_CERTIFIEE)
    abandonnes = values.count(statuts.ABANDONNEE)
    return {
        "dossiers": len(values),
        "certificats": certificats,
        "non_certifies": non_certifies,
        "abandonnes": abandonnes,
        "en_cours": len(values) - certificats - non_certifies - abandonnes,
    }


def shown_counters(response) -> dict:
    html = response.get_data(as_text=True)
    return {key: int(value) for key, value in re.findall(r'id="stat-(\w+)">(\d+)<', html)}


def sheet_rows(data: bytes, title: str):
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    return [list(row) for row in workbook[title].iter_rows(values_only=True)]


@pytest.mark.parametrize("login", STATS_LOGINS)
def test_counters_equal_direct_counts_in_page_and_api(app, files_of, as_user, api, login):
    expected = expected_counters(files_of(login))
    page = as_user(login).get("/stats/")
    assert page.status_code == 200
    assert "Date de génération des statistiques" in page_text(page)
    assert shown_counters(page) == expected
    body = api(login).get("/api/v1/stats/").get_json()
    assert {k: body[k] for k in expected} == expected
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", body["generated_at"])
    assert sum(body["par_statut"].values()) == expected["dossiers"]


def test_demo_perimeters_are_not_empty_nor_all_alike(files_of):
    # Guards the test above: the demo gives each profile something different to count.
    counts = {login: expected_counters(files_of(login))["dossiers"] for login in STATS_LOGINS}
    assert all(counts[login] > 0 for login in ("certifpro", "certif.idf", "reseau.admin", "reseau2.admin"))
    assert counts["certifpro"] > counts["reseau.admin"] > 0
    assert counts["certif.idf"] < counts["certifpro"]
    assert expected_counters(files_of("certifpro"))["certificats"] > 0


@pytest.mark.parametrize("login", NO_STATS_LOGINS)
def test_profiles_without_stats_see_no_tab_and_get_403(app, files_of, as_user, api, login):
    client = as_user(login)
    home = client.get("/").get_data(as_text=True)
    assert 'href="/stats/"' not in home
    assert client.get("/stats/").status_code == 403
    assert api(login).get("/api/v1/stats/").status_code == 403
    assert api(login).get("/api/v1/stats/export").status_code == 403
    response = client.post("/stats/exporter", data={"type": "dossiers"})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count(FichierExport.id))) == 0


def test_stats_tab_in_navbar_and_charts(app, files_of, as_user):
    page = as_user("reseau.admin").get("/")
    assert 'href="/stats/"' in page.get_data(as_text=True)
    html = as_user("reseau.admin").get("/stats/").get_data(as_text=True)
    text = page_text(as_user("reseau.admin").get("/stats/"))
    for title in (
        "Statistiques générales",
        "Inscriptions et certifications par mois",
        "Répartition par statut",
        "Par établissement",
        "Télécharger l'ensemble des statistiques",
        "Télécharger les statistiques des dossiers",
    ):
        assert title in text
    assert html.count("<rect") >= 24  # two bars a month over 12 months
    with app.app_context():
        etablissement = db.session.get(Etablissement, demo(Utilisateur, username="etab.admin").etablissement_id)
        shown = f"{etablissement.nom} {etablissement.organisme.nom} — {etablissement.region}"
    assert shown in text


def test_period_filters_counts_and_bad_dates_get_french_messages(app, files_of, as_user, api):
    everything = api("certifpro").get("/api/v1/stats/").get_json()
    future = api("certifpro").get(f"/api/v1/stats/?du={datetime.date.today().year + 1}-12-31").get_json()
    assert future["dossiers"] == 0 and everything["dossiers"] > 0
    for query, field, message in (
        ("du=2026-13-45", "du", "Date invalide"),
        ("au=abc", "au", "Date invalide"),
        ("du=1850-01-01", "du", "Date hors limites"),
        ("du=2026-05-01&au=2026-04-01", "au", "postérieure"),
        ("du=" + "9" * 5000, "du", "Date invalide"),
    ):
        response = api("certifpro").get(f"/api/v1/stats/?{query}")
        assert response.status_code == 422, query
        assert message in response.get_json()["message"][field][0]
        assert api("certifpro").get(f"/api/v1/stats/export_dossiers?{query}").status_code == 422
        page = as_user("certifpro").get(f"/stats/?{query.replace('-', '-')}")
        assert page.status_code == 200 and message in page_text(page)
    page = as_user("certifpro").get(f"/stats/?du=31/12/{datetime.date.today().year + 1}")
    assert shown_counters(page)["dossiers"] == 0


def test_api_export_dossiers_holds_exactly_the_perimeter_without_identity(app, files_of, api):
    for login in ("reseau.admin", "certif.idf", "org2.admin"):
        response = api(login).get("/api/v1/stats/export_dossiers")
        assert response.status_code == 200 and response.mimetype == XLSX, (login, response.data)
        assert "attachment" in response.headers["Content-Disposition"]
        rows = sheet_rows(response.data, "Dossiers")
        assert rows[0][:6] == [
            "Numéro de dossier",
            "Certification",
            "Organisme",
            "Etablissement d'évaluation",
            "Région",
            "Statut de la candidature",
        ]
        expected = files_of(login)
        assert {row[0]: row[5] for row in rows[1:]} == {n: statuts.label(s) for n, s in expected.items()}
        with app.app_context():
            names = set(db.session.execute(select(Candidature.nom_naissance)).scalars())
        assert not names & {value for row in rows for value in row if isinstance(value, str)}


def test_api_export_of_all_stats_has_one_sheet_per_breakdown(app, files_of, api):
    response = api("org.admin").get("/api/v1/stats/export")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data), read_only=True)
    assert workbook.sheetnames == ["Synthèse", "Par mois", "Par statut", "Par établissement"]
    synthese = {row[0]: row[1] for row in workbook["Synthèse"].iter_rows(values_only=True)}
    expected = expected_counters(files_of("org.admin"))
    assert synthese["Dossiers de candidature"] == expected["dossiers"]
    assert synthese["Certificats délivrés"] == expected["certificats"]
    assert synthese["Dossiers en cours"] == expected["en_cours"]
    par_statut = {row[0]: row[1] for row in list(workbook["Par statut"].iter_rows(values_only=True))[1:]}
    assert sum(par_statut.values()) == expected["dossiers"]
    assert set(par_statut) == set(statuts.LABELS.values())


def wait_until_ready(client, location, timeout=60):
    """The export page: « en préparation » (refreshing itself) until the background task has run, then ready."""
    from app import tasks

    page = client.get(location)
    assert page.status_code == 200 and 'http-equiv="refresh"' in page.get_data(as_text=True)
    assert "Préparation en cours" in page_text(page)
    tasks.run_pending()
    deadline = time.time() + timeout
    while time.time() < deadline:
        page = client.get(location)
        assert page.status_code == 200
        text = page_text(page)
        if "Votre fichier est prêt" in text or "n'a pas pu être préparé" in text:
            return page
        assert 'http-equiv="refresh"' in page.get_data(as_text=True)
        time.sleep(0.2)
    raise AssertionError("export not ready in time")


@pytest.mark.committing  # exports.preparer records its progress through connections of its own
def test_ui_export_is_prepared_in_background_then_downloaded_by_its_owner_only(app, files_of, as_user):
    client = as_user("reseau.admin")
    response = client.post("/stats/exporter", data={"type": "dossiers"})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert re.search(r"/exports/\d+$", location)
    page = wait_until_ready(client, location)
    assert "Votre fichier est prêt" in page_text(page)
    job_id = int(location.rsplit("/", 1)[1])
    download = client.get(f"/exports/{job_id}/fichier")
    assert download.status_code == 200 and download.mimetype == XLSX
    rows = sheet_rows(download.data, "Dossiers")
    assert {row[0] for row in rows[1:]} == set(files_of("reseau.admin"))
    # Another user, even Certif Pro, does not reach someone else's export.
    for other in ("reseau2.admin", "certifpro"):
        assert as_user(other).get(location).status_code == 404
        assert as_user(other).get(f"/exports/{job_id}/fichier").status_code == 404
    assert client.get("/exports/abc").status_code == 404
    assert "Statistiques des dossiers" in page_text(client.get("/stats/"))  # « Mes derniers exports »


def test_ui_export_with_bad_type_or_dates_is_refused_in_french(app, files_of, as_user):
    client = as_user("certifpro")
    response = client.post("/stats/exporter", data={"type": "tout"}, follow_redirects=True)
    assert "Type d'export inconnu." in page_text(response)
    response = client.post("/stats/exporter", data={"type": "dossiers", "du": "2026-99-99"}, follow_redirects=True)
    assert "Date invalide" in page_text(response)


@pytest.mark.committing  # exports.preparer records its progress through connections of its own
def test_candidature_list_export_keeps_the_list_filters(app, files_of, as_user, api):
    client = as_user("reseau.admin")
    listed = client.get("/candidatures/list/?_flt_0_statut=attente_jury")
    assert "Exporter la liste (.xlsx)" in page_text(listed)
    assert 'value="_flt_0_statut=attente_jury"' in listed.get_data(as_text=True)
    response = client.post("/candidatures/exporter", data={"filtres": "_flt_0_statut=attente_jury"})
    page = wait_until_ready(client, response.headers["Location"])
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert "Votre fichier est prêt" in page_text(page)
    rows = sheet_rows(client.get(f"/exports/{job_id}/fichier").data, "Candidatures")
    assert rows[0][:5] == ["Numéro de dossier", "Nom de naissance", "Nom d'usage", "Prénom", "Date de naissance"]
    expected = {n for n, s in files_of("reseau.admin").items() if s == statuts.ATTENTE_JURY}
    assert expected and {row[0] for row in rows[1:]} == expected
    assert {row[7] for row in rows[1:]} == {"En attente de jury"}
    # The same through the API's rison filters; without filters, the whole perimeter.
    q = "(filters:!((col:statut,opr:eq,value:attente_jury)))"
    rows = sheet_rows(api("reseau.admin").get(f"/api/v1/candidature/export?q={q}").data, "Candidatures")
    assert {row[0] for row in rows[1:]} == expected
    rows = sheet_rows(api("reseau.admin").get("/api/v1/candidature/export").data, "Candidatures")
    assert {row[0] for row in rows[1:]} == set(files_of("reseau.admin"))
    # A user without STATS (Utilisateur organisme) still exports their list.
    assert api("org.user").get("/api/v1/candidature/export").status_code == 200


@pytest.mark.committing  # exports.preparer records its progress through connections of its own
def test_candidature_export_bad_filters_answer_in_french(app, files_of, api, as_user):
    client = api("certifpro")
    response = client.get("/api/v1/candidature/export?q=(filters:!((col:email,opr:eq,value:x)))")
    assert response.status_code == 422
    assert "Filtre impossible sur la colonne « email »." in str(response.get_json()["message"])
    response = client.get("/api/v1/candidature/export?q=(filters:!((col:statut,opr:zz,value:x)))")
    assert response.status_code == 422 and "impossible" in str(response.get_json()["message"])
    for q in ("((((", "(filters:3)", "(filters:!(1,2))"):
        response = client.get(f"/api/v1/candidature/export?q={q}")
        assert response.status_code == 400 and "invalide" in response.get_json()["message"]
    # A value that is not a date: never a 500. Today the filter is left out, on SQLite and on PostgreSQL alike.
    response = client.get("/api/v1/candidature/export?q=(filters:!((col:date_naissance,opr:gt,value:abc)))")
    assert response.status_code == 200
    # Unknown list filters from the page are ignored, as the list itself ignores them.
    page = as_user("certifpro").post("/candidatures/exporter", data={"filtres": "_flt_0_inconnu=x&zzz=1"})
    assert page.status_code == 302 and "/exports/" in page.headers["Location"]


def test_huge_page_sizes_and_unknown_list_filters_never_500(api):
    client = api("certifpro")
    response = client.get("/api/v1/candidature/?q=(page_size:100000000)")
    assert response.status_code == 200
    assert len(response.get_json()["ids"]) <= 100
    response = client.get("/api/v1/candidature/?q=(filters:!((col:inconnu,opr:eq,value:1)))")
    assert response.status_code == 400 and "inconnu" in response.get_json()["message"]


@pytest.mark.committing  # exports.preparer records its progress through connections of its own
def test_cli_prepares_waiting_exports_resumes_stuck_ones_and_daily_purges_old_ones(app):
    from app.models.base import utcnow

    with app.app_context():
        reseau = demo(Utilisateur, username="reseau.admin")
        now = utcnow()
        waiting = FichierExport(user_id=reseau.id, type="dossiers", parametres="{}", nom_fichier="a.xlsx")
        stuck = FichierExport(
            user_id=reseau.id,
            type="dossiers",
            parametres="{}",
            nom_fichier="b.xlsx",
            statut=FichierExport.EN_COURS,
            created_at=now - datetime.timedelta(hours=3),
        )
        old = FichierExport(
            user_id=reseau.id,
            type="dossiers",
            parametres="{}",
            nom_fichier="c.xlsx",
            statut=FichierExport.PRET,
            created_at=now - datetime.timedelta(days=8),
        )
        db.session.add_all([waiting, stuck, old])
        db.session.commit()
        ids = waiting.id, stuck.id, old.id
    result = app.test_cli_runner().invoke(args=["clea", "exports"])
    # The one waiting, and the one whose worker died (no heartbeat for 3 hours), prepared again from the start.
    assert result.exit_code == 0 and "2 export(s) préparé(s)." in result.output
    result = app.test_cli_runner().invoke(args=["clea", "daily"])
    assert result.exit_code == 0 and "export(s) de plus de 7 jours supprimé(s)." in result.output
    with app.app_context():
        assert db.session.get(FichierExport, ids[0]).statut == FichierExport.PRET
        assert db.session.get(FichierExport, ids[1]).statut == FichierExport.PRET
        assert db.session.get(FichierExport, ids[2]) is None


@pytest.mark.committing  # exports.preparer records its progress through connections of its own
def test_an_export_whose_requester_lost_the_right_fails_with_a_french_message(app, as_user):
    from flask_appbuilder.security.sqla.models import Role

    with app.app_context():
        user = demo(Utilisateur, username="org.admin")
        job = FichierExport(user_id=user.id, type="dossiers", parametres="{}", nom_fichier="d.xlsx")
        db.session.add(job)
        user.roles = [db.session.execute(select(Role).filter_by(name="Utilisateur organisme")).scalar_one()]
        db.session.commit()
        job_id = job.id
        from app.domain.errors import Forbidden
        from app.services import exports

        with pytest.raises(Forbidden) as refused:
            exports.preparer(job_id)
        assert refused.value.message == "Votre profil ne permet pas cet export."
        db.session.expire_all()
        assert db.session.get(FichierExport, job_id).statut == FichierExport.ECHEC
    page = as_user("org.admin").get(f"/exports/{job_id}")
    assert "L'export n'a pas pu être préparé : Votre profil ne permet pas cet export." in page_text(page)
    assert as_user("org.admin").get(f"/exports/{job_id}/fichier").status_code == 404


def test_nothing_of_stats_or_exports_without_login(client):
    assert client.get("/stats/").status_code == 302
    response = client.get("/exports/1")
    assert response.status_code == 302 and "/login/" in response.headers["Location"]
    assert client.get("/exports/1/fichier").status_code == 302
    assert client.post("/stats/exporter", data={"type": "dossiers"}).status_code == 302
    for url in ("/api/v1/stats/", "/api/v1/stats/export", "/api/v1/candidature/export"):
        response = client.get(url)
        assert response.status_code == 401 and response.get_json()["message"] == "Authentification requise."


def test_openapi_document_describes_the_new_endpoints(api):
    paths = api("certifpro").get("/api/v1/_openapi").get_json()["paths"]
    for path in (
        "/api/v1/stats/",
        "/api/v1/stats/export",
        "/api/v1/stats/export_dossiers",
        "/api/v1/candidature/export",
        "/api/v1/redevances/",
        "/api/v1/redevances/export",
        "/api/v1/actualite/",
    ):
        assert "get" in paths[path], path
