"""Habilitations through the UI (guide §12–13): ask, validate, reject, renew once; "habilitée today"."""

import datetime

from sqlalchemy import select

from app.domain.habilitations import date_fin
from app.extensions import db
from app.models import AuditLog, DemandeHabilitation, Etablissement, Notification, Utilisateur
from app.models.habilitations import AvisDossier
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
        "Déposer un dossier d'habilitation",
        "Non habilité aujourd'hui",
    ):
        assert label in text
    assert "Habilitation accordée" in text and "Certif Pro" in text
    # Only the organisation and network administrators file a dossier.
    other = page_text(as_user("org.user").get(f"/etablissements/show/{etab_id(app, 'Avenir Paris Lille')}"))
    assert "Déposer un dossier d'habilitation" not in other


def _form(dossier_id, app, **changes):
    """The draft's form, filled with every answer (what a person types), as the page posts it."""
    from app.services import dossiers

    with app.app_context():
        domaines = dossiers.sous_domaines("clea")
        lille = demo(Etablissement, nom="Avenir Paris Lille").id
    data = {
        "type_candidature": "individuelle",
        "activite_principale": "Formation continue",
        "adresse": "1 rue de Lille",
        "code_postal": "59000",
        "ville": "Lille",
        "date_creation": "01/03/2005",
        "effectif": "12",
        "contact_nom": "Sophie Durand",
        "contact_email": "contact@avenir.example",
        "contact_telephone": "01 02 03 04 05",
        "label_qualite": "qualiopi",
        "premiere_demande": "non",
        "couverture": "regionale",
        "regions": ["Hauts-de-France"],
        "etablissements": [lille],
        "motivation": "Former nos stagiaires.",
        "promotion": "Réunions d'information.",
        "processus_evaluation": "Positionnement puis évaluations.",
        "accompagnement": "Un référent par candidat.",
        "references": "Cent parcours par an.",
        "engagement_lu": "1",
        "engagement_signataire": "Sophie Durand",
        "engagement_qualite": "Directrice",
        "engagement_lieu": "Lille",
        "engagement_date": datetime.date.today().strftime("%d/%m/%Y"),
        "intervenants-0-nom": "Bernard",
        "intervenants-0-prenom": "Alice",
        "intervenants-0-role": "Evaluatrice",
        "intervenants-0-qualification": "FPA",
        "intervenants-1-nom": "",
        "intervenants-1-prenom": "",
        "intervenants-1-role": "",
        "intervenants-1-qualification": "",
    }
    for year, index in ((2023, 0), (2024, 1), (2025, 2)):
        data[f"chiffres_affaires-{index}-annee"] = str(year)
        data[f"chiffres_affaires-{index}-montant"] = "100000"
    for index, (_, sds) in enumerate(domaines):
        for key, value in {
            "sous_domaine": sds[0].code,
            "mode": "presentiel",
            "consignes": "Lire",
            "duree": "1 h",
        }.items():
            data[f"sequences-{index}-{key}"] = value
        for key in ("outils", "ressources", "roles"):
            data[f"sequences-{index}-{key}"] = ""
        for sd in sds:
            data[f"modalite-{sd.code}"] = "QCM"
    data.update(changes)
    return data


