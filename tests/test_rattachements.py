"""« Demande de rattachement » (guide §16, domain.md §5): asked on a file outside the perimeter towards one of
one's own establishments, decided by Certif Pro; accepting moves the file and notifies both sides. UI and API."""

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, Candidature, Etablissement, Notification, Utilisateur
from app.models.juries import DemandeRattachement
from tests.conftest import demo, page_text

MARSEILLE = "Compétences Méditerranée Marseille"  # B1-1, habilitée: etab2.user's establishment
MONTPELLIER = "Compétences Méditerranée Montpellier"  # B1-2, habilitation still pending
PARIS = "Avenir Paris République"  # A1-1, habilitée
LILLE = "Avenir Paris Lille"  # A1-2, habilitation expired


def etab(app, nom):
    with app.app_context():
        return demo(Etablissement, nom=nom).id


def dossier(app, numero):
    with app.app_context():
        return demo(Candidature, numero_dossier=numero).id


def notifications_of(app, login, titre):
    with app.app_context():
        user = demo(Utilisateur, username=login)
        return (
            db.session.execute(select(Notification).where(Notification.user_id == user.id, Notification.titre == titre))
            .scalars()
            .all()
        )


def lien_de_recherche(client, numero) -> str:
    """The key icon's link of the national search result for `numero` (a signed reference, not the id)."""
    found = client.post("/recherche/", data={"numero_dossier": numero}).get_data(as_text=True)
    links = re.findall(r'href="(/rattachements/demander/[^"]+)"', found)
    assert len(links) == 1, f"pas de demande de rattachement possible pour {numero}"
    return links[0]


def demande(app, pk) -> DemandeRattachement:
    with app.app_context():
        found = db.session.get(DemandeRattachement, pk)
        db.session.expunge(found)
        return found


