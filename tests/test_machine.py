"""The state-machine engine (app/domain/machine.py, app/services/workflow.py) and the start-up checks.

The recipe of ARCHITECTURE.md « Add a status » is followed here: a throw-away status and its event are added by
data only (no new service code), and the one engine runs it with its perimeter, lock, refusal, audit line and
notices."""

import dataclasses

import pytest
from sqlalchemy import select

from app.domain import access, statuts
from app.domain.errors import DomainError, Forbidden, NotFound, ValidationFailed
from app.domain.machine import Event, Machine, Notice
from app.extensions import db
from app.models import AuditLog, Candidature, Notification, Utilisateur
from app.services import workflow
from tests.conftest import demo

EN_PAUSE = "en_pause"


@pytest.fixture
def pause_machine():
    """The candidature machine plus one status and one event, as data."""
    machine = dataclasses.replace(
        statuts.CANDIDATURE,
        name="candidature_pause",
        labels={**statuts.LABELS, EN_PAUSE: "En pause"},
        groups={**statuts.CANDIDATURE.groups, "en_pause": frozenset({EN_PAUSE})},
        events={
            **statuts.CANDIDATURE.events,
            "mettre_en_pause": Event(
                frozenset({statuts.A_ENVOYER_CERTIFICATION}),
                "evaluations.modifier",
                "Mettre en pause",
                target=EN_PAUSE,
                audit="Mise en pause du dossier",
                notices=(
                    Notice(
                        "organisme",
                        "Dossier de candidature",
                        "Dossier en pause",
                        "Le dossier {numero_dossier} est en pause.",
                    ),
                ),
            ),
        },
    )
    workflow.bind(machine, workflow.BINDINGS["candidature"])
    yield machine
    workflow.BINDINGS.pop("candidature_pause")


def _file(statut, username="etab.user"):
    """A demo file of etab.user's establishment (A1-1) at this status."""
    etablissement_id = demo(Utilisateur, username=username).etablissement_id
    return (
        db.session.execute(
            select(Candidature).where(Candidature.statut == statut, Candidature.etablissement_id == etablissement_id)
        )
        .scalars()
        .first()
    )


def test_a_status_added_by_data_only_runs_through_the_engine(ctx, pause_machine):
    user = demo(Utilisateur, username="etab.user")
    candidature = _file(statuts.A_ENVOYER_CERTIFICATION)
    assert "mettre_en_pause" in pause_machine.allowed_events(candidature.statut, user)
    assert "mettre_en_pause" not in pause_machine.allowed_events(candidature.statut, "Membre de jury")

    done = workflow.run(pause_machine, "mettre_en_pause", user, candidature.id)
    assert done.statut == EN_PAUSE and pause_machine.label(done.statut) == "En pause"
    line = (
        db.session.execute(
            select(AuditLog)
            .where(AuditLog.entity_type == "Candidature", AuditLog.entity_id == candidature.id)
            .order_by(AuditLog.id.desc())
        )
        .scalars()
        .first()
    )
    assert line.libelle == "Mise en pause du dossier"
    notice = db.session.execute(select(Notification).where(Notification.titre == "Dossier en pause")).scalars().all()
    assert notice and all(n.contenu == f"Le dossier {candidature.numero_dossier} est en pause." for n in notice)

    # Twice: the table refuses it from the new status, in French, and nothing changes.
    with pytest.raises(DomainError) as refused:
        workflow.run(pause_machine, "mettre_en_pause", user, candidature.id)
    assert refused.value.status == 409
    assert refused.value.message == (
        "L'action « Mettre en pause » n'est pas possible pour une candidature au statut « En pause »."
    )


def test_the_engine_refuses_by_right_then_by_perimeter(ctx, pause_machine):
    candidature = _file(statuts.ATTENTE_EVALUATION_PREALABLE)
    with pytest.raises(Forbidden) as no_right:
        workflow.run(pause_machine, "mettre_en_pause", demo(Utilisateur, username="jury.idf"), candidature.id)
    assert no_right.value.message == "Votre profil ne permet pas l'action « Mettre en pause »."
    with pytest.raises(NotFound):
        workflow.run(pause_machine, "mettre_en_pause", demo(Utilisateur, username="etab2.user"), candidature.id)
    assert db.session.get(Candidature, candidature.id).statut == statuts.ATTENTE_EVALUATION_PREALABLE


def test_a_machine_refuses_unknown_statuses_at_definition():
    with pytest.raises(ValueError, match="statuts inconnus"):
        Machine(
            name="x",
            labels={"a": "A"},
            initial="a",
            events={"e": Event(frozenset({"a"}), "evaluations.modifier", "E", target="b")},
        )


def test_every_right_of_every_machine_is_in_the_matrix():
    from app.domain.machine import REGISTRY

    assert "candidature" in REGISTRY
    for machine in REGISTRY.values():
        assert set(machine.rights()) <= set(access.RIGHTS) | {access.SYSTEM}


def test_startup_checks_name_what_is_missing(app):
    from app import checks

    class Piece:  # a model with no perimeter rule
        pass

    class FakeDatamodel:
        obj = Piece

    class FakeView:
        datamodel = FakeDatamodel()
        class_permission_name = access.EVALUATIONS

    class FakeAppBuilder:
        baseviews = list(app.appbuilder.baseviews) + [FakeView()]

    assert checks.problems(app.appbuilder) == []
    found = checks.problems(FakeAppBuilder())
    assert found == ["Piece est servi par FakeView sans règle de périmètre (app/security/perimeter.py RULES)."]
    with pytest.raises(checks.StartupError, match="Piece est servi par FakeView"):
        checks.run(FakeAppBuilder())