def test_the_dossier_through_the_pages_from_draft_to_decision(app, as_user, monkeypatch):
    import io

    from app.demo import PDF_MINIMAL
    from app.services import dossiers

    lille = etab_id(app, "Avenir Paris Lille")
    org_admin = as_user("org.admin")
    form = page_text(org_admin.get(f"/habilitations/nouveau?etablissement={lille}"))
    assert "Déposer un dossier d'habilitation" in form and "Du CERTIF PRO" in form and "Groupement" in form
    created = org_admin.post(
        "/habilitations/nouveau",
        data={"etablissement": lille, "etablissements": [lille], "aupres": "certif_pro", "certification": "clea"},
    )
    assert created.status_code == 302 and created.headers["Location"].endswith("/modifier")
    pk = int(created.headers["Location"].split("/")[2])
    draft = page_text(org_admin.get(f"/habilitations/{pk}/modifier"))
    assert "Ce qui manque" in draft and "Indiquez la motivation de la demande." in draft
    assert "1.1" in draft and "Modalité d'évaluation de chaque sous-domaine" in draft
    # Saved as typed; what is still missing is shown section by section.
    saved = org_admin.post(
        f"/habilitations/{pk}/modifier", data=_form(pk, app, effectif="beaucoup"), follow_redirects=True
    )
    assert "Le dossier n'est pas enregistré" in page_text(saved)
    saved = org_admin.post(f"/habilitations/{pk}/modifier", data=_form(pk, app), follow_redirects=True)
    text = page_text(saved)
    assert "Le dossier est enregistré." in text
    assert "Joignez le CV de chaque intervenant (0 CV pour 1 intervenants)." in text
    # Deposit refused while something is missing: every missing item at once.
    refused = page_text(org_admin.post(f"/habilitations/{pk}/action/deposer", follow_redirects=True))
    assert "Joignez le CV de chaque intervenant" in refused
    uploaded = org_admin.post(
        f"/habilitations/{pk}/pieces",
        data={"file": (io.BytesIO(PDF_MINIMAL), "cv-bernard.pdf"), "nature": "cv", "retour": "formulaire"},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "La pièce est jointe au dossier." in page_text(uploaded) and "cv-bernard.pdf" in page_text(uploaded)
    shown = page_text(org_admin.get(f"/habilitations/show/{pk}"))
    assert "Déposer le dossier" in shown and "Attestation d'engagement : complet" in shown
    done = page_text(org_admin.post(f"/habilitations/{pk}/action/deposer", follow_redirects=True))
    assert "Votre dossier est déposé : le récépissé vous est envoyé par mail." in done
    assert "Récépissé de dépôt du dossier d'habilitation" in done and "Accuser réception" in done
    assert "Prise en instruction" in done  # the deadline, for the instance
    with app.app_context():
        receipt = db.session.execute(select(AvisDossier.id).where(AvisDossier.dossier_id == pk)).scalar_one()
    accused = page_text(org_admin.post(f"/habilitations/{pk}/courriers/{receipt}/accuser", follow_redirects=True))
    assert "Réception accusée." in accused and "Accuser réception" not in accused
    # Another profile may not acknowledge for the organisation.
    assert "Accuser réception" not in page_text(as_user("certifpro").get(f"/habilitations/show/{pk}"))

    # The instance: buttons of the state, with the deadlines.
    certifpro = as_user("certifpro")
    page = page_text(certifpro.get(f"/habilitations/show/{pk}"))
    assert "Prendre en instruction" in page and "Accorder l'habilitation" not in page
    assert "Le dossier est pris en instruction." in page_text(
        certifpro.post(f"/habilitations/{pk}/action/instruire", follow_redirects=True)
    )
    empty = page_text(
        certifpro.post(f"/habilitations/{pk}/action/avis", data={"favorable": "true"}, follow_redirects=True)
    )
    assert "La motivation de l'avis est obligatoire." in empty
    given = certifpro.post(
        f"/habilitations/{pk}/action/avis",
        data={"favorable": "true", "motivation": "Conforme."},
        follow_redirects=True,
    )
    assert "L'avis est rendu : le dossier est inscrit à la réunion de l'instance." in page_text(given)
    with app.app_context():
        meeting = db.session.get(DemandeHabilitation, pk).reunion.date
    monkeypatch.setattr(dossiers, "today", lambda: meeting)
    granted = page_text(certifpro.post(f"/habilitations/{pk}/action/valider", data={}, follow_redirects=True))
    assert "L'habilitation est accordée." in granted
    assert f"du {meeting:%d/%m/%Y} au {date_fin(meeting):%d/%m/%Y}" in granted
    # Deciding twice is refused with the state's name.
    twice = page_text(certifpro.post(f"/habilitations/{pk}/action/valider", data={}, follow_redirects=True))
    assert "n'est pas possible pour un dossier d'habilitation au statut « Habilitation accordée »" in twice

    with app.app_context():
        line = (
            db.session.execute(
                select(AuditLog).where(
                    AuditLog.entity_type == "Demande d'habilitation",
                    AuditLog.entity_id == pk,
                    AuditLog.action == "decision",
                    AuditLog.etablissement_id == lille,
                )
            )
            .scalars()
            .one()
        )
        assert line.libelle.startswith("Habilitation accordée du") and line.user_name == "Anne Lefèvre"
        assert line.changes["etat"] == ["avis_rendu", "accordee"]
        org_admin_user = demo(Utilisateur, username="org.admin")
        notes = (
            db.session.execute(select(Notification.titre).where(Notification.user_id == org_admin_user.id))
            .scalars()
            .all()
        )
        assert "Validation de l'habilitation" in notes and "Dossier d'habilitation en instruction" in notes
        assert {
            n.rubrique
            for n in db.session.execute(select(Notification).where(Notification.user_id == org_admin_user.id)).scalars()
        } == {"Dossier d'habilitation"}
    trail = page_text(org_admin.get(f"/etablissements/show/{lille}"))
    assert "Habilitation accordée du" in trail and "Anne Lefèvre" in trail


def test_renewal_prepares_a_draft_once(app, as_user):
    with app.app_context():
        current = habilitations.habilitation_en_cours(demo(Etablissement, nom="Avenir Paris République"))
        current_id = current.id
    org_admin = as_user("org.admin")
    assert "Demander le renouvellement" in page_text(org_admin.get(f"/habilitations/show/{current_id}"))
    response = org_admin.post(f"/habilitations/{current_id}/renouveler", follow_redirects=True)
    assert "Le dossier de renouvellement est créé (brouillon)" in page_text(response)
    again = org_admin.post(f"/habilitations/{current_id}/renouveler", follow_redirects=True)
    assert "Un renouvellement de cette habilitation a déjà été demandé." in page_text(again)
    with app.app_context():
        renewal = db.session.execute(
            select(DemandeHabilitation).where(DemandeHabilitation.renouvelle_id == current_id)
        ).scalar_one()
        assert renewal.etat == "brouillon" and renewal.type == "renouvellement"
        assert [e.nom for e in renewal.etablissements] == ["Avenir Paris République"]


def test_branch_dossier_is_instructed_by_that_branch_only(app, as_user):
    with app.app_context():
        demande = (
            db.session.execute(
                select(DemandeHabilitation).where(
                    DemandeHabilitation.etablissements.any(nom="Compétences Méditerranée Montpellier"),
                    DemandeHabilitation.etat == "deposee",
                )
            )
            .scalars()
            .one()
        )
    assert as_user("certif.idf").get(f"/habilitations/show/{demande.id}").status_code == 404
    branch = as_user("branche.commerce")
    assert "Prendre en instruction" in page_text(branch.get(f"/habilitations/show/{demande.id}"))
    done = branch.post(f"/habilitations/{demande.id}/action/instruire", follow_redirects=True)
    assert "Le dossier est pris en instruction." in page_text(done)


def test_inactive_establishment_cannot_be_in_a_dossier(app, as_user):
    with app.app_context():
        etab = demo(Etablissement, nom="Avenir Ouest Nantes")
        etab.actif = False
        db.session.commit()
        etab_pk = etab.id
    response = as_user("reseau.admin").post(
        "/habilitations/nouveau",
        data={"etablissement": etab_pk, "etablissements": [etab_pk], "aupres": "certif_pro"},
        follow_redirects=True,
    )
    assert "est inactif : aucune activité n'est possible" in page_text(response)


def test_campaigns_and_meetings_page(app, as_user):
    certifpro = as_user("certifpro")
    page = page_text(certifpro.get("/campagnes/"))
    assert "Ouvrir une campagne de dépôt" in page and "Planifier une réunion de l'instance" in page
    opened = certifpro.post(
        "/campagnes/campagne",
        data={"certification": "clea", "libelle": "Campagne 2031", "debut": "05/01/2031", "fin": "01/03/2031"},
        follow_redirects=True,
    )
    assert "La campagne de dépôt est ouverte." in page_text(opened) and "Campagne 2031" in page_text(opened)
    wrong = certifpro.post("/campagnes/reunion", data={"date": "32/13/2031"}, follow_redirects=True)
    assert "Date invalide" in page_text(wrong)
    assert "Ouvrir une campagne" not in page_text(as_user("org.admin").get("/campagnes/"))
    assert as_user("org.admin").post("/campagnes/campagne", data={"certification": "clea"}).status_code in (302, 403)


def test_dossier_list_and_export(app, as_user):
    from openpyxl import load_workbook

    certifpro = as_user("certifpro")
    listing = page_text(certifpro.get("/habilitations/list/"))
    assert "Dossiers d'habilitation" in listing and "Recours déposé" in listing and "Brouillon" in listing
    export = certifpro.get("/habilitations/export")
    assert export.status_code == 200
    import io

    rows = list(load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("N° de dossier", "Organisme", "SIREN")
    assert {r[6] for r in rows[1:]} >= {"Brouillon", "Déposé", "Recours déposé", "Complément demandé"}
    mine = certifpro.get("/habilitations/export?etat=deposee")
    assert {r[6] for r in list(load_workbook(io.BytesIO(mine.data)).active.iter_rows(values_only=True))[1:]} == {
        "Déposé"
    }
