"""Actualités (domain.md §7): Certif Pro writes the news; every profile reads those in force on its dashboard and
through the API `actualite`."""

import datetime
import html as html_lib
import re

import pytest
from flask import Response
from sqlalchemy import delete, select

from app.extensions import db
from app.models import Utilisateur
from app.models.actualites import Actualite
from app.services.actualites import actualites_du_jour
from tests.conftest import demo, page_text
from tests.test_french import english_in
from tests.test_smoke import DEMO_LOGINS

TODAY = datetime.date.today()
DAY = datetime.timedelta(days=1)
EVERY_PROFILE = DEMO_LOGINS + ["jury.idf", "branche.commerce"]
NO_NEWS = "Aucune actualité pour l'instant."


@pytest.fixture
def no_news(app):
    """A test that counts news starts from none (the demo data holds two)."""
    with app.app_context():
        db.session.execute(delete(Actualite))
        db.session.commit()
    yield


def add(titre, contenu="Contenu de l'actualité.", publication=TODAY, fin=None, publiee=True) -> int:
    row = Actualite(titre=titre, contenu=contenu, date_publication=publication, date_fin=fin, publiee=publiee)
    db.session.add(row)
    db.session.commit()
    return row.id


def news_panel(response) -> str:
    """The text of the dashboard's « Actualités » panel."""
    html = response.get_data(as_text=True)
    found = re.search(r'<div class="panel panel-default clea-actualites">(.*?)</ul>', html, re.S)
    assert found, "pas de panneau « Actualités » sur le tableau de bord"
    return page_text(Response(found.group(1)))


def form(**values):
    data = {
        "titre": "Nouvelle session de formation des évaluateurs",
        "contenu": "Les inscriptions sont ouvertes.\nRendez-vous sur le site de Certif Pro.",
        "date_publication": TODAY.isoformat(),
        "date_fin": "",
        "publiee": "y",
    }
    data.update(values)
    return data


def test_certif_pro_publishes_through_the_form_and_every_profile_sees_it(app, as_user):
    certifpro = as_user("certifpro")
    page = certifpro.get("/actualites/add")
    assert page.status_code == 200
    text = html_lib.unescape(page_text(page))
    assert "Titre *" in text and "Contenu *" in text and "Date de publication *" in text
    assert "Fin d'affichage" in text and "Publiée" in text
    assert f'value="{TODAY.isoformat()}"' in page.get_data(as_text=True)  # today by default
    assert english_in(page) == []
    saved = certifpro.post("/actualites/add", data=form())
    assert saved.status_code == 302
    with app.app_context():
        row = demo(Actualite, titre="Nouvelle session de formation des évaluateurs")
        assert row.auteur_id == demo(Utilisateur, username="certifpro").id and row.publiee
    listed = page_text(certifpro.get("/actualites/list/"))
    assert "Nouvelle session de formation des évaluateurs" in listed and TODAY.strftime("%d/%m/%Y") in listed
    for username in EVERY_PROFILE:
        panel = news_panel(as_user(username).get("/"))
        assert f"{TODAY:%d/%m/%Y} — Nouvelle session de formation des évaluateurs" in panel, username
        assert "Les inscriptions sont ouvertes." in panel


def test_line_breaks_are_kept_and_content_is_escaped(app, as_user):
    with app.app_context():
        add("<b>Titre</b> piégé", contenu="Ligne 1\nLigne 2 <script>alert('x')</script>")
    html = as_user("etab.user").get("/").get_data(as_text=True)
    assert "<script>alert" not in html and "<b>Titre</b>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html and "&lt;b&gt;Titre&lt;/b&gt; piégé" in html
    assert re.search(r'<div class="clea-actualite-contenu" style="white-space: pre-line">Ligne 1\nLigne 2 ', html)