def test_etab2_asks_for_an_a_file_then_certif_pro_accepts_it(app, as_user):
    pk = dossier(app, "2026000001")  # Moreau Camille, A1-1, awaiting the évaluation préalable
    marseille, montpellier, paris = etab(app, MARSEILLE), etab(app, MONTPELLIER), etab(app, PARIS)
    client = as_user("etab2.user")
    # The key icon of the search opens the form: the four public columns, destinations of the perimeter only.
    url = lien_de_recherche(client, "2026000001")
    assert url != f"/rattachements/demander/{pk}"
    form = client.get(url)
    assert form.status_code == 200
    text, html = page_text(form), form.get_data(as_text=True)
    assert "Demande de rattachement" in text and "2026000001" in text and "Moreau Camille" in text
    assert PARIS in text and "En attente d'évaluation préalable" in text
    assert "camille.moreau@exemple.fr" not in html and "Envoyer la demande" in text
    assert f'value="{marseille}"' in html and f'value="{montpellier}"' not in html and f'value="{paris}"' not in html
    assert "Déménagement du candidat" in text and "Précisez si motif « Autre »" in text

    missing = client.post(
        url,
        data={"etablissement_destination": marseille, "motif": "Autre", "precision": ""},
    )
    assert missing.status_code == 200 and "Précisez le motif « Autre »." in page_text(missing)
    sent = client.post(
        url,
        data={"etablissement_destination": marseille, "motif": "Déménagement du candidat"},
        follow_redirects=True,
    )
    text = page_text(sent)
    assert "Votre demande de rattachement a été envoyée à Certif Pro" in text and "En attente" in text
    with app.app_context():
        request = db.session.execute(
            select(DemandeRattachement).where(DemandeRattachement.candidature_id == pk)
        ).scalar_one()
        rid = request.id
        assert (request.etablissement_origine_id, request.etablissement_destination_id) == (paris, marseille)
        assert request.demandeur.username == "etab2.user" and request.etat == "en_attente"
    # Certif Pro and the file's side are told; the file itself has not moved yet.
    for login in ("certifpro", "etab.user", "org.admin"):
        assert notifications_of(app, login, "Une demande de rattachement vient d'être créée"), login
    assert not notifications_of(app, "etab2.user", "Une demande de rattachement vient d'être créée")
    assert as_user("etab.user").get(f"/candidatures/show/{pk}").status_code == 200
    assert client.get(f"/candidatures/show/{pk}").status_code == 404

    # Both sides list it; only Certif Pro gets the buttons.
    for login in ("etab2.user", "etab.user", "reseau.admin", "org2.admin", "certifpro"):
        listing = page_text(as_user(login).get("/rattachements/list/"))
        assert "Mes demandes de rattachements" in listing and "2026000001" in listing, login
        assert "Moreau Camille" in listing and MARSEILLE in listing and "Déménagement du candidat" in listing
    own = page_text(client.get(f"/rattachements/show/{rid}"))
    assert "2026000001" in own and "Accepter" not in own and "Refuser" not in own
    assert client.post(f"/rattachements/{rid}/accepter").status_code == 403
    assert as_user("org.admin").post(f"/rattachements/{rid}/accepter").status_code == 403

    certifpro = as_user("certifpro")
    page = page_text(certifpro.get(f"/rattachements/show/{rid}"))
    assert "Accepter" in page and "Refuser" in page and "Confirmer le rattachement" in page
    accepted = certifpro.post(
        f"/rattachements/{rid}/accepter", data={"commentaire": "Déménagement confirmé."}, follow_redirects=True
    )
    assert "La demande de rattachement est acceptée" in page_text(accepted) and "Acceptée" in page_text(accepted)
    assert "Anne Lefèvre le" in page_text(accepted) and "Déménagement confirmé." in page_text(accepted)
    with app.app_context():
        moved = db.session.get(Candidature, pk)
        assert (
            moved.etablissement_id == marseille and moved.organisme_id == demo(Etablissement, id=marseille).organisme_id
        )
        labels = (
            db.session.execute(
                select(AuditLog.libelle).where(AuditLog.entity_type == "Candidature", AuditLog.entity_id == pk)
            )
            .scalars()
            .all()
        )
        assert f"Rattachement accepté : {PARIS} → {MARSEILLE}" in labels
        # The request itself is in the file's trail: its creation and its decision.
        request_lines = (
            db.session.execute(
                select(AuditLog.changes).where(AuditLog.entity_type == "Candidature", AuditLog.entity_id == pk)
            )
            .scalars()
            .all()
        )
        assert any("rattachement" in (c or {}) for c in request_lines)
        assert any((c or {}).get("etat") == ["en_attente", "acceptee"] for c in request_lines)
    # The file now belongs to the requester's perimeter, no longer to the old one.
    assert client.get(f"/candidatures/show/{pk}").status_code == 200
    assert f"Rattachement accepté : {PARIS} → {MARSEILLE}" in page_text(client.get(f"/candidatures/show/{pk}"))
    assert as_user("etab.user").get(f"/candidatures/show/{pk}").status_code == 404
    assert as_user("org.admin").get(f"/candidatures/show/{pk}").status_code == 404
    # Both sides are told; the old side's notification has no link to a page it may no longer open.
    for login in ("etab2.user", "org2.admin", "etab.user", "org.admin"):
        assert notifications_of(app, login, "Demande de rattachement acceptée"), login
    lien = notifications_of(app, "etab2.user", "Demande de rattachement acceptée")[0].lien
    assert lien == f"/rattachements/show/{rid}"
    assert notifications_of(app, "etab.user", "Demande de rattachement acceptée")[0].lien is None
    # Deciding twice is refused.
    again = certifpro.post(f"/rattachements/{rid}/accepter", follow_redirects=True)
    assert "Cette demande de rattachement a déjà été traitée." in page_text(again)


def test_refusal_needs_a_comment_and_leaves_the_file(app, as_user):
    pk = dossier(app, "2026000002")
    marseille = etab(app, MARSEILLE)
    client = as_user("etab2.user")
    client.post(
        lien_de_recherche(client, "2026000002"),
        data={"etablissement_destination": marseille, "motif": "Autre", "precision": "Le candidat l'a demandé."},
    )
    with app.app_context():
        rid = db.session.execute(
            select(DemandeRattachement.id).where(DemandeRattachement.candidature_id == pk)
        ).scalar_one()
    certifpro = as_user("certifpro")
    empty = certifpro.post(f"/rattachements/{rid}/refuser", data={"commentaire": "  "}, follow_redirects=True)
    assert "Le motif du refus est obligatoire." in page_text(empty)
    assert demande(app, rid).etat == "en_attente"
    done = certifpro.post(
        f"/rattachements/{rid}/refuser", data={"commentaire": "Aucun justificatif."}, follow_redirects=True
    )
    text = page_text(done)
    assert "La demande de rattachement est refusée." in text and "Refusée" in text and "Aucun justificatif." in text
    with app.app_context():
        assert db.session.get(Candidature, pk).etablissement_id == etab(app, PARIS)
    notes = notifications_of(app, "etab2.user", "Demande de rattachement refusée")
    assert notes and "Aucun justificatif." in notes[0].contenu
    assert notifications_of(app, "etab.user", "Demande de rattachement refusée")
    # Refused, the file may be asked for again.
    assert (
        client.post(
            lien_de_recherche(client, "2026000002"),
            data={"etablissement_destination": marseille, "motif": "Choix du bénéficiaire"},
        ).status_code
        == 302
    )


