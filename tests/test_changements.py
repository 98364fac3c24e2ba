"""Changes of situation (issue 15 point 5, seed 001 §III.6): declared by the organisation within 30 days, taken
into account by Certif Pro — a new establishment with the same SIREN joins the habilitation in force without a
new dossier — or answered with a maintien temporaire (a new dossier within 6 months); UI and API."""

import datetime

from sqlalchemy import select

from app.domain.habilitations import dans_trois_mois
from app.extensions import db
from app.models import DemandeHabilitation, Etablissement, Notification, Organisme, Utilisateur
from app.services import habilitations
from tests.conftest import demo, page_text

TODAY = datetime.date.today()


def ids(app):
    with app.app_context():
        return demo(Organisme, nom="Organisme A1 — Avenir Paris").id, demo(Etablissement, nom="Avenir Paris Lille").id


def test_a_new_establishment_joins_the_habilitation_in_force(app, api):
    org, lille = ids(app)
    body = {
        "organisme": org,
        "nature": "ouverture_etablissement",
        "date": (TODAY - datetime.timedelta(days=3)).isoformat(),
        "description": "Ouverture de l'établissement de Lille.",
    }
    missing = api("org.admin").post("/api/v1/changementsituation/", json=body)
    assert missing.status_code == 422
    assert missing.get_json()["message"]["etablissement"] == [
        "Indiquez le nouvel établissement (créé sous le même SIREN)."
    ]
    declared = api("org.admin").post("/api/v1/changementsituation/", json={**body, "etablissement": lille})
    assert declared.status_code == 201, declared.get_json()
    pk = declared.get_json()["id"]
    assert declared.get_json()["result"]["etat"] == "declare" and declared.get_json()["result"]["hors_delai"] is False
    with app.app_context():
        certifpro = demo(Utilisateur, username="certifpro")
        assert db.session.execute(
            select(Notification).where(
                Notification.user_id == certifpro.id, Notification.titre == "Changement de situation déclaré"
            )
        ).first()
        assert not habilitations.est_habilitee(db.session.get(Etablissement, lille), certification="clea")
    # The organisation does not decide; another network does not see it; Certif Pro takes note.
    assert api("org.admin").post(f"/api/v1/changementsituation/{pk}/prendre_acte").status_code == 403
    assert api("reseau2.admin").get(f"/api/v1/changementsituation/{pk}").status_code == 404
    done = api("certifpro").post(f"/api/v1/changementsituation/{pk}/prendre_acte")
    assert done.status_code == 200 and done.get_json()["result"]["etat"] == "pris_en_compte"
    with app.app_context():
        assert habilitations.est_habilitee(db.session.get(Etablissement, lille), certification="clea")
        notice = db.session.execute(
            select(Notification.contenu).where(
                Notification.titre == "Changement de situation pris en compte",
                Notification.user_id == demo(Utilisateur, username="org.admin").id,
            )
        ).scalar_one()
        assert (
            "L'établissement « Avenir Paris Lille » rejoint l'habilitation" in notice
            and "sans nouveau dossier" in notice
        )
    again = api("certifpro").post(f"/api/v1/changementsituation/{pk}/prendre_acte")
    assert again.status_code == 409


def test_a_late_merger_is_flagged_and_kept_temporarily(app, api, as_user):
    org, _ = ids(app)
    body = {
        "organisme": org,
        "nature": "fusion",
        "date": (TODAY - datetime.timedelta(days=45)).isoformat(),
        "description": "Fusion avec l'organisme Avenir Nord.",
    }
    assert api("org.admin").post("/api/v1/changementsituation/", json={**body, "nature": "déménagement"}).get_json()[
        "message"
    ]["nature"] == ["Nature inconnue : choisissez-la dans la liste du règlement."]
    future = {**body, "date": (TODAY + datetime.timedelta(days=2)).isoformat()}
    assert (
        "dans le futur"
        in api("org.admin").post("/api/v1/changementsituation/", json=future).get_json()["message"]["date"][0]
    )
    assert api("org.user").post("/api/v1/changementsituation/", json=body).status_code == 403
    declared = api("org.admin").post("/api/v1/changementsituation/", json=body)
    pk = declared.get_json()["id"]
    assert declared.get_json()["result"]["hors_delai"] is True
    kept = api("certifpro").post(f"/api/v1/changementsituation/{pk}/maintenir")
    assert kept.status_code == 200
    limit = dans_trois_mois(dans_trois_mois(TODAY))
    assert kept.get_json()["result"]["maintien_jusqu_au"] == limit.isoformat()
    page = page_text(as_user("org.admin").get("/changements/"))
    assert "Fusion" in page and "hors délai" in page and f"nouveau dossier avant le {limit:%d/%m/%Y}" in page
    assert "Déclarer un changement de situation" in page
    with app.app_context():
        # The habilitation itself stays in force meanwhile.
        republique = demo(Etablissement, nom="Avenir Paris République")
        assert habilitations.est_habilitee(republique, certification="clea")
        assert db.session.execute(select(DemandeHabilitation.id).where(DemandeHabilitation.organisme_id == org)).first()


def test_the_page_declares_and_certif_pro_takes_note(app, as_user):
    org, _ = ids(app)
    declared = as_user("org.admin").post(
        "/changements/declarer",
        data={
            "organisme": org,
            "nature": "dirigeants",
            "date": TODAY.strftime("%d/%m/%Y"),
            "description": "Nouvelle directrice.",
        },
        follow_redirects=True,
    )
    assert "Le changement de situation est déclaré à Certif Pro." in page_text(declared)
    certifpro = page_text(as_user("certifpro").get("/changements/"))
    assert "Changement de dirigeants" in certifpro and "Prendre acte" in certifpro
    assert "Prendre acte" not in page_text(as_user("org.admin").get("/changements/"))
