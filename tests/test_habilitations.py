"""Habilitations through the UI (guide §12–13): ask, validate, reject, renew once; "habilitée today"."""

import datetime

from sqlalchemy import select

from app.domain.habilitations import date_fin
from app.extensions import db
from app.models import AuditLog, DemandeHabilitation, Etablissement, Notification, Utilisateur
from app.services import habilitations
from tests.conftest import demo, page_text


def etab_id(app, nom):
    with app.app_context():
        return demo(Etablissement, nom=nom).id


def pending_request(app, nom):
    with app.app_context():
        return (
            db.session.execute(
                select(DemandeHabilitation).where(
                    DemandeHabilitation.etablissements.any(nom=nom),
                    DemandeHabilitation.etat == DemandeHabilitation.EN_ATTENTE,
                )
            )
            .scalars()
            .first()
        )


def test_three_years_and_leap_day():
    assert date_fin(datetime.date(2026, 1, 15)) == datetime.date(2029, 1, 15)
    assert date_fin(datetime.date(2028, 2, 29)) == datetime.date(2031, 2, 28)


def test_habilitee_today_is_computed_from_validated_periods(ctx):
    assert habilitations.est_habilitee(demo(Etablissement, nom="Avenir Paris République"))
    assert not habilitations.est_habilitee(demo(Etablissement, nom="Avenir Paris Lille"))  # expired
    assert not habilitations.est_habilitee(demo(Etablissement, nom="Avenir Ouest Rennes"))  # pending
    assert not habilitations.est_habilitee(demo(Etablissement, nom="Avenir Ouest Nantes"))  # rejected


def test_establishment_page_shows_its_three_tabs_and_state(app, as_user):
    text = page_text(as_user("org.admin").get(f"/etablissements/show/{etab_id(app, 'Avenir Paris Lille')}"))
    for label in (
        "Informations Etablissement",
        "Habilitation(s) en cours",
        "Actions effectuées sur cet établissement",
        "Faire une demande",
        "Non habilité aujourd'hui",
    ):
        assert label in text
    assert "Validée" in text and "Certif Pro" in text


def test_ask_validate_with_audit_and_notifications(app, as_user):
    lille = etab_id(app, "Avenir Paris Lille")
    org_admin = as_user("org.admin")
    form = org_admin.get(f"/habilitations/demander?etablissement={lille}")
    assert "Du CERTIF PRO" in page_text(form) and "D'une ou plusieurs CPNE" in page_text(form)
    response = org_admin.post(
        "/habilitations/demander",
        data={"etablissement": lille, "etablissements": [lille], "aupres": "certif_pro", "certification": "clea"},
        follow_redirects=True,
    )
    assert "Votre demande d'habilitation a été envoyée." in page_text(response)
    demande = pending_request(app, "Avenir Paris Lille")
    assert demande is not None and demande.etat_label == "En attente"

    # A second request for the same establishment while one is pending is refused.
    again = org_admin.post(
        "/habilitations/demander",
        data={"etablissement": lille, "etablissements": [lille], "aupres": "certif_pro"},
        follow_redirects=True,
    )
    assert "Une demande est déjà en attente" in page_text(again)

    # The organisation admin cannot decide.
    assert org_admin.post(f"/habilitations/{demande.id}/valider", data={}).status_code == 403

    certifpro = as_user("certifpro")
    page = page_text(certifpro.get(f"/habilitations/show/{demande.id}"))
    assert "Valider la demande" in page and "Rejeter la demande" in page
    response = certifpro.post(
        f"/habilitations/{demande.id}/valider", data={"date_debut": "15/01/2026"}, follow_redirects=True
    )
    text = page_text(response)
    assert "L'habilitation est validée." in text
    assert "15/01/2026" in text and "15/01/2029" in text
    # Deciding twice is refused with a clear message.
    twice = certifpro.post(f"/habilitations/{demande.id}/valider", data={}, follow_redirects=True)
    assert "Cette demande a déjà été traitée." in page_text(twice)

    with app.app_context():
        assert habilitations.est_habilitee(demo(Etablissement, nom="Avenir Paris Lille"))
        line = (
            db.session.execute(
                select(AuditLog).where(
                    AuditLog.entity_type == "Demande d'habilitation",
                    AuditLog.entity_id == demande.id,
                    AuditLog.action == "decision",
                    AuditLog.etablissement_id == lille,
                )
            )
            .scalars()
            .one()
        )
        assert line.libelle == "Validation de l'habilitation" and line.user_name == "Anne Lefèvre"
        assert line.changes["etat"] == ["en_attente", "validee"]
        org_admin_user = demo(Utilisateur, username="org.admin")
        notes = (
            db.session.execute(select(Notification).where(Notification.user_id == org_admin_user.id)).scalars().all()
        )
        assert [n.rubrique for n in notes] == ["Dossier d'habilitation"]
    # The decision is in the establishment's trail.
    trail = page_text(org_admin.get(f"/etablissements/show/{lille}"))
    assert "Validation de l'habilitation" in trail and "Anne Lefèvre" in trail