@pytest.mark.parametrize(
    "numero, statut",
    [("2026000004", "En attente de jury"), ("2026000005", "En attente de certification"), ("2026000008", "Certifiée")],
)
def test_a_file_at_jury_or_certified_is_never_moved(app, api_as, as_user, numero, statut):
    pk, marseille = dossier(app, numero), etab(app, MARSEILLE)
    response = api_as("etab2.user").post(
        "/api/v1/rattachement/",
        json={"candidature": pk, "etablissement_destination": marseille, "motif": "Déménagement du candidat"},
    )
    assert response.status_code == 409 and statut in response.get_json()["message"]
    # The search shows a greyed key: no link to a form.
    found = as_user("etab2.user").post("/recherche/", data={"numero_dossier": numero})
    html = found.get_data(as_text=True)
    assert 'aria-label="Rattachement impossible"' in html and "/rattachements/demander/" not in html


def test_api_rules_and_french_messages(app, api_as):
    pk, marseille = dossier(app, "2026000003"), etab(app, MARSEILLE)
    api = api_as("etab2.user")

    def ask(**overrides):
        body = {"candidature": pk, "etablissement_destination": marseille, "motif": "Déménagement du candidat"}
        body.update(overrides)
        return api.post("/api/v1/rattachement/", json={k: v for k, v in body.items() if v is not ...})

    autre = ask(motif="Autre")
    assert autre.status_code == 422 and autre.get_json()["message"] == {"precision": ["Précisez le motif « Autre »."]}
    assert ask(motif=...).get_json()["message"] == {"motif": ["Le motif de la demande est obligatoire."]}
    assert ask(motif="Parce que").get_json()["message"] == {"motif": ["Motif inconnu."]}
    # Destinations: inside the requester's perimeter, habilitated, not the file's own.
    outside = ask(etablissement_destination=etab(app, LILLE))
    assert outside.status_code == 422
    assert outside.get_json()["message"]["etablissement_destination"] == [
        "Cet établissement n'existe pas ou n'est pas dans votre périmètre."
    ]
    pending = api_as("org2.admin").post(
        "/api/v1/rattachement/",
        json={
            "candidature": pk,
            "etablissement_destination": etab(app, MONTPELLIER),
            "motif": "Déménagement du candidat",
        },
    )
    assert pending.status_code == 422
    assert "habilitation" in pending.get_json()["message"]["etablissement_destination"][0]
    same = api_as("etab.user").post(
        "/api/v1/rattachement/",
        json={"candidature": pk, "etablissement_destination": etab(app, PARIS), "motif": "Déménagement du candidat"},
    )
    assert same.status_code == 422 and "déjà rattaché" in same.get_json()["message"]["etablissement_destination"][0]
    assert ask(candidature=99999999).status_code == 404

    created = ask(precision="Nouvelle adresse à Marseille")
    assert created.status_code == 201, created.get_json()
    result = created.get_json()["result"]
    assert result["candidature"] == pk and result["etablissement_destination"] == marseille
    assert result["etat"] == "en_attente" and result["motif"] == "Déménagement du candidat"
    rid = created.get_json()["id"]
    twice = ask()
    assert twice.status_code == 409 and twice.get_json()["message"] == (
        "Une demande de rattachement est déjà en attente pour ce dossier."
    )

    # Read: both sides (the file's and the destination's), not a certifier.
    assert api.get(f"/api/v1/rattachement/{rid}").status_code == 200
    assert api_as("org.user").get(f"/api/v1/rattachement/{rid}").get_json()["result"]["etat"] == "en_attente"
    assert rid in api_as("reseau2.admin").get("/api/v1/rattachement/").get_json()["ids"]
    assert api_as("certif.idf").get(f"/api/v1/rattachement/{rid}").status_code == 404  # perimeter first
    assert api_as("reseau.superviseur").post("/api/v1/rattachement/", json={}).status_code == 403

    # Only Certif Pro decides.
    for login in ("etab2.user", "org.admin", "reseau.admin"):
        assert api_as(login).post(f"/api/v1/rattachement/{rid}/accepter", json={}).status_code == 403
        assert api_as(login).post(f"/api/v1/rattachement/{rid}/refuser", json={"motif": "Non"}).status_code == 403
    certifpro = api_as("certifpro")
    assert certifpro.post(f"/api/v1/rattachement/{rid}/refuser", json={}).status_code == 422
    assert certifpro.post(f"/api/v1/rattachement/{rid}/refuser", json={"commentaire": ""}).status_code == 422
    assert certifpro.post("/api/v1/rattachement/99999999/accepter").status_code == 404

    # A file sent to certification since the request can no longer move.
    with app.app_context():
        db.session.get(Candidature, pk).statut = "attente_jury"
        db.session.commit()
    refused = certifpro.post(f"/api/v1/rattachement/{rid}/accepter")
    assert refused.status_code == 409 and "En attente de jury" in refused.get_json()["message"]
    with app.app_context():
        db.session.get(Candidature, pk).statut = "a_envoyer_certification"
        db.session.commit()
    accepted = certifpro.post(f"/api/v1/rattachement/{rid}/accepter", json={"commentaire": "D'accord."})
    assert accepted.status_code == 200 and accepted.get_json()["result"]["etat"] == "acceptee"
    assert accepted.get_json()["result"]["commentaire_decision"] == "D'accord."
    assert certifpro.post(f"/api/v1/rattachement/{rid}/accepter").status_code == 409
    assert certifpro.post(f"/api/v1/rattachement/{rid}/refuser", json={"motif": "Non"}).status_code == 409
    # The file is now the requester's; the old side no longer sees it, nor the request.
    assert api.get(f"/api/v1/candidature/{pk}").status_code == 200
    assert api_as("etab.user").get(f"/api/v1/candidature/{pk}").status_code == 404
    assert api_as("etab.user").get(f"/api/v1/rattachement/{rid}").status_code == 404


