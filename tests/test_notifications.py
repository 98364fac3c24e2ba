"""Notifications (domain.md §9, guide §21): the bell of every page, the NOTIFICATIONS page (filters, eye, arrow,
« Tout sélectionner » + « Marquer comme lu ») and the API resource `notification`; each user sees only theirs."""

import datetime
import html as html_lib
import re

import pytest
from flask import Response
from sqlalchemy import delete, event, select

from app.domain import access
from app.extensions import db
from app.models import Candidature, Notification, Utilisateur
from app.services import notifications as service
from tests.conftest import demo, page_text
from tests.test_french import english_in

BASE = datetime.datetime(2026, 3, 9, 8, 5)
BELL = re.compile(r'<li class="dropdown clea-bell">(.*?)</ul>\s*</li>', re.S)


@pytest.fixture(autouse=True)
def no_notifications(app):
    """Each test starts from users without notifications (the demo data raises none)."""
    with app.app_context():
        db.session.execute(delete(Notification))
        db.session.commit()
    yield


def add(
    app,
    username,
    titre="Une demande vient d'être créée",
    rubrique="Dossier de candidature",
    contenu="Le dossier a changé.",
    lien=None,
    lue=False,
    minutes=0,
) -> int:
    """A notification of `username`, received `minutes` after BASE."""
    with app.app_context():
        user = demo(Utilisateur, username=username)
        row = Notification(
            user_id=user.id,
            rubrique=rubrique,
            titre=titre,
            contenu=contenu,
            lien=lien,
            lue=lue,
            created_at=BASE + datetime.timedelta(minutes=minutes),
        )
        db.session.add(row)
        db.session.commit()
        return row.id


def is_read(app, pk) -> bool:
    with app.app_context():
        return db.session.get(Notification, pk).lue


def bell(response):
    """The bell of the navbar: (badge count or 0, its pop-up as text, its pop-up HTML)."""
    html = response.get_data(as_text=True)
    found = BELL.search(html)
    assert found, "pas de cloche dans la barre de navigation"
    assert "fa fa-bell" in found.group(1)
    badge = re.search(r'<span class="badge clea-badge">(\d+)</span>', found.group(1))
    popup = page_text(Response(found.group(1)))
    return (int(badge.group(1)) if badge else 0), popup, found.group(1)


def rows_of(response) -> list[str]:
    """The titles of the notifications listed on the NOTIFICATIONS page, in order."""
    html = response.get_data(as_text=True)
    table = html.split('<table class="table table-bordered table-hover clea-notifications">', 1)[1]
    return [html_lib.unescape(t).strip() for t in re.findall(r'<td class="clea-titre">([^<]*)</td>', table)]


# --- The event raises the notification; the bell rings ---------------------------------------------------------


def test_sending_a_file_to_certification_notifies_the_certifier_and_rings_the_bell(app, as_user, api_as):
    with app.app_context():
        candidature = demo(Candidature, numero_dossier="2026000003")  # A1-1, Île-de-France, « À envoyer … »
        pk = candidature.id
        certif, jury = demo(Utilisateur, username="certif.idf"), demo(Utilisateur, username="jury.idf")
        assert jury.certificateur_id == certif.certificateur_id  # the demo's jury member of Transitions Pro IDF
    certifier = as_user("certif.idf")
    before, popup, _ = bell(certifier.get("/"))
    assert before == 0 and "Aucune notification non lue" in popup

    sent = api_as("org.admin").post(f"/api/v1/candidature/{pk}/envoyer_certification")
    assert sent.status_code == 200, sent.get_json()

    with app.app_context():
        rows = db.session.execute(select(Notification).where(Notification.user_id == certif.id)).scalars().all()
        assert [(n.rubrique, n.lue, n.lien) for n in rows] == [
            ("Envoi en certification", False, f"/candidatures/show/{pk}")
        ]
        notification_id = rows[0].id
        jury_rows = (
            db.session.execute(select(Notification.rubrique).where(Notification.user_id == jury.id)).scalars().all()
        )
        assert jury_rows == ["Envoi en certification"]
        org_admin = demo(Utilisateur, username="org.admin")
        assert db.session.execute(select(Notification).where(Notification.user_id == org_admin.id)).first() is None

    count, popup, html = bell(certifier.get("/"))
    assert count == before + 1
    assert "1 notification non lue" in popup and "Nouveau dossier envoyé en certification" in popup
    assert "Voir toutes les notifications" in popup
    assert f'href="/notifications/{notification_id}/ouvrir" class="clea-non-lue" style="font-weight: bold"' in html
    assert re.search(r"\b\d{2}/\d{2}/\d{4} \d{2}:\d{2}\b", popup)
    assert bell(as_user("jury.idf").get("/"))[0] == 1

    # The certifier follows the bell's link: the file opens, the notification is read, the bell is quiet.
    opened = certifier.get(f"/notifications/{notification_id}/ouvrir")
    assert opened.status_code == 302 and opened.headers["Location"] == f"/candidatures/show/{pk}"
    page = certifier.get(opened.headers["Location"])
    assert page.status_code == 200 and "En attente de jury" in page_text(page)
    assert bell(page)[0] == 0 and is_read(app, notification_id)


