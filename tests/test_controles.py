"""Audits and compliance procedures (issue 15 points 6–7, habilitation.md §4): the report's three opinions, the
audited body's 15 jours ouvrés, the decision, the mise en demeure (30 jours ouvrés, suspension for serious
failings), the justification and the decision, the two automatic outcomes and the 12-month rule; API and page."""

import datetime

from sqlalchemy import select

from app.domain import jours_ouvres
from app.extensions import db
from app.models import DemandeHabilitation, Etablissement
from app.models.habilitations import MiseEnConformite
from app.services import controles, dossiers, habilitations
from tests.conftest import demo, page_text

TODAY = datetime.date.today()


def republique_clea(app):
    with app.app_context():
        etab = demo(Etablissement, nom="Avenir Paris République")
        return db.session.execute(
            select(DemandeHabilitation.id).where(
                DemandeHabilitation.etablissements.any(id=etab.id),
                DemandeHabilitation.etat == "accordee",
                DemandeHabilitation.certification == "clea",
            )
        ).scalar_one()


def travel(monkeypatch, day):
    monkeypatch.setattr(dossiers, "today", lambda: day)


def act(api, user, kind, pk, action, **body):
    return api(user).post(f"/api/v1/{kind}/{pk}/{action}", json=body)


def audited(api, app, avis="defavorable"):
    hab = republique_clea(app)
    opened = api("certifpro").post(
        "/api/v1/audit/", json={"habilitation": hab, "type": "sur_place", "date": TODAY.isoformat()}
    )
    assert opened.status_code == 201, opened.get_json()
    audit = opened.get_json()["id"]
    report = act(
        api, "certifpro", "audit", audit, "rapport", avis=avis, anomalies="Evaluations sans contrôle d'identité."
    )
    assert report.status_code == 200, report.get_json()
    return hab, audit


def test_an_unfavourable_audit_leads_to_a_suspension_then_a_withdrawal_without_justification(app, api, monkeypatch):
    hab, audit = audited(api, app)
    # Only the instance reports and decides; the audited body has 15 jours ouvrés for its observations.
    assert act(api, "org.admin", "audit", audit, "decider", decision="maintien").status_code == 403
    early = act(api, "certifpro", "audit", audit, "decider", decision="mise_en_conformite", suspension=True)
    limit = jours_ouvres.ajouter(TODAY, 15)
    assert early.status_code == 409 and f"attendues jusqu'au {limit:%d/%m/%Y}" in early.get_json()["message"]
    observed = act(api, "org.admin", "audit", audit, "observations", message="Nous avons mis en place un contrôle.")
    assert observed.status_code == 200 and observed.get_json()["result"]["etat"] == "observations_recues"
    decided = act(api, "certifpro", "audit", audit, "decider", decision="mise_en_conformite", suspension=True)
    assert decided.status_code == 200, decided.get_json()
    assert decided.get_json()["result"]["etat"] == "clos_conformite"
    with app.app_context():
        habilitation = db.session.get(DemandeHabilitation, hab)
        assert habilitation.statut_habilitation == "suspendue"  # serious failings: for the whole procedure
        procedure = db.session.execute(
            select(MiseEnConformite).where(MiseEnConformite.habilitation_id == hab)
        ).scalar_one()
        assert procedure.limite == jours_ouvres.ajouter(TODAY, 30) and procedure.etat == "mise_en_demeure"
        pk = procedure.id
    # No justification by the deadline: the daily job withdraws it at the stated date.
    with app.app_context():
        assert controles.quotidien(procedure.limite)["retraits"] == 0
        travel(monkeypatch, jours_ouvres.ajouter(procedure.limite, 1))
        assert controles.quotidien(jours_ouvres.ajouter(procedure.limite, 1))["retraits"] == 1
        assert db.session.get(MiseEnConformite, pk).etat == "retrait"
        assert db.session.get(DemandeHabilitation, hab).statut_habilitation == "retiree"
    late = act(api, "org.admin", "conformite", pk, "justifier", message="Trop tard")
    assert late.status_code == 409


def test_a_justification_left_undecided_is_deemed_sufficient_and_lifts_the_suspension(app, api, monkeypatch):
    hab, audit = audited(api, app)
    travel(monkeypatch, jours_ouvres.ajouter(TODAY, 16))  # the 15 jours ouvrés have passed, no observation
    act(api, "certifpro", "audit", audit, "decider", decision="mise_en_conformite", suspension=True)
    with app.app_context():
        pk = db.session.execute(select(MiseEnConformite.id).where(MiseEnConformite.habilitation_id == hab)).scalar_one()
    assert act(api, "org.admin", "conformite", pk, "justifier").get_json()["message"] == {
        "message": ["Le texte des observations est obligatoire."]
    }
    justified = act(api, "org.admin", "conformite", pk, "justifier", message="Procédure corrigée, pièces jointes.")
    assert justified.status_code == 200 and justified.get_json()["result"]["etat"] == "justifiee"
    day = jours_ouvres.ajouter(TODAY, 16)
    with app.app_context():
        assert controles.quotidien(jours_ouvres.ajouter(day, 30))["maintiens"] == 0  # the instance still has time
        assert controles.quotidien(jours_ouvres.ajouter(day, 31))["maintiens"] == 1
        assert db.session.get(MiseEnConformite, pk).etat == "maintien"
        habilitation = db.session.get(DemandeHabilitation, hab)
        assert habilitation.statut_habilitation == "active"
        assert habilitations.est_habilitee(habilitation.etablissements[0], certification="clea")