def test_api_refuse_with_motif(app, api_as):
    pk, marseille = dossier(app, "2026000006"), etab(app, MARSEILLE)  # en attente de complément: may move
    created = api_as("org2.admin").post(
        "/api/v1/rattachement/",
        json={"candidature": pk, "etablissement_destination": marseille, "motif": "Fermeture de l'établissement"},
    )
    assert created.status_code == 201, created.get_json()
    rid = created.get_json()["id"]
    refused = api_as("certifpro").post(f"/api/v1/rattachement/{rid}/refuser", json={"motif": "Incohérent."})
    assert refused.status_code == 200 and refused.get_json()["result"]["etat"] == "refusee"
    assert refused.get_json()["result"]["commentaire_decision"] == "Incohérent."
    assert notifications_of(app, "org2.admin", "Demande de rattachement refusée")


@pytest.mark.parametrize(
    "payload",
    [
        "pas du json",
        "[1, 2]",
        "null",
        '"texte"',
        "{}",
        '{"candidature": "abc"}',
        '{"candidature": true}',
        '{"candidature": 1.5}',
        '{"candidature": 10000000000000000000}',
        '{"candidature": [1]}',
        '{"candidature": 1, "etablissement_destination": {"id": 1}, "motif": ["Autre"]}',
        '{"candidature": 1, "etablissement_destination": "x", "motif": 12, "precision": 5}',
        '{"candidature": 1, "inconnu": 1}',
    ],
)
def test_bad_input_never_500(app, api_as, payload):
    response = api_as("etab2.user").post(
        "/api/v1/rattachement/", data=payload, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, (payload, response.get_json())
    assert isinstance(response.get_json()["message"], dict)  # the fields and their French messages


@pytest.mark.parametrize(
    "payload",
    ["pas du json", "[1]", '{"commentaire": 12}', '{"commentaire": ["x"]}', '{"commentaire": "' + "x" * 600 + '"}'],
)
def test_bad_decision_input_never_500(app, api_as, payload):
    pk, marseille = dossier(app, "2026000007"), etab(app, MARSEILLE)
    api = api_as("etab2.user")
    created = api.post(
        "/api/v1/rattachement/",
        json={"candidature": pk, "etablissement_destination": marseille, "motif": "Déménagement du candidat"},
    )
    assert created.status_code == 201, created.get_json()
    rid = created.get_json()["id"]
    for action in ("accepter", "refuser"):
        response = api_as("certifpro").post(
            f"/api/v1/rattachement/{rid}/{action}", data=payload, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 422, (action, payload, response.get_json())
    assert demande(app, rid).etat == "en_attente"
    assert api_as("certifpro").post("/api/v1/rattachement/abc/accepter").status_code == 404


def test_duplicate_candidature_offers_the_request(app, as_user):
    """« Proposer une candidature » for a person already registered elsewhere links to the request form."""
    pk, marseille = dossier(app, "2026000009"), etab(app, MARSEILLE)  # Mercier Jade, A1-1, born 1994-01-18
    form = {
        "etablissement": marseille,
        "certification": "clea",
        "statut_inscription": "Demandeur d'emploi",
        "niveau_formation": "Niveau 3 – CAP, BEP (ancien niveau V)",
        "financeur_principal": "CPF",
        "civilite": "Madame",
        "nom_naissance": "MERCIER",
        "prenom": "jade",
        "date_naissance": "18/01/1994",
        "ville_naissance": "Marseille",
        "code_postal_naissance": "13001",
    }
    response = as_user("etab2.user").post("/candidatures/proposer", data=form)
    html = response.get_data(as_text=True)
    assert "Ce candidat est déjà inscrit sur la plateforme (dossier n°2026000009)" in page_text(response)
    links = re.findall(r'href="(/rattachements/demander/[^"]+)"', html)
    assert len(links) == 1 and "Faire une demande de rattachement" in html
    assert "2026000009" in page_text(as_user("etab2.user").get(links[0]))
    # Inside the perimeter, the message opens the existing file instead.
    form["etablissement"] = etab(app, PARIS)
    html = as_user("etab.user").post("/candidatures/proposer", data=form).get_data(as_text=True)
    assert f'href="/candidatures/show/{pk}"' in html and "/rattachements/demander/" not in html


def test_menu_and_list_filters(app, as_user, api_as):
    for numero, decision in (("2026000019", "refuser"), ("2026000012", None)):
        created = api_as("etab.user").post(
            "/api/v1/rattachement/",
            json={
                "candidature": dossier(app, numero),
                "etablissement_destination": etab(app, PARIS),
                "motif": "Choix du bénéficiaire",
            },
        )
        assert created.status_code == 201, created.get_json()
        if decision:
            api_as("certifpro").post(
                f"/api/v1/rattachement/{created.get_json()['id']}/{decision}", json={"motif": "Non."}
            )
    client = as_user("etab2.user")
    home = client.get("/").get_data(as_text=True)
    assert "Mes demandes de rattachement" in home and 'href="/rattachements/list/"' in home

    def numeros(response):
        assert response.status_code == 200
        return set(re.findall(r"\b20260000\d\d\b", page_text(response)))

    assert numeros(client.get("/rattachements/list/", query_string={"_flt_0_candidature": "2026000012"})) == {
        "2026000012"
    }
    refused = numeros(client.get("/rattachements/list/", query_string={"_flt_3_etat": "refusee"}))
    assert "2026000019" in refused and "2026000012" not in refused
    # The network supervisor reads the list (👁), a certifier has no access.
    assert as_user("reseau.superviseur").get("/rattachements/list/").status_code == 200
    assert as_user("certif.idf").get("/rattachements/list/").status_code == 403
    assert as_user("reseau.superviseur").get(lien_de_recherche(client, "2026000010")).status_code == 403
    assert client.get("/rattachements/demander/99999999").status_code == 404
    assert client.get("/rattachements/show/99999999").status_code == 404
    assert client.get("/rattachements/show/abc").status_code == 404


def test_list_loads_files_and_establishments_once_per_page(app, as_user, api_as):
    from sqlalchemy import event

    for numero in ("2026000013", "2026000016", "2026000017", "2026000020"):  # B files asked by A
        created = api_as("etab.user").post(
            "/api/v1/rattachement/",
            json={
                "candidature": dossier(app, numero),
                "etablissement_destination": etab(app, PARIS),
                "motif": "Choix du bénéficiaire",
            },
        )
        assert created.status_code == 201, created.get_json()
    client = as_user("certifpro")
    client.get("/rattachements/list/")
    seen = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            response = client.get("/rattachements/list/")
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
    text = page_text(response)
    assert "Gauthier Nathan-Marie" in text and "Blanchard Théo-Marie" in text
    assert len([s for s in seen if s.lstrip().startswith("SELECT candidature.")]) == 1


def test_the_request_page_opens_only_from_ones_own_search_result(app, as_user):
    """issue 11: the page shows a file outside the perimeter (numéro, candidate, establishment, status), so it is
    reached from a national search result only — never by walking ids, nor with another user's link."""
    pk = dossier(app, "2026000001")
    client = as_user("etab2.user")
    for guessed in (f"/rattachements/demander/{pk}", "/rattachements/demander/abc", "/rattachements/demander/1.2"):
        refused = client.get(guessed)
        assert refused.status_code == 404 and "Moreau" not in page_text(refused), guessed
        assert client.post(guessed, data={"motif": "Autre"}).status_code == 404
    url = lien_de_recherche(client, "2026000001")
    assert "Moreau Camille" in page_text(client.get(url))
    # Another establishment user holding the same link gets nothing.
    colleague = as_user("org2.admin")
    assert colleague.get(url).status_code == 404
    # A tampered reference neither.
    assert client.get(url[:-3] + ("aaa" if not url.endswith("aaa") else "bbb")).status_code == 404