def test_only_the_news_in_force_are_shown_latest_first_five_at_most(app, as_user, api_as, no_news):
    with app.app_context():
        shown = [
            add("Fin aujourd'hui", publication=TODAY - 3 * DAY, fin=TODAY),
            add("Sans fin", publication=TODAY - 2 * DAY),
            add("Publiée aujourd'hui", publication=TODAY),
        ]
        add("Non publiée", publiee=False)
        add("Future", publication=TODAY + DAY)
        add("Expirée", publication=TODAY - 10 * DAY, fin=TODAY - DAY)
        assert [a.titre for a in actualites_du_jour()] == ["Publiée aujourd'hui", "Sans fin", "Fin aujourd'hui"]
    for username in ("certifpro", "certif.idf", "jury.idf", "reseau.admin", "org.user", "etab2.user"):
        panel = news_panel(as_user(username).get("/"))
        assert panel.index("Publiée aujourd'hui") < panel.index("Sans fin") < panel.index("Fin aujourd'hui")
        for hidden in ("Non publiée", "Future", "Expirée"):
            assert hidden not in panel, (username, hidden)
    listed = api_as("org.admin").get("/api/v1/actualite/")
    assert listed.status_code == 200
    body = listed.get_json()
    assert body["count"] == 3 and [r["id"] for r in body["result"]] == list(reversed(shown))
    first = body["result"][0]
    assert set(first) >= {"id", "titre", "contenu", "date_publication", "date_fin"}
    assert first["date_publication"] == TODAY.isoformat() and first["date_fin"] is None
    with app.app_context():
        for n in range(5):
            add(f"Actualité n°{n}", publication=TODAY - (20 + n) * DAY)
        assert len(actualites_du_jour()) == 5 and len(actualites_du_jour(limite=None)) == 8
    panel = news_panel(as_user("org.admin").get("/"))
    assert "Actualité n°1" in panel and "Actualité n°2" not in panel  # 3 + 2 of the older ones


def test_an_item_out_of_force_is_not_readable_through_the_api(app, api_as, no_news):
    with app.app_context():
        hidden = add("Non publiée", publiee=False)
        future = add("Future", publication=TODAY + DAY)
        visible = add("Visible")
    reader = api_as("etab.user")
    assert reader.get(f"/api/v1/actualite/{visible}").status_code == 200
    assert reader.get(f"/api/v1/actualite/{hidden}").status_code == 404
    assert reader.get(f"/api/v1/actualite/{future}").status_code == 404
    # The writer sees them all, to correct them before they are shown.
    assert api_as("certifpro").get("/api/v1/actualite/").get_json()["count"] == 3


def test_no_news_says_so(as_user, no_news):
    assert news_panel(as_user("org.user").get("/")) == f"Actualités {NO_NEWS}"


def test_only_certif_pro_sees_the_management_link(as_user):
    assert "Gérer les actualités" in page_text(as_user("certifpro").get("/"))
    admin = page_text(as_user("certifpro").get("/administration/"))
    assert "Actualités" in admin
    for username in ("org.admin", "certif.idf", "reseau.admin"):
        assert "Gérer les actualités" not in page_text(as_user(username).get("/"))


@pytest.mark.parametrize("username", ["org.admin", "certif.idf", "reseau.admin", "jury.idf"])
def test_other_profiles_cannot_write(app, as_user, api_as, username):
    with app.app_context():
        pk = add("Actualité existante")
    client = as_user(username)
    for path in ("/actualites/add", "/actualites/list/", f"/actualites/edit/{pk}"):
        assert client.get(path).status_code == 403, path
    assert client.post("/actualites/add", data=form(titre="Pirate")).status_code == 403
    assert client.post(f"/actualites/delete/{pk}").status_code == 403
    api = api_as(username)
    for response in (
        api.post("/api/v1/actualite/", json={"titre": "Pirate", "contenu": "x", "date_publication": TODAY.isoformat()}),
        api.put(f"/api/v1/actualite/{pk}", json={"titre": "Pirate"}),
        api.delete(f"/api/v1/actualite/{pk}"),
    ):
        assert response.status_code == 403
        assert response.get_json()["message"] == "Vous n'avez pas les droits nécessaires pour cette action."
    with app.app_context():
        assert db.session.get(Actualite, pk).titre == "Actualité existante"
        assert db.session.execute(select(Actualite).where(Actualite.titre == "Pirate")).first() is None