def test_bell_lists_the_five_latest_unread_in_bold_on_every_page(app, as_user):
    for minute in range(7):
        add(app, "etab.user", titre=f"Notification numéro {minute}", lue=minute in (5, 1), minutes=minute)
    add(app, "org.user", titre="Notification d'un autre utilisateur", minutes=60)
    client = as_user("etab.user")
    for path in ("/", "/aide/", "/mon-profil/", "/notifications/"):
        count, popup, html = bell(client.get(path))
        assert count == 5, path
        assert "5 notifications non lues" in popup
    titles = re.findall(r"Notification numéro (\d)", popup)
    assert titles == ["6", "5", "4", "3", "2"]  # newest first, read or not
    assert "autre utilisateur" not in popup
    assert "09/03/2026 08:11" in popup  # jj/mm/aaaa HH:MM
    bold = re.findall(r'class="clea-non-lue"[^>]*><span class="clea-bell-titre">Notification numéro (\d)', html)
    assert bold == ["6", "4", "3", "2"]  # numéro 5 is read: not bold


def test_no_badge_when_everything_is_read(app, as_user):
    add(app, "org.user", lue=True)
    count, popup, html = bell(as_user("org.user").get("/"))
    assert count == 0 and "badge" not in html and "Aucune notification non lue" in popup


def test_the_bell_costs_one_limited_query_per_request(app):
    """≈10 million notifications: the bell reads an index, in one statement (its unread count beside the newest
    rows), once per request, however many templates ask."""
    from flask import g

    from app.web import notifications_menu

    for minute in range(8):
        add(app, "org.user", minutes=minute, lue=minute % 2 == 0)
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.test_request_context():
        g.user = demo(Utilisateur, username="org.user")
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            first = notifications_menu()
            second = notifications_menu()
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
    assert first is second and first["count"] == 4 and len(first["latest"]) == 5
    assert [n.created_at for n in first["latest"]] == sorted((n.created_at for n in first["latest"]), reverse=True)
    notification_queries = [s for s in statements if "notification" in s.lower()]
    assert len(notification_queries) == 1, statements
    assert "user_id" in notification_queries[0]
    assert "count(" in notification_queries[0].lower() and "LIMIT" in notification_queries[0].upper()


def test_the_bell_counts_every_unread_notification_not_only_those_it_shows(app):
    from app.services.notifications import bell

    with app.test_request_context():
        assert bell(demo(Utilisateur, username="org.user")) == (0, [])  # none at all: none unread
    for minute in range(9):
        add(app, "org.user", minutes=minute, lue=minute == 0)
    with app.test_request_context():
        count, latest = bell(demo(Utilisateur, username="org.user"))
    assert count == 8 and len(latest) == 5


# --- The NOTIFICATIONS page ------------------------------------------------------------------------------------


