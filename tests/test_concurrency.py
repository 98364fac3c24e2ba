"""No lost update, no race (issue 11, points 5 and 6; api.md « Contract additions », quality.md « Reliability »).

5. A record that has a `version` shows it (GET, with an ETag); a PUT — or the edit form — made on an old version
   is refused (409, « Cette fiche a été modifiée par quelqu'un d'autre… ») and the other person's values are shown;
   `PUT /api/v1/candidature/<pk>` edits the file through the same service as the form. Concurrent PUTs never 500.
6. « Ajouter une évaluation » makes one draft per file under any concurrency; an edit racing a transition gets a
   clear 409; the loser of « Affecter à un jury » against « Annuler l'envoi » is told what happened, not 404.

The sequential tests run on SQLite and PostgreSQL; the truly concurrent ones (a real server in threads, parallel
HTTP requests) need PostgreSQL's row locks and run there only.
"""

import contextlib
import datetime
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.domain.errors import MODIFIEE
from app.extensions import db
from app.models import Actualite, Candidature, Certificateur, Organisme, Utilisateur
from app.models.evaluations import EN_COURS, Evaluation
from tests.conftest import DEMO_PASSWORD, demo, page_text
from tests.test_evaluations import EVALUATEUR, etab_a11, new_file

POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith("postgres")
concurrent = pytest.mark.skipif(not POSTGRES, reason="des requêtes réellement simultanées : PostgreSQL seulement")
MODIFIEE_DEBUT = "Cette fiche a été modifiée par quelqu'un d'autre"
A1 = "Organisme A1 — Avenir Paris"


def pk_of(app, numero):
    with app.app_context():
        return demo(Candidature, numero_dossier=numero).id


def saved(app, model, pk, field):
    with app.app_context():
        db.session.remove()
        return getattr(db.session.get(model, pk), field)