def test_reject_requires_a_motif_then_shows_it(app, as_user):
    demande = pending_request(app, "Avenir Ouest Rennes")
    certifpro = as_user("certifpro")
    empty = certifpro.post(f"/habilitations/{demande.id}/rejeter", data={"motif": "  "}, follow_redirects=True)
    assert "Le motif du rejet est obligatoire." in page_text(empty)
    done = certifpro.post(
        f"/habilitations/{demande.id}/rejeter", data={"motif": "Évaluateurs non qualifiés."}, follow_redirects=True
    )
    assert "La demande d'habilitation est rejetée." in page_text(done)
    shown = page_text(as_user("reseau.admin").get(f"/etablissements/show/{etab_id(app, 'Avenir Ouest Rennes')}"))
    assert "Rejetée" in shown and "Évaluateurs non qualifiés." in shown


def test_renewal_is_allowed_once(app, as_user):
    with app.app_context():
        current = habilitations.habilitation_en_cours(demo(Etablissement, nom="Avenir Paris République"))
        current_id, current_end = current.id, current.date_fin
    org_admin = as_user("org.admin")
    assert "Demander le renouvellement" in page_text(org_admin.get(f"/habilitations/show/{current_id}"))
    response = org_admin.post(f"/habilitations/{current_id}/renouveler", follow_redirects=True)
    assert "La demande de renouvellement a été envoyée." in page_text(response)
    again = org_admin.post(f"/habilitations/{current_id}/renouveler", follow_redirects=True)
    assert "Un renouvellement de cette habilitation a déjà été demandé." in page_text(again)
    with app.app_context():
        renewal = db.session.execute(
            select(DemandeHabilitation).where(DemandeHabilitation.renouvelle_id == current_id)
        ).scalar_one()
        renewal_id = renewal.id
    # Validated without a date, the renewal follows the current period without a gap.
    as_user("certifpro").post(f"/habilitations/{renewal_id}/valider", data={})
    with app.app_context():
        renewal = db.session.get(DemandeHabilitation, renewal_id)
        assert renewal.date_debut == current_end + datetime.timedelta(days=1)
    # A renewal cannot be renewed: after 6 years a new initial request is needed.
    third = org_admin.post(f"/habilitations/{renewal_id}/renouveler", follow_redirects=True)
    assert "déjà été renouvelée une fois" in page_text(third)


def test_branch_request_is_decided_by_that_branch_only(app, as_user):
    demande = pending_request(app, "Compétences Méditerranée Montpellier")
    # Another certifier does not even see it.
    assert as_user("certif.idf").get(f"/habilitations/show/{demande.id}").status_code == 404
    branch = as_user("branche.commerce")
    assert "Valider la demande" in page_text(branch.get(f"/habilitations/show/{demande.id}"))
    done = branch.post(f"/habilitations/{demande.id}/valider", data={}, follow_redirects=True)
    assert "L'habilitation est validée." in page_text(done)


def test_inactive_establishment_cannot_ask(app, as_user):
    with app.app_context():
        etab = demo(Etablissement, nom="Avenir Ouest Nantes")
        etab.actif = False
        db.session.commit()
        etab_pk = etab.id
    response = as_user("reseau.admin").post(
        "/habilitations/demander",
        data={"etablissement": etab_pk, "etablissements": [etab_pk], "aupres": "certif_pro"},
        follow_redirects=True,
    )
    assert "est inactif : aucune activité n'est possible" in page_text(response)
