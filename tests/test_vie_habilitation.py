"""The life of an accorded habilitation (issue 15, habilitation.md §4, api.md « Life of an habilitation »):
suspension and its lifting, withdrawal, renunciation with its 3 months, the daily job's outcomes; each decision
immediate on the rights, notified to every user of the organisation and its network admins, with its PDF notice."""

import datetime

from sqlalchemy import select

from app.domain.habilitations import dans_trois_mois
from app.extensions import db
from app.models import Candidature, DemandeHabilitation, Etablissement, Notification, Utilisateur
from app.models.habilitations import AvisDossier
from app.services import dossiers, habilitations, vie_habilitation
from tests.conftest import demo, page_text

TODAY = datetime.date.today()


def republique_clea(app):
    with app.app_context():
        etab = demo(Etablissement, nom="Avenir Paris République")
        return (
            db.session.execute(
                select(DemandeHabilitation.id).where(
                    DemandeHabilitation.etablissements.any(id=etab.id),
                    DemandeHabilitation.etat == "accordee",
                    DemandeHabilitation.certification == "clea",
                )
            ).scalar_one(),
            etab.id,
        )


def act(api, user, pk, action, **body):
    return api(user).post(f"/api/v1/habilitation/{pk}/{action}", json=body)


def titles(user_name):
    user = demo(Utilisateur, username=user_name)
    return set(db.session.execute(select(Notification.titre).where(Notification.user_id == user.id)).scalars())


def test_suspension_is_immediate_notified_to_everyone_and_lifted(app, api):
    pk, etab_id = republique_clea(app)
    shown = api("org.admin").get(f"/api/v1/habilitation/{pk}").get_json()["result"]
    assert shown["statut_habilitation"] == "active"
    # Who may: the instance, not the organisation; a motif is required.
    assert act(api, "org.admin", pk, "suspendre", motif="x").status_code == 403
    assert act(api, "certifpro", pk, "suspendre").get_json()["message"] == {
        "motif": ["Le motif de la décision est obligatoire."]
    }
    done = act(api, "certifpro", pk, "suspendre", motif="Manquements graves constatés à l'audit.")
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["result"]["statut_habilitation"] == "suspendue"
    with app.app_context():
        etab = db.session.get(Etablissement, etab_id)
        assert not habilitations.est_habilitee(etab, certification="clea")
        # Every user of the organisation and the network admins hear of it.
        for user in ("org.admin", "org.user", "etab.admin", "etab.user", "reseau.admin"):
            assert "Suspension de l'habilitation" in titles(user), user
        assert "Suspension de l'habilitation" not in titles("reseau2.admin")
        notice = db.session.execute(
            select(AvisDossier).where(AvisDossier.dossier_id == pk, AvisDossier.nature == "suspension")
        ).scalar_one()
        assert notice.pdf.startswith(b"%PDF-")
    # Not twice; the organisation cannot lift it.
    again = act(api, "certifpro", pk, "suspendre", motif="Encore")
    assert again.status_code == 409
    assert again.get_json()["message"] == (
        "L'action « Suspendre l'habilitation » n'est pas possible pour une habilitation au statut « Suspendue »."
    )
    assert act(api, "org.admin", pk, "lever_suspension").status_code == 403
    lifted = act(api, "certifpro", pk, "lever_suspension")
    assert lifted.status_code == 200 and lifted.get_json()["result"]["statut_habilitation"] == "active"
    with app.app_context():
        assert habilitations.est_habilitee(db.session.get(Etablissement, etab_id), certification="clea")


def test_withdrawal_removes_the_body_from_the_directory_and_lists_the_decision(app, api):
    pk, _etab_id = republique_clea(app)
    future = (TODAY + datetime.timedelta(days=3)).isoformat()
    assert act(api, "certifpro", pk, "retirer", motif="Fraude", date=future).get_json()["message"] == {
        "date": ["Le retrait est immédiat : sa date ne peut pas être dans le futur."]
    }
    done = act(api, "certifpro", pk, "retirer", motif="Fraude aux évaluations.")
    assert done.status_code == 200 and done.get_json()["result"]["statut_habilitation"] == "retiree"
    page = page_text(app.test_client().get("/annuaire/"))
    assert (
        f"Organisme A1 — Avenir Paris Avenir Paris République CléA Retrait de l'habilitation {TODAY:%d/%m/%Y}" in page
    )
    # Withdrawn is final.
    assert act(api, "certifpro", pk, "lever_suspension").status_code == 409
    # The branch that did not grant it decides nothing on it (it does not even see it).
    assert act(api, "branche.commerce", pk, "suspendre", motif="x").status_code == 404