class FormValues(HTMLParser):
    """What a browser would send for the page's first form with a `method="post"` holding `name` fields."""

    def __init__(self):
        super().__init__()
        self.values, self._select, self._textarea, self._in_form, self._done = {}, None, None, False, False
        self._first_option = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and not self._done and (a.get("method") or "").lower() == "post":
            self._in_form = True
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("radio", "checkbox"):
                if "checked" in a:
                    self.values[name] = a.get("value", "on")
                else:
                    self.values.setdefault(name, "") if kind == "radio" else None
            elif kind not in ("submit", "button", "file"):
                self.values[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select, self._first_option = name, None
        elif tag == "option" and self._select:
            if self._first_option is None:
                self._first_option = a.get("value", "")
                self.values.setdefault(self._select, self._first_option)
            if "selected" in a:
                self.values[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form" and self._in_form:
            self._in_form, self._done = False, True

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def form_of(response) -> dict:
    parser = FormValues()
    parser.feed(response.get_data(as_text=True))
    return parser.values


# --- 5. No lost update: API ---------------------------------------------------------------------------------------


def test_candidature_put_with_version_and_etag_refuses_a_stale_save(app, api_as):
    pk = pk_of(app, "2026000002")  # A1-1, « En attente d'évaluation finale »
    alice, bruno = api_as("etab.user"), api_as("org.admin")
    read = alice.get(f"/api/v1/candidature/{pk}")
    assert read.status_code == 200
    version = read.get_json()["result"]["version"]
    assert isinstance(version, int) and read.headers["ETag"] == f'"{version}"'
    # Bruno saves first, from the same version; the API edits through the form's service and rules.
    first = bruno.put(f"/api/v1/candidature/{pk}", json={"ville": "Montreuil", "version": version})
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["result"]["ville"] == "Montreuil"
    assert first.get_json()["result"]["version"] == version + 1 and first.headers["ETag"] == f'"{version + 1}"'
    # Alice saves on the version she read: refused, nothing overwritten, Bruno's values in the answer.
    stale = alice.put(f"/api/v1/candidature/{pk}", json={"telephone": "0102030405", "version": version})
    assert stale.status_code == 409
    assert stale.get_json()["message"] == MODIFIEE and stale.get_json()["message"].startswith(MODIFIEE_DEBUT)
    assert stale.get_json()["result"]["ville"] == "Montreuil"
    assert stale.get_json()["result"]["version"] == version + 1
    # The same with the ETag in If-Match.
    by_etag = alice.put(
        f"/api/v1/candidature/{pk}", json={"telephone": "0102030405"}, headers={"If-Match": read.headers["ETag"]}
    )
    assert by_etag.status_code == 409 and by_etag.get_json()["result"]["ville"] == "Montreuil"
    assert saved(app, Candidature, pk, "telephone") is None
    # On the current version it goes through; the rules are the form's (422 in French).
    current = alice.get(f"/api/v1/candidature/{pk}").headers["ETag"]
    ok = alice.put(f"/api/v1/candidature/{pk}", json={"telephone": "0102030405"}, headers={"If-Match": current})
    assert ok.status_code == 200 and ok.get_json()["result"]["telephone"] == "0102030405"
    assert ok.get_json()["result"]["ville"] == "Montreuil"  # Bruno's change kept
    bad = alice.put(f"/api/v1/candidature/{pk}", json={"code_postal": "7501"})
    assert bad.status_code == 422 and "code_postal" in bad.get_json()["message"]
    unknown = alice.put(f"/api/v1/candidature/{pk}", json={"statut": "certifiee"})
    assert unknown.status_code == 422 and unknown.get_json()["message"]["statut"] == ["Champ inconnu."]
    assert alice.put(f"/api/v1/candidature/{pk}", json={"version": "deux"}).status_code == 422
    # Outside the perimeter: 404, whatever the body.
    assert api_as("etab2.user").put(f"/api/v1/candidature/{pk}", json={"ville": "X"}).status_code == 404
    assert api_as("etab2.user").put(f"/api/v1/candidature/{pk}", json={"version": 1}).status_code == 404


@pytest.mark.parametrize(
    "login,model,lookup,url,field,first,second",
    [
        ("org.admin", Organisme, {"nom": A1}, "/api/v1/organisme/{pk}", "ville", "Vincennes", "Bobigny"),
        (
            "certifpro",
            Certificateur,
            {"nom": "Certif Pro"},
            "/api/v1/certificateur/{pk}",
            "modalite_envoi",
            "Prestataire par candidat",
            "Prestataire par certificateur",
        ),
        ("certifpro", Actualite, None, "/api/v1/actualite/{pk}", "titre", "Premier titre", "Second titre"),
        ("org.admin", Utilisateur, {"username": "etab.user"}, "/api/v1/utilisateur/{pk}", "last_name", "Un", "Deux"),
    ],
    ids=["organisme", "certificateur", "actualite", "utilisateur"],
)
def test_every_put_with_a_version_refuses_a_stale_save(app, api_as, login, model, lookup, url, field, first, second):
    with app.app_context():
        record = demo(model, **lookup) if lookup else db.session.execute(select(model).limit(1)).scalar_one()
        pk = record.id
    client = api_as(login)
    read = client.get(url.format(pk=pk))
    assert read.status_code == 200, read.get_json()
    version = read.get_json()["result"]["version"]
    assert read.headers["ETag"] == f'"{version}"'
    done = client.put(url.format(pk=pk), json={field: first, "version": version})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["result"]["version"] == version + 1 and done.headers["ETag"] == f'"{version + 1}"'
    stale = client.put(url.format(pk=pk), json={field: second, "version": version})
    assert stale.status_code == 409 and stale.get_json()["message"].startswith(MODIFIEE_DEBUT)
    assert stale.get_json()["result"][field] == first
    stale_etag = client.put(url.format(pk=pk), json={field: second}, headers={"If-Match": f'"{version}"'})
    assert stale_etag.status_code == 409
    assert saved(app, model, pk, field) == first


def test_evaluation_put_refuses_a_stale_save(app, api_as):
    org = api_as("org.admin")
    pk = new_file(org, etab_a11(app), "Versionnee")
    eid = org.post("/api/v1/evaluation/", json=draft_body(pk)).get_json()["id"]
    read = org.get(f"/api/v1/evaluation/{eid}")
    version = read.get_json()["result"]["version"]
    assert read.headers["ETag"] == f'"{version}"'
    done = org.put(f"/api/v1/evaluation/{eid}", json={"commentaire": "Premier avis", "version": version})
    assert done.status_code == 200 and done.headers["ETag"] == f'"{version + 1}"'
    stale = org.put(
        f"/api/v1/evaluation/{eid}", json={"commentaire": "Second avis"}, headers={"If-Match": f'"{version}"'}
    )
    assert stale.status_code == 409 and stale.get_json()["result"]["commentaire"] == "Premier avis"


# --- 5. No lost update: the edit form -----------------------------------------------------------------------------


def test_edit_form_refuses_a_stale_save_and_shows_the_values_saved_meanwhile(app, as_user):
    pk = pk_of(app, "2026000002")
    alice, bruno = as_user("etab.user"), as_user("org.admin")
    alice_form = form_of(alice.get(f"/candidatures/{pk}/editer"))
    bruno_form = form_of(bruno.get(f"/candidatures/{pk}/editer"))
    assert alice_form["version"] == bruno_form["version"] and alice_form["nom_naissance"]
    # Bruno saves a new town and phone number first.
    done = bruno.post(
        f"/candidatures/{pk}/editer", data={**bruno_form, "ville": "Montreuil", "telephone": "0601020304"}
    )
    assert done.status_code == 302
    # Alice, on the page she opened before, changes the e-mail address: refused, the form comes back.
    page = alice.post(f"/candidatures/{pk}/editer", data={**alice_form, "email": "alice@exemple.fr"})
    text = page_text(page)
    assert page.status_code == 200
    assert MODIFIEE in text
    assert "Valeurs enregistrées entre-temps" in text
    table = text.split("Valeurs enregistrées entre-temps")[1].split("Organisme évaluateur")[0]
    assert "Ville Montreuil" in table and "Téléphone 0601020304" in table
    assert "Email" not in table  # only what the other person changed
    assert saved(app, Candidature, pk, "email") != "alice@exemple.fr"
    assert saved(app, Candidature, pk, "ville") == "Montreuil"
    # The form now holds Bruno's values and her own change; saved again (on the version now shown), both stay.
    again = form_of(page)
    assert again["email"] == "alice@exemple.fr" and again["ville"] == "Montreuil"
    assert again["telephone"] == "0601020304" and int(again["version"]) == int(alice_form["version"]) + 1
    final = alice.post(f"/candidatures/{pk}/editer", data=again, follow_redirects=True)
    assert "La fiche est mise à jour." in page_text(final)
    assert saved(app, Candidature, pk, "email") == "alice@exemple.fr"
    assert saved(app, Candidature, pk, "telephone") == "0601020304"


def test_edit_form_keeps_its_version_through_a_validation_error(app, as_user):
    """A refused input shows the form again on the version it was opened with: a save made meanwhile by
    someone else is still detected at the next attempt."""
    pk = pk_of(app, "2026000002")
    alice = as_user("etab.user")
    opened = form_of(alice.get(f"/candidatures/{pk}/editer"))
    wrong = form_of(alice.post(f"/candidatures/{pk}/editer", data={**opened, "code_postal": "123"}))
    assert wrong["version"] == opened["version"]
    assert (
        as_user("org.admin").post(f"/candidatures/{pk}/editer", data={**opened, "ville": "Pantin"}).status_code == 302
    )
    refused = alice.post(f"/candidatures/{pk}/editer", data={**wrong, "code_postal": "75011"})
    assert MODIFIEE in page_text(refused) and "Ville Pantin" in page_text(refused)


# --- 6. Races, one user after the other (SQLite and PostgreSQL) ---------------------------------------------------


def draft_body(pk):
    return {"candidature": pk, **EVALUATEUR, "date_evaluation": "2025-11-11"}


def drafts(app, pk) -> int:
    with app.app_context():
        db.session.remove()
        return db.session.execute(
            select(func.count())
            .select_from(Evaluation)
            .where(Evaluation.candidature_id == pk, Evaluation.etat == EN_COURS)
        ).scalar_one()


def test_a_second_draft_is_refused_by_the_api_the_page_and_the_database(app, api_as, as_user):
    org = api_as("org.admin")
    pk = new_file(org, etab_a11(app), "Brouillon")
    assert org.post("/api/v1/evaluation/", json=draft_body(pk)).status_code == 201
    second = org.post("/api/v1/evaluation/", json=draft_body(pk))
    assert second.status_code == 409
    assert second.get_json()["message"] == "Une évaluation est déjà en cours de création : continuez-la."
    page = as_user("org.admin").post(
        f"/candidatures/evaluations/candidature/{pk}/nouvelle",
        data={**EVALUATEUR, "date_evaluation": "12/11/2025", "action": "enregistrer"},
        follow_redirects=True,
    )
    assert "Une évaluation est déjà en cours de création : continuez-la." in page_text(page)
    assert drafts(app, pk) == 1
    # The database itself refuses a second draft (the partial unique index), whatever the code that tries.
    with app.app_context():
        db.session.add(
            Evaluation(candidature_id=pk, etat=EN_COURS, date_evaluation=datetime.date(2025, 11, 12), **EVALUATEUR)
        )
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_an_edit_after_a_transition_gets_a_clear_409(app, api_as):
    pk = pk_of(app, "2026000003")  # « À envoyer en certification »
    etab = api_as("etab.user")
    version = etab.get(f"/api/v1/candidature/{pk}").get_json()["result"]["version"]
    assert api_as("org.admin").post(f"/api/v1/candidature/{pk}/envoyer_certification").status_code == 200
    late = etab.put(f"/api/v1/candidature/{pk}", json={"ville": "Ivry", "version": version})
    assert late.status_code == 409 and late.get_json()["message"].startswith(MODIFIEE_DEBUT)
    assert late.get_json()["result"]["statut"] == "attente_jury"


def test_the_loser_of_affecter_against_annuler_envoi_is_told_why(app, api_as, as_user):
    pk = pk_of(app, "2026000004")  # « En attente de jury » at Transitions Pro Île-de-France
    certif = api_as("certif.idf")
    session = certif.post(
        "/api/v1/sessionjury/",
        json={"date": f"{datetime.date.today().isoformat()}T00:00", "libelle": "Jury - course - CLEA"},
    ).get_json()["id"]
    assert certif.get(f"/api/v1/candidature/{pk}").status_code == 200  # the certifier has the file open
    assert api_as("reseau.admin").post(f"/api/v1/candidature/{pk}/annuler_envoi").status_code == 200
    lost = certif.post(f"/api/v1/candidature/{pk}/affecter", json={"session_jury_id": session})
    assert lost.status_code == 409, lost.get_json()
    message = lost.get_json()["message"]
    assert "« Annulation de l'envoi en certification »" in message and "Claire Martin" in message
    assert "n'est plus dans votre périmètre" in message
    # Reading it stays a 404 (it is no longer theirs), and a file that never was theirs stays a plain 404.
    assert certif.get(f"/api/v1/candidature/{pk}").status_code == 404
    never = pk_of(app, "2026000014")  # « En attente de jury » at the PACA Transitions Pro
    assert certif.post(f"/api/v1/candidature/{never}/affecter", json={"session_jury_id": session}).status_code == 404
    # In the UI: the button's answer is the same reason, on the list (the file's page is no longer theirs).
    page = as_user("certif.idf").post(
        f"/candidatures/{pk}/affecter", data={"session_jury_id": str(session)}, follow_redirects=True
    )
    assert page.status_code == 200 and "n'est plus dans votre périmètre" in page_text(page)


# --- Truly concurrent requests (PostgreSQL): a real server, parallel HTTP clients --------------------------------


@pytest.fixture(scope="module")
def server(app):
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):
            pass

    httpd = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=5)


