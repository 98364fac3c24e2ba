"""Perimeter first (issue 11 point 7): every `{pk}` route of the OpenAPI document, and every record route of the
pages, called by network B's profiles with network A's ids — GET, PUT, DELETE and the POST actions, with a
plausible body and with a malformed one — answers 404, before any permission or validation check.

Network A's records are those its network administrator sees; network B has nothing in common with A (api.md),
so none of them is B's. Records every profile reads (certifiers, juries' calendar, news) have no other network's
ids and are not part of the sweep."""

import io
import re

import pytest
from sqlalchemy import select

from app.checks import NATIONAL_MODELS
from app.extensions import db
from app.models import Utilisateur
from app.security import perimeter
from tests.conftest import demo

B_PROFILES = ["reseau2.admin", "org2.admin", "etab2.user"]
IDS_PER_MODEL = 3  # the first, a middle and the last of A's records of each kind
PLAUSIBLE = {
    "motif": "Pirate",
    "message": "Pirate",
    "commentaire": "Pirate",
    "decision": "certifiee",
    "session_jury_id": 1,
    "certificateur": 1,
    "date_debut": "2026-01-01",
    "nom": "Pirate",
    "last_name": "Pirate",
    "resultats": [{"sous_domaine": "1.1", "acquis": True}],
    "version": 1,
}
MALFORMED = '{"nom": [[["x"]]], "motif": {"a": null}, "decision": ["certifiee"], "version": "abc"'  # cut short
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _network_a_ids(app):
    """model → a few ids of network A's records that a user of network B must not reach."""
    with app.app_context():
        seer = demo(Utilisateur, username="reseau.admin")
        others = [demo(Utilisateur, username=name) for name in B_PROFILES]
        found = {}
        for model in perimeter.RULES:
            ids = (
                db.session.execute(select(model.id).where(perimeter.clause(model, seer)).order_by(model.id))
                .scalars()
                .all()
            )
            for other in others:  # a transfer request between the two networks is both's: not A's alone
                seen = set(db.session.execute(select(model.id).where(perimeter.clause(model, other))).scalars().all())
                ids = [pk for pk in ids if pk not in seen]
            if ids:
                found[model] = sorted({ids[0], ids[len(ids) // 2], ids[-1]})[:IDS_PER_MODEL]
        db.session.remove()
    return found


def _add_network_a_records(app):
    """What the demo has not in network A: a training, a notification, a transfer request inside A (rolled back
    with the test)."""
    import datetime

    from app.models import Candidature, Etablissement, Notification
    from app.models.formations import Formation
    from app.models.juries import DemandeRattachement

    with app.app_context():
        origine = demo(Etablissement, nom="Avenir Paris République")
        destination = demo(Etablissement, nom="Avenir Paris Lille")
        file = (
            db.session.execute(
                select(Candidature).where(Candidature.etablissement_id == origine.id).order_by(Candidature.id)
            )
            .scalars()
            .first()
        )
        day = datetime.date(2026, 3, 2)
        db.session.add_all(
            [
                Formation(
                    candidature_id=file.id,
                    date_debut=day,
                    date_fin=day,
                    duree_heures=7,
                    formateur_nom="Formateur",
                    formateur_prenom="Paul",
                    formateur_email="paul@example.org",
                ),
                Notification(
                    user_id=demo(Utilisateur, username="reseau.admin").id, rubrique="Dossiers", titre="T", contenu="C"
                ),
                DemandeRattachement(
                    candidature_id=file.id,
                    etablissement_origine_id=origine.id,
                    etablissement_destination_id=destination.id,
                    motif="Déménagement du candidat",
                ),
            ]
        )
        db.session.commit()
        db.session.remove()


@pytest.fixture
def a_ids(app):
    _add_network_a_records(app)
    return _network_a_ids(app)


@pytest.fixture(scope="module")
def routes(app):
    models, _ = perimeter.route_models(app)
    return models


def _api_routes(app, routes, a_ids, client):
    """(method, path with its pk, model) for every `{pk}` operation of the OpenAPI document."""
    spec = client.get("/api/v1/_openapi").get_json()
    adapter = app.url_map.bind("clea.test")
    views = {view.endpoint: view for view in app.appbuilder.baseviews}
    found = []
    for path, operations in sorted(spec["paths"].items()):
        if "{pk}" not in path:
            continue
        for method in operations:
            if method not in ("get", "put", "delete", "post", "patch"):
                continue
            path = re.sub(r"\{(?!pk\})\w+\}", "1", path)  # another id of the route (a document's): any
            endpoint, _ = adapter.match(path.replace("{pk}", "1"), method=method.upper())
            if endpoint not in routes:  # national reference data (news…): no network's records there
                view = views[endpoint.partition(".")[0]]
                decided_by_service = getattr(view, "perimetre_des_routes", {})
                if endpoint.partition(".")[2] in decided_by_service:  # one's own exports: 404 tested with them
                    assert decided_by_service[endpoint.partition(".")[2]] is None
                    continue
                assert view.datamodel.obj.__name__ in NATIONAL_MODELS, f"{method.upper()} {path}: pas de périmètre"
                continue
            found.append((method, path, routes[endpoint][0]))
    return found


def _bodies(method, path):
    if method in ("get", "delete"):
        return [{}]
    if path.endswith("/documents"):
        return [
            {"data": {"file": (io.BytesIO(PNG), "pirate.png"), "nature": "cv"}, "content_type": "multipart/form-data"},
            {"data": b"--x\r\n", "content_type": "multipart/form-data; boundary=x"},
        ]
    return [{"json": PLAUSIBLE}, {"data": MALFORMED, "content_type": "application/json"}, {"json": ["pas", "objet"]}]


def test_every_pk_route_of_the_openapi_document_answers_404_to_another_network(app, api, a_ids, routes):
    operations = _api_routes(app, routes, a_ids, api("certifpro"))
    covered, calls = set(), 0
    for username in B_PROFILES:
        client = api(username)
        for method, path, model in operations:
            for pk in a_ids.get(model, []):
                for body in _bodies(method, path):
                    response = getattr(client, method)(path.replace("{pk}", str(pk)), **dict(body))
                    calls += 1
                    assert response.status_code == 404, (username, method.upper(), path, pk, response.get_json())
                    assert response.get_json() == {"message": "Élément introuvable."}
                    covered.add(path.split("/")[3])
    # The sweep reaches every kind of record a network owns, through their reads, writes and actions.
    assert {
        "candidature",
        "document",
        "etablissement",
        "evaluation",
        "formation",
        "habilitation",
        "notification",
        "organisme",
        "rattachement",
        "reseau",
        "utilisateur",
    } <= covered, covered
    assert calls > 500
    assert len({path for _, path, _ in operations if re.search(r"\{pk\}/\w+$", path)}) >= 15  # the actions


def _ui_url(rule, argument, pk):
    values = {argument: pk}
    for name in rule.arguments - {argument}:
        numeric = type(rule._converters.get(name)).__name__ == "IntegerConverter"
        values[name] = 1 if numeric else {"action": "decision", "name": "inconnue", "event": "valider"}.get(name, "x")
    return rule.build(values, append_unknown=False)[1]


def test_every_record_route_of_the_pages_answers_404_to_another_network(app, as_user, a_ids, routes):
    rules = [
        (rule, routes[rule.endpoint])
        for rule in app.url_map.iter_rules()
        if rule.endpoint in routes and not rule.rule.startswith("/api/")
    ]
    covered, calls = set(), 0
    for username in B_PROFILES:
        client = as_user(username)
        for rule, (model, argument) in rules:
            for pk in a_ids.get(model, []):
                url = _ui_url(rule, argument, pk)
                for method in sorted(rule.methods & {"GET", "POST"}):
                    kwargs = {"data": PLAUSIBLE | {"decision": "certifiee"}} if method == "POST" else {}
                    response = client.open(url, method=method, **kwargs)
                    calls += 1
                    assert response.status_code == 404, (username, method, url, response.status_code)
                    assert "Page introuvable" in response.get_data(as_text=True)
                    covered.add(model.__name__)
    assert {"Candidature", "Document", "Etablissement", "Evaluation", "Organisme", "Utilisateur"} <= covered, covered
    assert calls > 300