def test_renunciation_takes_effect_three_months_after_receipt(app, api, monkeypatch):
    pk, etab_id = republique_clea(app)
    assert act(api, "certifpro", pk, "renoncer", motif="x").status_code == 403  # the organisation's act
    done = act(api, "org.admin", pk, "renoncer", motif="Nous cessons l'activité CléA.")
    assert done.status_code == 200, done.get_json()
    result = done.get_json()["result"]
    effect = dans_trois_mois(TODAY)
    assert result["renonciation_effet"] == effect.isoformat() and result["statut_habilitation"] == "active"
    twice = act(api, "org.admin", pk, "renoncer", motif="Encore")
    assert twice.status_code == 409 and f"prend effet le {effect:%d/%m/%Y}" in twice.get_json()["message"]
    with app.app_context():
        assert "Renonciation à une habilitation" in titles("certifpro")
        etab = db.session.get(Etablissement, etab_id)
        assert habilitations.est_habilitee(etab, certification="clea")  # until the effective date
        assert not habilitations.est_habilitee(etab, effect, certification="clea")
        # The daily job: on the effective date it becomes « renoncée », with its audit line.
        monkeypatch.setattr(dossiers, "today", lambda: effect)
        assert vie_habilitation.quotidien(effect)["renoncees"] >= 1  # the demo's pending renunciation too
        assert db.session.get(DemandeHabilitation, pk).statut_habilitation == "renoncee"
        assert vie_habilitation.quotidien(effect)["renoncees"] == 0  # once
        # A file already registered there is not lost: it stays in the establishment.
        assert db.session.execute(select(Candidature.id).where(Candidature.etablissement_id == etab_id)).first()


def test_the_daily_job_expires_an_habilitation_past_its_end(app):
    with app.app_context():
        lille = demo(Etablissement, nom="Avenir Paris Lille")
        expired = db.session.execute(
            select(DemandeHabilitation).where(
                DemandeHabilitation.etablissements.any(id=lille.id), DemandeHabilitation.etat == "accordee"
            )
        ).scalar_one()
        assert expired.date_fin < TODAY and expired.statut_habilitation == "active"
        assert vie_habilitation.quotidien(TODAY)["expirees"] >= 1
        assert db.session.get(DemandeHabilitation, expired.id).statut_habilitation == "expiree"


def test_the_dossier_page_offers_the_decisions_and_states_the_status(app, as_user):
    pk, etab_id = republique_clea(app)
    certifpro = as_user("certifpro")
    page = page_text(certifpro.get(f"/habilitations/show/{pk}"))
    assert "Statut de l'habilitation Active" in page
    assert "Suspendre l'habilitation" in page and "Retirer l'habilitation" in page
    assert "Renoncer à l'habilitation" not in page  # the organisation's button
    suspended = certifpro.post(
        f"/habilitations/{pk}/action/suspendre", data={"motif": "Audit défavorable."}, follow_redirects=True
    )
    text = page_text(suspended)
    assert "L'habilitation est suspendue : l'organisme en est notifié." in text
    assert f"Statut de l'habilitation Suspendue depuis le {TODAY:%d/%m/%Y} — Audit défavorable." in text
    assert "Lever la suspension" in text and "Décision de suspension de l'habilitation" in text
    org = page_text(as_user("org.admin").get(f"/habilitations/show/{pk}"))
    assert "Renoncer à l'habilitation" in org and "Lever la suspension" not in org
    etab_page = page_text(as_user("org.admin").get(f"/etablissements/show/{etab_id}"))
    assert "Suspendue" in etab_page
    assert certifpro.post(f"/habilitations/{pk}/action/expirer").status_code == 404  # the daily job's alone