def bearer(server, username) -> requests.Session:
    http = requests.Session()
    token = http.post(
        f"{server}/api/v1/security/login",
        json={"username": username, "password": DEMO_PASSWORD, "provider": "db", "refresh": True},
        timeout=30,
    ).json()["access_token"]
    http.headers["Authorization"] = f"Bearer {token}"
    return http


def at_once(calls, workers=10):
    """Run the calls together (each a function returning a response); their status codes."""
    barrier = threading.Barrier(min(workers, len(calls)))

    def run(call):
        with contextlib.suppress(threading.BrokenBarrierError):  # fewer calls left than workers
            barrier.wait(timeout=30)
        return call().status_code

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, calls))


@concurrent
@pytest.mark.committing(reset="module")
def test_sixty_concurrent_puts_never_answer_500(app, server):
    candidature, organisme = pk_of(app, "2026000002"), None
    with app.app_context():
        organisme = demo(Organisme, nom=A1).id
    clients = [bearer(server, login) for login in ("etab.user", "org.admin", "etab.admin")]
    version = clients[0].get(f"{server}/api/v1/candidature/{candidature}", timeout=30).json()["result"]["version"]
    calls = []
    for i in range(30):
        http = clients[i % 3]
        body = {"ville": f"Ville {i}"} if i % 2 else {"ville": f"Ville {i}", "version": version}
        calls.append(
            lambda http=http, body=body: http.put(f"{server}/api/v1/candidature/{candidature}", json=body, timeout=60)
        )
    admin = clients[1]
    for i in range(30):
        body = {"ville": f"Commune {i}"}
        calls.append(lambda body=body: admin.put(f"{server}/api/v1/organisme/{organisme}", json=body, timeout=60))
    statuses = at_once(calls, workers=12)
    assert 500 not in statuses and set(statuses) <= {200, 409}, statuses
    on_file, on_org = statuses[:30], statuses[30:]
    # The file's writes wait for each other (row lock): without a version all go through, one after the other;
    # on the version read at the start, one at most. The generic resource's concurrent writes are refused by
    # the version column (409) rather than silently overwritten.
    assert on_file[1::2] == [200] * 15, on_file
    assert on_file[0::2].count(200) <= 1, on_file
    assert 200 in on_org, on_org