def test_page_lists_my_notifications_newest_first_in_french(app, as_user):
    add(app, "org.user", titre="Demande d'habilitation acceptée", rubrique="Dossier d'habilitation", minutes=1)
    add(
        app,
        "org.user",
        titre="Une réaffectation vient d'être créée",
        rubrique="Changement de certificateur",
        minutes=3,
        lue=True,
    )
    add(
        app,
        "org.user",
        titre="Une demande de rattachement vient d'être créée",
        rubrique="Demande de rattachement",
        minutes=2,
    )
    add(app, "org.admin", titre="Pas pour org.user")
    # The page opens on the unread ones (issue 17); « Toutes » (lue=) lists the three.
    unread = as_user("org.user").get("/notifications/")
    assert "Nombre total d'élément : 2" in page_text(unread)
    assert rows_of(unread) == ["Une demande de rattachement vient d'être créée", "Demande d'habilitation acceptée"]
    assert '<option value="non" selected>' in unread.get_data(as_text=True)
    response = as_user("org.user").get("/notifications/?lue=")
    assert response.status_code == 200
    text = page_text(response)
    assert "NOTIFICATIONS" in text and "Tableau de bord Notifications" in text
    assert "Nombre total d'élément : 3" in text
    assert rows_of(response) == [
        "Une réaffectation vient d'être créée",
        "Une demande de rattachement vient d'être créée",
        "Demande d'habilitation acceptée",
    ]
    assert "Pas pour org.user" not in text and "09/03/2026 08:08" in text
    for label in (
        "Rubrique",
        "Toutes les rubriques",
        "Titre",
        "Contenu",
        "Déjà lue",
        "Filtrer",
        "Réinitialiser les filtres",
        "Tout sélectionner",
        "Marquer comme lu",
    ):
        assert label in text, label
    html = response.get_data(as_text=True)
    for rubrique in Notification.RUBRIQUES:
        assert f'<option value="{rubrique}"' in html.replace("&#39;", "'"), rubrique
    assert 'name="csrf_token"' in html and 'class="fa fa-eye"' in html and 'class="fa fa-arrow-right"' in html
    assert not english_in(response), english_in(response)


def test_page_filters_rubrique_titre_contenu_and_deja_lue(app, as_user):
    add(
        app,
        "etab.admin",
        titre="Demande d'habilitation acceptée",
        rubrique="Dossier d'habilitation",
        contenu="Sa validité : 2026-11-10",
        minutes=1,
    )
    add(
        app,
        "etab.admin",
        titre="Une réaffectation vient d'être créée",
        rubrique="Changement de certificateur",
        contenu="Le dossier est réaffecté de Nouvelle-Aquitaine vers Île-de-France",
        minutes=2,
        lue=True,
    )
    add(
        app,
        "etab.admin",
        titre="Demande de rattachement refusée",
        rubrique="Demande de rattachement",
        contenu="Motif : 100% hors secteur_a",
        minutes=3,
    )
    client = as_user("etab.admin")

    def titles(**query):
        query.setdefault("lue", "")  # « Toutes »: the page itself opens on the unread ones
        response = client.get("/notifications/", query_string=query)
        assert response.status_code == 200
        return rows_of(response)

    assert titles(rubrique="Changement de certificateur") == ["Une réaffectation vient d'être créée"]
    assert titles(titre="DEMANDE") == ["Demande de rattachement refusée", "Demande d'habilitation acceptée"]
    assert titles(contenu="nouvelle-aquitaine") == ["Une réaffectation vient d'être créée"]
    assert titles(lue="oui") == ["Une réaffectation vient d'être créée"]
    assert titles(lue="non") == ["Demande de rattachement refusée", "Demande d'habilitation acceptée"]
    assert len(titles(lue="")) == 3
    assert titles(titre="demande", lue="non", rubrique="Dossier d'habilitation") == ["Demande d'habilitation acceptée"]
    # LIKE's wildcards are plain characters; an unknown rubrique or « lue » value is ignored.
    assert titles(contenu="100%") == ["Demande de rattachement refusée"]
    assert titles(contenu="%") == ["Demande de rattachement refusée"]
    assert titles(contenu="_a") == ["Demande de rattachement refusée"]
    assert len(titles(rubrique="Inconnue", lue="peut-être")) == 3
    empty = client.get("/notifications/", query_string={"titre": "zzz"})
    assert "Nombre total d'élément : 0" in page_text(empty) and "Aucune notification." in page_text(empty)