def test_a_new_failing_within_twelve_months_is_a_withdrawal(app, api, monkeypatch):
    hab, audit = audited(api, app, avis="favorable_avec_reserves")
    act(api, "org.admin", "audit", audit, "observations", message="Corrigé.")
    act(api, "certifpro", "audit", audit, "decider", decision="mise_en_conformite")
    with app.app_context():
        pk = db.session.execute(select(MiseEnConformite.id).where(MiseEnConformite.habilitation_id == hab)).scalar_one()
        assert db.session.get(DemandeHabilitation, hab).statut_habilitation == "active"  # minor: no suspension
    act(api, "org.admin", "conformite", pk, "justifier", message="Corrigé.")
    kept = act(api, "certifpro", "conformite", pk, "decider", decision="maintien")
    assert kept.status_code == 200 and kept.get_json()["result"]["etat"] == "maintien"
    # Six months later, a new audit finds a new failing.
    travel(monkeypatch, TODAY + datetime.timedelta(days=180))
    second = api("certifpro").post(
        "/api/v1/audit/", json={"habilitation": hab, "type": "pieces", "date": TODAY.isoformat()}
    )
    audit2 = second.get_json()["id"]
    act(api, "certifpro", "audit", audit2, "rapport", avis="defavorable", anomalies="Nouveau manquement.")
    act(api, "org.admin", "audit", audit2, "observations", message="Nous contestons.")
    act(api, "certifpro", "audit", audit2, "decider", decision="mise_en_conformite")
    with app.app_context():
        assert db.session.get(DemandeHabilitation, hab).statut_habilitation == "retiree"


def test_bad_input_and_perimeter(app, api):
    hab = republique_clea(app)
    bad = api("certifpro").post("/api/v1/audit/", json={"habilitation": hab, "type": "surprise"})
    assert bad.status_code == 422
    assert bad.get_json()["message"] == {
        "type": ["Type d'audit inconnu : pieces ou sur_place."],
        "date": ["La date prévue de l'audit est obligatoire."],
    }
    assert api("org.admin").post("/api/v1/audit/", json={"habilitation": hab}).status_code == 403
    opened = api("certifpro").post(
        "/api/v1/audit/", json={"habilitation": hab, "type": "pieces", "date": TODAY.isoformat()}
    )
    audit = opened.get_json()["id"]
    assert act(api, "certifpro", "audit", audit, "rapport", avis="mitigé").status_code == 422
    no_anomaly = act(api, "certifpro", "audit", audit, "rapport", avis="defavorable")
    assert no_anomaly.status_code == 422 and "anomalies" in no_anomaly.get_json()["message"]
    assert act(api, "certifpro", "audit", audit, "observations", message="x").status_code == 403
    assert api("reseau2.admin").get(f"/api/v1/audit/{audit}").status_code == 404
    assert act(api, "org.admin", "audit", audit, "observations", message="x").status_code == 409  # not reported yet


def test_the_page_shows_the_audit_and_its_buttons(app, as_user):
    hab = republique_clea(app)
    certifpro = as_user("certifpro")
    opened = certifpro.post(
        f"/habilitations/{hab}/audits",
        data={"type": "sur_place", "date": TODAY.strftime("%d/%m/%Y"), "auditeur": "Cabinet Audit Formation"},
        follow_redirects=True,
    )
    text = page_text(opened)
    assert "L'audit est ouvert : l'organisme en est informé." in text
    assert "Sur place" in text and "Cabinet Audit Formation" in text and "Rendre le rapport d'audit" in text
    with app.app_context():
        from app.models.habilitations import AuditHabilitation

        audit = db.session.execute(
            select(AuditHabilitation.id).where(AuditHabilitation.habilitation_id == hab)
        ).scalar_one()
    reported = certifpro.post(
        f"/habilitations/{hab}/controles/audit/{audit}/rapport",
        data={"avis": "favorable_sans_reserve"},
        follow_redirects=True,
    )
    assert "Le rapport est rendu" in page_text(reported) and "Favorable sans réserve" in page_text(reported)
    org = page_text(as_user("org.admin").get(f"/habilitations/show/{hab}"))
    assert "Envoyer nos observations" in org and "Ouvrir l'audit" not in org


def test_certif_pro_sees_every_procedure_in_progress_with_its_next_deadline(app, as_user):
    import io

    from openpyxl import load_workbook

    from app.models.habilitations import AuditHabilitation

    with app.app_context():
        number = f"Audit n°{db.session.execute(select(AuditHabilitation.id)).scalar_one()}"
    client = as_user("certifpro")
    page = page_text(client.get("/habilitations/procedures"))
    observations = jours_ouvres.ajouter(TODAY - datetime.timedelta(days=2), 15)
    assert (
        f"Audit {number} Organisme B1 — Compétences Méditerranée Rapport rendu Observations de l'organisme "
        f"{observations:%d/%m/%Y}" in page
    )
    assert "Renonciation" in page and "Effet de la renonciation" in page and "Suspension" in page
    audits_only = page_text(client.get("/habilitations/procedures?genre=audit"))
    assert "Effet de la renonciation" not in audits_only and number in audits_only
    export = client.get("/habilitations/procedures?format=xlsx")
    rows = list(load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True))
    assert rows[0][0] == "Procédure" and {r[0] for r in rows[1:]} >= {"Audit", "Renonciation", "Suspension"}
    # A network sees its own only.
    network_a = page_text(as_user("reseau.admin").get("/habilitations/procedures"))
    assert number not in network_a
    stats = page_text(client.get("/stats/"))
    assert "Audits, par avis Favorable sans réserve 0 Favorable avec réserves 1 Défavorable 0" in stats