def test_a_machine_asking_for_an_unknown_right_stops_the_start(app):
    from app import checks
    from app.domain.machine import REGISTRY

    REGISTRY["essai"] = Machine(
        name="essai",
        labels={"a": "A", "b": "B"},
        initial="a",
        events={"e": Event(frozenset({"a"}), "droit_inexistant", "E", target="b")},
    )
    try:
        assert checks.problems(app.appbuilder) == [
            "La machine essai demande des droits absents de la matrice : droit_inexistant."
        ]
    finally:
        REGISTRY.pop("essai")


def test_may_is_the_one_question_and_rights_are_named():
    assert access.may("Administrateur Certif Pro", "changer_certificateur")
    assert not access.may("Certificateur", "changer_certificateur")
    assert access.may("Certificateur", "certification.modifier")
    assert not access.may(None, "evaluations.lire")
    assert not access.may("Administrateur Certif Pro", access.SYSTEM)
    assert access.holders("recevoir_avis_reseau") == [access.ADMIN_RESEAU]
    with pytest.raises(KeyError):
        access.may("Administrateur Certif Pro", "droit_inconnu")
    assert access.MATRIX[access.MEMBRE_JURY].certification == "✏"


@pytest.mark.parametrize(
    "username, action, body",
    [
        ("org.admin", "affecter", {"session_jury_id": 1}),
        ("org.admin", "decision", {"decision": "certifiee"}),
        ("certif.idf", "changer_certificateur", {"certificateur": 1, "commentaire": "x"}),
        ("jury.idf", "envoyer_certification", None),
        ("org.admin", "annuler_envoi", None),
    ],
)
def test_each_api_action_is_gated_by_its_events_right(app, api, username, action, body):
    with app.app_context():
        pk = _file(statuts.ATTENTE_JURY).id
    response = api(username).post(f"/api/v1/candidature/{pk}/{action}", json=body)
    if username == "jury.idf":  # a jury member does not see a file outside its sessions: perimeter first, 404
        assert response.status_code == 404
    else:
        assert response.status_code == 403
        assert response.get_json() == {"message": "Vous n'avez pas les droits nécessaires pour cette action."}
    with app.app_context():
        assert db.session.get(Candidature, pk).statut == statuts.ATTENTE_JURY


def test_the_pages_buttons_post_to_the_one_event_endpoint(app, as_user):
    from tests.conftest import page_text

    with app.app_context():
        pk = _file(statuts.ATTENTE_JURY).id
    refused = as_user("etab.user").post(
        f"/candidatures/{pk}/decision", data={"decision": "certifiee"}, follow_redirects=True
    )
    assert "Votre profil ne permet pas l'action « Enregistrer la décision du jury »." in page_text(refused)
    assert as_user("etab.user").post(f"/candidatures/{pk}/inconnue").status_code == 404
    assert as_user("etab.user").post(f"/candidatures/{pk}/abandon_automatique").status_code == 404
    page = as_user("reseau.admin").get(f"/candidatures/show/{pk}").get_data(as_text=True)
    assert f'action="/candidatures/{pk}/annuler-envoi"' in page
    with app.app_context():
        assert db.session.get(Candidature, pk).statut == statuts.ATTENTE_JURY


def test_structures_and_news_have_one_write_path(app):
    """FAB's pages and REST resources hand every write to the record's service (app/services/ecritures.py)."""
    from app.models import Actualite, Certificateur, Etablissement, Organisme, Reseau
    from app.services import ecritures

    assert {Reseau, Organisme, Etablissement, Certificateur, Actualite} <= set(ecritures.RULES)
    served = [view for view in app.appbuilder.baseviews if getattr(view, "datamodel", None) is not None]
    assert served and all(isinstance(view.datamodel, ecritures.ServiceInterface) for view in served)
    with app.app_context():
        org_admin = demo(Utilisateur, username="org.admin")
        organisme = db.session.get(Organisme, org_admin.organisme_id)
        # The same rules as the page and the API, for any writer: an invalid SIREN, then a Certif Pro-only field.
        organisme.siren = "123456789"
        with pytest.raises(ValidationFailed) as refused:
            ecritures.ecrire(organisme, org_admin)
        assert "siren" in refused.value.errors
        organisme = db.session.get(Organisme, org_admin.organisme_id)
        organisme.actif = False
        with pytest.raises(Forbidden) as forbidden:
            ecritures.ecrire(organisme, org_admin)
        assert forbidden.value.message == (
            "Seul Certif Pro peut modifier le statut Actif d'un organisme ou d'un établissement."
        )
        assert db.session.get(Organisme, org_admin.organisme_id).actif is True


def test_the_candidature_resource_speaks_french(api):
    answer = api("org.admin").get("/api/v1/candidature/").get_json()
    assert answer["list_title"] == "Candidatures"
    labels = answer["label_columns"]
    assert labels["numero_dossier"] == "Numéro de dossier" and labels["date_naissance"] == "Date de naissance"
    assert labels["etablissement.id"] == "Etablissement d'évaluation"
    assert labels["updated_at"] == "Dernière modification"
    shown = set(answer["list_columns"])
    assert all(labels[c] != c.replace("_", " ").title() or c in ("actif", "email", "ville") for c in shown), labels


def test_out_of_perimeter_is_404_before_any_validation(app, api):
    """A file of another network answers 404 even with a body the event would refuse."""
    with app.app_context():
        pk = _file(statuts.ATTENTE_CERTIFICATION, username="etab2.user").id
    answer = api("certif.idf").post(f"/api/v1/candidature/{pk}/decision", json={"decision": "inconnue"})
    assert answer.status_code == 404
    assert answer.get_json() == {"message": "Élément introuvable."}