def test_decisions_on_a_dossier_not_accorded_are_refused(app, api):
    with app.app_context():
        draft = db.session.execute(
            select(DemandeHabilitation.id).where(DemandeHabilitation.etat == "brouillon")
        ).scalar()
    refused = act(api, "certifpro", draft, "suspendre", motif="x")
    assert refused.status_code == 409
    assert "n'est pas une habilitation accordée (statut « Brouillon »)" in refused.get_json()["message"]


def test_a_used_habilitation_is_renewed_once_automatically_at_its_end(app):
    """Used (a finalised evaluation under it) and active: renewed for 3 years by the daily job, once; the 90-day
    reminder says so; a renewal reaching its end expires and asks for a new dossier."""
    from app.models.evaluations import Evaluation
    from app.services.rappels import rappels_habilitation

    with app.app_context():
        pk, etab_id = republique_clea(app)
        habilitation = db.session.get(DemandeHabilitation, pk)
        candidature = (
            db.session.execute(
                select(Candidature).where(Candidature.etablissement_id == etab_id, Candidature.certification == "clea")
            )
            .scalars()
            .first()
        )
        used = (
            db.session.execute(select(Evaluation).where(Evaluation.candidature_id == candidature.id)).scalars().first()
        )
        if used is None or used.etat != "finalisee":
            db.session.add(
                Evaluation(
                    candidature_id=candidature.id,
                    evaluateur_nom="Durand",
                    evaluateur_prenom="Alice",
                    evaluateur_email="alice@of.example",
                    date_evaluation=habilitation.date_debut + datetime.timedelta(days=5),
                    etat="finalisee",
                )
            )
        else:
            used.date_evaluation = habilitation.date_debut + datetime.timedelta(days=5)
        db.session.commit()
        end = habilitation.date_fin
        assert habilitations.issue_du_terme(habilitation) == "renouvellement"
        rappels_habilitation(end - datetime.timedelta(days=90))
        reminder = (
            db.session.execute(
                select(Notification.contenu).where(
                    Notification.lien == f"/habilitations/show/{pk}", Notification.titre.like("%à renouveler%")
                )
            )
            .scalars()
            .first()
        )
        assert "elle sera renouvelée automatiquement pour 3 ans à cette date" in reminder
        done = vie_habilitation.quotidien(end + datetime.timedelta(days=1))
        assert done["renouvelees"] == 1
        renewal = db.session.execute(
            select(DemandeHabilitation).where(DemandeHabilitation.renouvelle_id == pk)
        ).scalar_one()
        assert renewal.date_debut == end + datetime.timedelta(days=1)
        assert (renewal.statut_habilitation, renewal.type) == ("active", "renouvellement")
        assert habilitations.est_habilitee(db.session.get(Etablissement, etab_id), renewal.date_debut, "clea")
        assert "Renouvellement automatique de l'habilitation" in titles("org.admin")
        # Once only: at the renewal's end it expires, and a new dossier is needed.
        assert habilitations.issue_du_terme(renewal) == "nouveau_dossier"
        after = vie_habilitation.quotidien(renewal.date_fin + datetime.timedelta(days=1))
        assert after["expirees"] >= 1 and after["renouvelees"] == 0
        assert db.session.get(DemandeHabilitation, renewal.id).statut_habilitation == "expiree"
        assert "Fin de l'habilitation" in titles("org.admin")


def test_demo_and_stats_show_the_life_of_habilitations(app, as_user):
    with app.app_context():
        statuses = set(
            db.session.execute(
                select(DemandeHabilitation.statut_habilitation).where(DemandeHabilitation.etat == "accordee")
            ).scalars()
        )
        assert {"active", "suspendue"} <= statuses
        assert db.session.execute(
            select(DemandeHabilitation.id).where(DemandeHabilitation.renonciation_effet > TODAY)
        ).first()
    page = page_text(as_user("certifpro").get("/stats/"))
    assert "Habilitations accordées, par statut Active" in page and "Suspendue 1" in page
    directory = page_text(app.test_client().get("/annuaire/"))
    assert "Compétences Méditerranée Montpellier CléA numérique Suspension de l'habilitation" in directory


def test_the_list_shows_suspensions_and_renunciations(app, as_user):
    page = page_text(as_user("certifpro").get("/habilitations/list/"))
    assert "Habilitation accordée — Suspendue" in page
    assert "Habilitation accordée — renonciation le" in page
