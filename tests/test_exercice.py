"""The one rule of habilitations (habilitation.md §4, issue 15 point 1): an establishment registers candidates and
records evaluations or trainings only under an active habilitation for that file's certification — for a socle
contextualisé, one granted by that branch — and an inactive establishment does nothing; UI and API."""

import datetime

from sqlalchemy import select

from app.extensions import db
from app.models import Candidature, DemandeHabilitation, Domaine, Etablissement, Referentiel
from tests.conftest import demo, page_text

TRAINING = {
    "date_debut": "2024-03-01",
    "date_fin": "2024-03-15",
    "duree_heures": 12,
    "formateur_nom": "Api",
    "formateur_prenom": "Léo",
    "formateur_email": "leo@of.example",
}


def file_and_domain(app, numero="2026000002"):
    with app.app_context():
        candidature = demo(Candidature, numero_dossier=numero)
        domaine = db.session.execute(
            select(Domaine.id).join(Referentiel).where(Referentiel.certification == "clea").order_by(Domaine.ordre)
        ).scalar()
        return candidature.id, candidature.etablissement_id, domaine


def set_state(app, etablissement_id, **values):
    with app.app_context():
        for habilitation in db.session.execute(
            select(DemandeHabilitation).where(
                DemandeHabilitation.etablissements.any(id=etablissement_id),
                DemandeHabilitation.etat == "accordee",
                DemandeHabilitation.certification == "clea",
            )
        ).scalars():
            for key, value in values.items():
                setattr(habilitation, key, value)
        db.session.commit()


def test_a_suspended_habilitation_stops_new_work_everywhere(app, api, as_user):
    pk, etab_id, domaine = file_and_domain(app)
    set_state(app, etab_id, statut_habilitation="suspendue")
    with app.app_context():
        nom = db.session.get(Etablissement, etab_id).nom
    message = (
        f"L'habilitation CléA de l'établissement « {nom} » est suspendue : aucune nouvelle candidature, "
        "évaluation ou formation n'est possible."
    )
    training = api("org.admin").post("/api/v1/formation/", json={**TRAINING, "candidature": pk, "domaines": [domaine]})
    assert training.status_code == 409 and training.get_json()["message"] == message
    evaluation = api("org.admin").post(
        "/api/v1/evaluation/",
        json={
            "candidature": pk,
            "evaluateur_nom": "Durand",
            "evaluateur_prenom": "Alice",
            "date_evaluation": "2026-01-20",
        },
    )
    assert evaluation.status_code == 409 and evaluation.get_json()["message"] == message
    page = page_text(as_user("etab.user").get(f"/candidatures/show/{pk}"))
    assert "Créer la formation" not in page and "Ajouter une évaluation" not in page
    # Per certification: its CléA numérique habilitation still stands.
    from app.services import habilitations

    with app.app_context():
        etab = db.session.get(Etablissement, etab_id)
        assert not habilitations.est_habilitee(etab, certification="clea")
        assert habilitations.est_habilitee(etab, certification="clea_numerique")


def test_a_renunciation_stops_new_candidates_but_lets_registered_files_be_completed(app, api):
    from tests.test_api_candidatures import body as candidate

    pk, etab_id, domaine = file_and_domain(app)
    body = {**TRAINING, "candidature": pk, "domaines": [domaine]}
    set_state(app, etab_id, renonciation_effet=datetime.date.today() + datetime.timedelta(days=5))
    assert api("org.admin").post("/api/v1/formation/", json=body).status_code == 201  # not yet
    set_state(app, etab_id, renonciation_effet=datetime.date.today())
    # A file already registered is completed to the end: its trainings go on.
    assert api("org.admin").post("/api/v1/formation/", json={**body, "formateur_nom": "Autre"}).status_code == 201
    refused = api("org.admin").post("/api/v1/candidature/", json=candidate(etab_id))
    assert refused.status_code == 422
    assert refused.get_json()["message"]["etablissement"] == [
        f"L'habilitation CléA de l'établissement « Avenir Paris République » a pris fin par renonciation le "
        f"{datetime.date.today():%d/%m/%Y} : aucune nouvelle candidature n'est possible ; les dossiers des "
        "candidats déjà inscrits peuvent être menés à leur terme."
    ]


def test_an_inactive_establishment_adds_no_training(app, api):
    pk, etab_id, domaine = file_and_domain(app)
    with app.app_context():
        etab = db.session.get(Etablissement, etab_id)
        etab.actif = False
        db.session.commit()
        nom = etab.nom
    refused = api("certifpro").post("/api/v1/formation/", json={**TRAINING, "candidature": pk, "domaines": [domaine]})
    assert refused.status_code == 409
    assert refused.get_json()["message"] == f"L'établissement « {nom} » est inactif : aucune activité n'est possible."


def test_a_socle_contextualise_is_evaluated_only_under_its_branch_habilitation(app, api):
    pk, _etab_id, domaine = file_and_domain(app)
    branche = "Commerce de détail et de gros à prédominance alimentaire"
    with app.app_context():
        candidature = db.session.get(Candidature, pk)
        candidature.statut_inscription, candidature.branche, candidature.socle_contextualise = "Salarié", branche, True
        db.session.commit()
    refused = api("org.admin").post("/api/v1/formation/", json={**TRAINING, "candidature": pk, "domaines": [domaine]})
    assert refused.status_code == 409
    assert (
        f"Un socle contextualisé de la branche « {branche} » suppose une habilitation CléA accordée par cette"
        in (refused.get_json()["message"])
    )


def test_creation_follows_the_file_s_certification_in_the_api_and_the_form(app, api, as_user):
    from tests.test_api_candidatures import body
    from tests.test_candidatures_ui import form

    with app.app_context():
        lyon = demo(Etablissement, nom="Indépendant Lyon").id  # CléA only
    refused = api("certifpro").post("/api/v1/candidature/", json=body(lyon, certification="clea_numerique"))
    assert refused.status_code == 422
    assert refused.get_json()["message"]["etablissement"] == [
        "L'établissement « Indépendant Lyon » n'a pas d'habilitation CléA numérique valide aujourd'hui."
    ]
    assert api("certifpro").post("/api/v1/candidature/", json=body(lyon)).status_code == 201
    page = as_user("certifpro").post(
        "/candidatures/proposer", data={**form(lyon), "certification": "clea_numerique", "nom_naissance": "Forme"}
    )
    assert "n'a pas d'habilitation CléA numérique valide aujourd'hui." in page_text(page)