def test_end_before_publication_is_refused_in_french(app, as_user, api_as):
    refused = as_user("certifpro").post(
        "/actualites/add",
        data=form(titre="Dates inversées", date_publication=TODAY.isoformat(), date_fin=(TODAY - DAY).isoformat()),
    )
    assert refused.status_code == 200
    html = refused.get_data(as_text=True)
    # The message next to the field, the input kept.
    field = html[html.index('name="date_fin"') :]
    assert "La fin d'affichage ne peut pas précéder la date de publication." in html_lib.unescape(field[:800])
    assert 'value="Dates inversées"' in html
    api = api_as("certifpro")
    response = api.post(
        "/api/v1/actualite/",
        json={
            "titre": "Dates inversées",
            "contenu": "x",
            "date_publication": TODAY.isoformat(),
            "date_fin": (TODAY - DAY).isoformat(),
        },
    )
    assert response.status_code == 422
    assert response.get_json()["message"] == {
        "date_fin": ["La fin d'affichage ne peut pas précéder la date de publication."]
    }
    blank = api.post("/api/v1/actualite/", json={"titre": "   ", "contenu": "x", "date_publication": "demain"})
    assert blank.status_code == 422
    assert blank.get_json()["message"]["date_publication"] == ["Date invalide (format AAAA-MM-JJ attendu)."]
    empty_title = as_user("certifpro").post("/actualites/add", data=form(titre="   "))
    assert empty_title.status_code == 200 and "Ce champ est obligatoire." in page_text(empty_title)
    with app.app_context():
        assert db.session.execute(select(Actualite).where(Actualite.titre == "Dates inversées")).first() is None


def test_certif_pro_writes_through_the_api_and_deletes_through_the_ui(app, api_as, as_user):
    api = api_as("certifpro")
    created = api.post(
        "/api/v1/actualite/", json={"titre": "  Par l'API ", "contenu": "Texte", "date_publication": TODAY.isoformat()}
    )
    assert created.status_code == 201, created.get_json()
    pk = created.get_json()["id"]
    assert created.get_json()["result"]["titre"] == "Par l'API"
    changed = api.put(f"/api/v1/actualite/{pk}", json={"date_fin": (TODAY - DAY).isoformat()})
    assert changed.status_code == 422  # still refused on an edit
    changed = api.put(f"/api/v1/actualite/{pk}", json={"date_fin": (TODAY + 7 * DAY).isoformat()})
    assert changed.status_code == 200 and changed.get_json()["result"]["date_fin"] == (TODAY + 7 * DAY).isoformat()
    with app.app_context():
        assert db.session.get(Actualite, pk).auteur_id == demo(Utilisateur, username="certifpro").id
    edited = as_user("certifpro").post(f"/actualites/edit/{pk}", data=form(titre="Par l'API, corrigée"))
    assert edited.status_code == 302
    assert "Par l'API, corrigée" in news_panel(as_user("etab.admin").get("/"))
    deleted = as_user("certifpro").post(f"/actualites/delete/{pk}")
    assert deleted.status_code == 302
    with app.app_context():
        assert db.session.get(Actualite, pk) is None


def test_demo_news_one_in_force_one_past(app, as_user):
    from app.demo import load_demo

    with app.app_context():
        rows = db.session.execute(select(Actualite)).scalars().all()
        titles = {a.titre: a for a in rows}
        assert "Bienvenue sur la nouvelle Plateforme CléA" in titles and "Maintenance de la plateforme" in titles
        assert titles["Maintenance de la plateforme"].date_fin < TODAY
        assert load_demo() == 0  # idempotent: the demo data are loaded already
        assert len(db.session.execute(select(Actualite)).scalars().all()) == len(rows)
    panel = news_panel(as_user("reseau2.admin").get("/"))
    assert "Bienvenue sur la nouvelle Plateforme CléA" in panel and "Maintenance de la plateforme" not in panel


def test_management_pages_are_in_french(app, as_user):
    with app.app_context():
        pk = add("Page en français")
    client = as_user("certifpro")
    for path in ("/actualites/list/", "/actualites/add", f"/actualites/edit/{pk}", f"/actualites/show/{pk}"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert english_in(response) == [], path