def test_page_is_paginated_by_twenty_in_french(app, as_user):
    for minute in range(45):
        add(app, "reseau.superviseur", titre=f"Notification {minute:02d}", minutes=minute)
    client = as_user("reseau.superviseur")
    first = client.get("/notifications/")
    text = page_text(first)
    assert "Nombre total d'élément : 45" in text and "Page 1 sur 3" in text and "Suivante" in text
    assert len(rows_of(first)) == 20 and rows_of(first)[0] == "Notification 44"
    last = client.get("/notifications/?page=3")
    assert rows_of(last) == [f"Notification {m:02d}" for m in range(4, -1, -1)]
    assert "Page 3 sur 3" in page_text(last) and "Précédente" in page_text(last)
    assert rows_of(client.get("/notifications/?page=999")) == rows_of(last)
    assert rows_of(client.get("/notifications/?page=abc")) == rows_of(first)
    # Pages keep the filters.
    filtered = client.get("/notifications/?titre=Notification&page=2")
    assert 'href="/notifications/?titre=Notification&amp;lue=non&amp;page=3"' in filtered.get_data(as_text=True)


def test_eye_marks_read_and_shows_the_full_content_on_the_same_list(app, as_user):
    long_text = "Le dossier de candidature de Mme Durand est réaffecté. " * 6 + "Fin du message."
    pk = add(
        app,
        "org.user",
        titre="Une réaffectation vient d'être créée",
        contenu=long_text,
        rubrique="Changement de certificateur",
        lien="/candidatures/show/1",
    )
    client = as_user("org.user")
    listed = page_text(client.get("/notifications/"))
    assert "Fin du message." not in listed  # the list shows the beginning only
    response = client.post(
        f"/notifications/{pk}/lire", data={"rubrique": "Changement de certificateur", "lue": "non", "page": "1"}
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/notifications/?") and f"ouverte={pk}" in location and "lue=non" in location
    assert is_read(app, pk)
    shown = client.get(location)
    text = page_text(shown)
    assert "Fin du message." in text and "Accéder à la page concernée" in text
    assert "selected>Non</option>" in shown.get_data(as_text=True)  # the filters are kept
    assert bell(shown)[0] == 0


def test_arrow_goes_to_the_link_and_marks_read(app, as_user):
    with_link = add(app, "etab.user", lien="/candidatures/show/3?onglet=1#formations")
    without = add(app, "etab.user", titre="Sans lien", contenu="Rien à ouvrir.")
    client = as_user("etab.user")
    response = client.get(f"/notifications/{with_link}/ouvrir")
    assert response.status_code == 302
    assert response.headers["Location"] == "/candidatures/show/3?onglet=1#formations"
    assert is_read(app, with_link)
    response = client.get(f"/notifications/{without}/ouvrir", follow_redirects=True)
    text = page_text(response)
    assert response.request.path == "/notifications/"
    assert "Cette notification ne renvoie vers aucune page" in text and "Rien à ouvrir." in text
    assert is_read(app, without)


EXTERNAL = [
    "//evil.example",
    "https://evil.example",
    "http://evil.example/candidatures/show/1",
    "/\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "javascript:alert(1)",
    "evil.example",
    "///evil.example",
    " //evil.example",
]


@pytest.mark.parametrize("lien", EXTERNAL)
def test_an_external_link_is_never_followed(app, as_user, lien):
    pk = add(app, "org.admin", lien=lien)
    client = as_user("org.admin")
    for response in (client.get(f"/notifications/{pk}/ouvrir"), client.post(f"/notifications/{pk}/ouvrir")):
        assert response.status_code == 302
        location = response.headers["Location"]
        assert location.startswith("/notifications/?") and "evil" not in location
    assert is_read(app, pk)
    shown = page_text(client.get(f"/notifications/?ouverte={pk}"))
    assert "Accéder à la page concernée" not in shown


def test_safe_link_rule():
    assert service.safe_link("/candidatures/show/12") == "/candidatures/show/12"
    assert service.safe_link("/habilitations/show/3?x=1#a") == "/habilitations/show/3?x=1#a"
    for lien in EXTERNAL + [None, "", "/", "/a b", "/\x7f", 12]:
        expected = "/" if lien == "/" else None
        assert service.safe_link(lien) == expected, lien


def test_select_all_and_mark_as_read(app, as_user):
    mine = [add(app, "org.admin", titre=f"N{minute}", minutes=minute) for minute in range(3)]
    already = add(app, "org.admin", titre="Déjà lue", lue=True, minutes=5)
    client = as_user("org.admin")
    assert bell(client.get("/notifications/"))[0] == 3
    response = client.post(
        "/notifications/marquer-lues", data={"ids": mine + [already], "lue": "non"}, follow_redirects=True
    )
    text = page_text(response)
    assert "3 notifications marquées comme lues." in text
    assert response.request.path == "/notifications/" and "Nombre total d'élément : 0" in text  # lue=non kept
    assert all(is_read(app, pk) for pk in mine) and bell(response)[0] == 0
    again = client.post("/notifications/marquer-lues", data={"ids": [mine[0]]}, follow_redirects=True)
    assert "Les notifications sélectionnées étaient déjà lues." in page_text(again)
    nothing = client.post("/notifications/marquer-lues", data={}, follow_redirects=True)
    assert "Sélectionnez au moins une notification." in page_text(nothing)
    bad = client.post("/notifications/marquer-lues", data={"ids": ["abc"]}, follow_redirects=True)
    assert bad.status_code == 200 and "Identifiant de notification invalide." in page_text(bad)


def test_one_unread_marked_says_so(app, as_user):
    pk = add(app, "etab.admin")
    response = as_user("etab.admin").post("/notifications/marquer-lues", data={"ids": [str(pk)]}, follow_redirects=True)
    assert "1 notification marquée comme lue." in page_text(response) and is_read(app, pk)


def test_someone_elses_notification_is_404_everywhere(app, as_user, api_as):
    foreign = add(app, "org.admin", titre="Secret de org.admin", lien="/candidatures/show/1")
    own = add(app, "etab.user", titre="La mienne")
    client = as_user("etab.user")
    for response in (
        client.post(f"/notifications/{foreign}/lire"),
        client.get(f"/notifications/{foreign}/ouvrir"),
        client.post(f"/notifications/{foreign}/ouvrir"),
        client.get(f"/notifications/?ouverte={foreign}"),
        client.post("/notifications/marquer-lues", data={"ids": [own, foreign]}),
        client.post("/notifications/abc/lire"),
        client.get("/notifications/99999999999/ouvrir"),
    ):
        assert response.status_code == 404
        assert "Page introuvable" in page_text(response)
    listed = page_text(client.get("/notifications/"))
    assert "La mienne" in listed and "Secret de org.admin" not in listed
    api = api_as("etab.user")
    for response, message in (
        (api.get(f"/api/v1/notification/{foreign}"), "Élément introuvable."),
        (api.post(f"/api/v1/notification/{foreign}/lire"), "Élément introuvable."),
        (api.post("/api/v1/notification/lire", json={"ids": [own, foreign]}), "Notification introuvable."),
        (api.post("/api/v1/notification/lire", json={"ids": [99999]}), "Notification introuvable."),
    ):
        assert response.status_code == 404
        assert response.get_json()["message"] == message
    assert api.get("/api/v1/notification/").get_json()["ids"] == [own]
    assert not is_read(app, foreign) and not is_read(app, own)  # all or nothing


# --- API ----------------------------------------------------------------------------------------------------


def test_api_list_filters_count_and_mark_read(app, api_as):
    first = add(
        app, "org.user", titre="Ancienne", rubrique="Dossier d'habilitation", lien="/habilitations/show/1", minutes=1
    )
    second = add(app, "org.user", titre="Récente", rubrique="Décision du jury", minutes=2)
    read = add(app, "org.user", titre="Lue", rubrique="Décision du jury", minutes=3, lue=True)
    add(app, "org.admin", titre="Pas la mienne")
    api = api_as("org.user")
    listing = api.get("/api/v1/notification/")
    assert listing.status_code == 200
    body = listing.get_json()
    assert body["count"] == 3 and body["ids"] == [read, second, first]  # newest first
    assert set(body["result"][0]) == {"id", "rubrique", "titre", "contenu", "lien", "lue", "created_at"}
    assert body["result"][2]["lien"] == "/habilitations/show/1" and body["result"][2]["lue"] is False
    unread = api.get("/api/v1/notification/?q=(filters:!((col:lue,opr:eq,value:!f)))").get_json()
    assert unread["ids"] == [second, first]
    jury = api.get("/api/v1/notification/?q=(filters:!((col:rubrique,opr:eq,value:'Décision du jury')))")
    assert jury.get_json()["ids"] == [read, second]
    one = api.get(f"/api/v1/notification/{first}").get_json()["result"]
    assert one["titre"] == "Ancienne" and one["created_at"].startswith("2026-03-09")

    assert api.get("/api/v1/notification/non_lues").get_json() == {"count": 2}
    marked = api.post(f"/api/v1/notification/{first}/lire")
    assert marked.status_code == 200 and marked.get_json()["result"]["lue"] is True
    assert api.get("/api/v1/notification/non_lues").get_json() == {"count": 1}
    assert api.post("/api/v1/notification/lire", json={"ids": [first, second]}).get_json() == {"count": 1}
    assert api.get("/api/v1/notification/non_lues").get_json() == {"count": 0}
    again = [add(app, "org.user", minutes=10 + m) for m in range(3)]
    assert api.post("/api/v1/notification/lire", json={"toutes": True}).get_json() == {"count": 3}
    assert all(is_read(app, pk) for pk in again)
    with app.app_context():
        other = db.session.execute(select(Notification).where(Notification.titre == "Pas la mienne")).scalar_one()
        assert other.lue is False  # « toutes » means all of mine


def test_api_has_no_create_update_or_delete(app, api_as):
    pk = add(app, "org.user")
    api = api_as("org.user")
    assert api.post("/api/v1/notification/", json={"titre": "x"}).status_code == 405
    assert api.put(f"/api/v1/notification/{pk}", json={"lue": True}).status_code == 405
    assert api.delete(f"/api/v1/notification/{pk}").status_code == 405
    assert not is_read(app, pk)


@pytest.mark.parametrize(
    "body, field",
    [
        ("pas du json", "_schema"),
        ([1, 2], "_schema"),
        (None, "_schema"),
        ({}, "ids"),
        ({"ids": "1"}, "ids"),
        ({"ids": ["1"]}, "ids"),
        ({"ids": [True]}, "ids"),
        ({"ids": [1.5]}, "ids"),
        ({"ids": [None]}, "ids"),
        ({"ids": [{"id": 1}]}, "ids"),
        ({"ids": []}, "ids"),
        ({"ids": [10**30]}, "ids"),
        ({"ids": list(range(1, 1100))}, "ids"),
        ({"toutes": "oui"}, "toutes"),
        ({"toutes": 1}, "toutes"),
        ({"toutes": True, "ids": [1]}, "_schema"),
        ({"toutes": False}, "ids"),
        ({"autre": 1}, "autre"),
    ],
)
def test_api_bad_input_is_422_in_french(app, api_as, body, field):
    pk = add(app, "etab.user")
    api = api_as("etab.user")
    if isinstance(body, str) or body is None:
        response = api.post("/api/v1/notification/lire", data=body or "", content_type="application/json")
    else:
        response = api.post("/api/v1/notification/lire", json=body)
    assert response.status_code == 422, response.get_json()
    messages = response.get_json()["message"]
    assert field in messages
    message = " ".join(messages[field])
    assert re.search(r"[éèàêç]|attendu|Champ|Envoyez|Sélectionnez|Identifiant|Au plus", message), message
    assert not is_read(app, pk)


@pytest.mark.parametrize(
    "path", ["/api/v1/notification/abc", "/api/v1/notification/99999999999", "/api/v1/notification/-1"]
)
def test_api_unknown_ids_are_404(api_as, path):
    api = api_as("etab.user")
    assert api.get(path).status_code == 404
    response = api.post(path + "/lire")
    assert response.status_code == 404 and response.get_json()["message"] == "Élément introuvable."


def test_api_needs_a_login(client):
    for response in (
        client.get("/api/v1/notification/"),
        client.get("/api/v1/notification/non_lues"),
        client.post("/api/v1/notification/lire", json={"toutes": True}),
    ):
        assert response.status_code == 401 and response.get_json()["message"] == "Authentification requise."


# --- Every profile has its notifications -------------------------------------------------------------------------


def test_every_profile_has_notifications_in_the_matrix(ctx):
    from flask_appbuilder.security.sqla.models import Role

    for profile in access.PROFILES:
        role = db.session.execute(select(Role).where(Role.name == profile)).scalar_one()
        stored = {(pv.permission.name, pv.view_menu.name) for pv in role.permissions}
        assert {("can_read", "Notifications"), ("can_edit", "Notifications")} <= stored, profile


@pytest.mark.parametrize(
    "login",
    [
        "certifpro",
        "certif.idf",
        "jury.idf",
        "reseau.admin",
        "reseau.superviseur",
        "org.admin",
        "org.user",
        "etab.admin",
        "etab.user",
        "org2.admin",
    ],
)
def test_every_profile_reaches_its_notifications(app, as_user, api_as, login):
    pk = add(app, login, titre=f"Pour {login}")
    client = as_user(login)
    response = client.get("/notifications/")
    assert response.status_code == 200 and f"Pour {login}" in page_text(response)
    assert bell(client.get("/"))[0] == 1
    assert client.post(f"/notifications/{pk}/lire").status_code == 302 and is_read(app, pk)
    assert api_as(login).get("/api/v1/notification/non_lues").get_json() == {"count": 0}


def test_anonymous_sees_no_bell_and_no_page(client):
    response = client.get("/notifications/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login/")
    text = page_text(client.get("/notifications/", follow_redirects=True))
    assert text.startswith("Connexion — Plateforme CléA") and "Accès refusé." in text
    assert "clea-bell" not in client.get("/login/").get_data(as_text=True)


def test_openapi_document_and_info_describe_the_resource(api_as):
    api = api_as("etab.user")
    paths = api.get("/api/v1/_openapi").get_json()["paths"]
    assert "get" in paths["/api/v1/notification/"] and "get" in paths["/api/v1/notification/{pk}"]
    assert "post" in paths["/api/v1/notification/{pk}/lire"] and "post" in paths["/api/v1/notification/lire"]
    assert "get" in paths["/api/v1/notification/non_lues"]
    assert "post" not in paths["/api/v1/notification/"] and "put" not in paths["/api/v1/notification/{pk}"]
    info = api.get("/api/v1/notification/_info")
    assert info.status_code == 200
    listed = api.get("/api/v1/notification/").get_json()
    assert listed["list_title"] == "Notifications" and listed["label_columns"]["lue"] == "Déjà lue"


def test_a_notification_opens_the_candidate_page_on_the_tab_it_is_about(app, as_user, api_as):
    """issue 17: after a notification's arrow, the page opens on the right tab (the page's script shows the tab
    named after « # »): the jury's decision on « Décision du jury », a message on « Echanges »."""
    with app.app_context():
        decided = demo(Candidature, nom_naissance="Robin", prenom="Manon")
        waiting = demo(Candidature, nom_naissance="Gauthier", prenom="Nathan")
        pk, other = decided.id, waiting.id
        org_admin = demo(Utilisateur, username="org.admin")
    certif = api_as("certif.idf")
    assert certif.post(f"/api/v1/candidature/{pk}/decision", json={"decision": "non_certifiee"}).status_code == 200
    assert certif.post(f"/api/v1/candidature/{other}/echanges", json={"message": "Pièce manquante."}).status_code == 201
    with app.app_context():
        links = set(db.session.execute(select(Notification.lien).where(Notification.user_id == org_admin.id)).scalars())
        ids = {
            n.lien: n.id
            for n in db.session.execute(select(Notification).where(Notification.user_id == org_admin.id)).scalars()
        }
    assert f"/candidatures/show/{pk}#decision" in links and f"/candidatures/show/{other}#echanges" in links
    opened = as_user("org.admin").get(f"/notifications/{ids[f'/candidatures/show/{pk}#decision']}/ouvrir")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/candidatures/show/{pk}#decision")