@concurrent
@pytest.mark.committing(reset="module")
def test_ten_parallel_adds_make_exactly_one_draft(app, server):
    http = bearer(server, "org.admin")
    created = http.post(
        f"{server}/api/v1/candidature/",
        json={
            "etablissement": etab_a11(app),
            "statut_inscription": "Demandeur d'emploi",
            "niveau_formation": "Niveau 3 – CAP, BEP (ancien niveau V)",
            "financeur_principal": "CPF",
            "civilite": "Madame",
            "nom_naissance": "Course",
            "prenom": "Sofia",
            "date_naissance": "1990-04-12",
            "ville_naissance": "Paris",
            "code_postal_naissance": "75012",
        },
        timeout=30,
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    clients = [bearer(server, "org.admin") for _ in range(2)] + [bearer(server, "etab.user") for _ in range(2)]
    calls = [
        lambda http=clients[i % 4]: http.post(f"{server}/api/v1/evaluation/", json=draft_body(pk), timeout=60)
        for i in range(10)
    ]
    statuses = at_once(calls)
    assert sorted(statuses) == [201] + [409] * 9, statuses
    assert drafts(app, pk) == 1


@concurrent
@pytest.mark.committing(reset="module")
def test_edits_racing_a_transition_get_409_never_500(app, server):
    pk = pk_of(app, "2026000013")  # B1-1, « À envoyer en certification »
    editor, sender = bearer(server, "org2.admin"), bearer(server, "org2.admin")
    version = editor.get(f"{server}/api/v1/candidature/{pk}", timeout=30).json()["result"]["version"]
    calls = [lambda: sender.post(f"{server}/api/v1/candidature/{pk}/envoyer_certification", timeout=60)]
    calls += [
        lambda i=i: editor.put(
            f"{server}/api/v1/candidature/{pk}", json={"ville": f"Nice {i}", "version": version}, timeout=60
        )
        for i in range(7)
    ]
    statuses = at_once(calls, workers=8)
    assert 500 not in statuses and set(statuses) <= {200, 409}, statuses
    assert statuses[0] in (200, 409)
    assert statuses[1:].count(200) <= 1  # one save at most on that version


@concurrent
@pytest.mark.committing(reset="module")
def test_affecter_against_annuler_envoi_at_the_same_moment(app, server):
    pk = pk_of(app, "2026000004")
    certif, reseau = bearer(server, "certif.idf"), bearer(server, "reseau.admin")
    session = certif.post(
        f"{server}/api/v1/sessionjury/",
        json={"date": f"{datetime.date.today().isoformat()}T00:00", "libelle": "Jury - simultané - CLEA"},
        timeout=30,
    ).json()["id"]
    calls = [
        lambda: certif.post(
            f"{server}/api/v1/candidature/{pk}/affecter", json={"session_jury_id": session}, timeout=60
        ),
        lambda: reseau.post(f"{server}/api/v1/candidature/{pk}/annuler_envoi", timeout=60),
    ]
    statuses = at_once(calls, workers=2)
    assert sorted(statuses) == [200, 409], statuses  # exactly one happened; the other is told, never 404 or 500
