"""Habilitation dossiers (issue 14, habilitation.md §1–3, api.md « Habilitation dossiers »): the whole path through
the API — draft, deposit in a campaign, instruction, request for corrections, hearing, opinion, decision,
recourse — each deadline rule in jours ouvrés with a fixed clock, the refusals in French, 404 outside the
perimeter, 409 for an action the dossier's state does not allow, the documents' rules, the notices with their
acknowledgment."""

import datetime
import re

import pytest
from sqlalchemy import select

from app.demo import PDF_MINIMAL
from app.domain import jours_ouvres
from app.extensions import db
from app.models import DemandeHabilitation, Etablissement, MailSortant, Notification, Organisme, Utilisateur
from app.models.habilitations import AvisDossier, CampagneHabilitation, ReunionInstance
from app.services import dossiers, habilitations
from tests.conftest import demo, page_text

TODAY = datetime.date.today()


def ids(app):
    with app.app_context():
        return {
            "A1-1": demo(Etablissement, nom="Avenir Paris République").id,
            "A1-2": demo(Etablissement, nom="Avenir Paris Lille").id,
            "A1": demo(Organisme, nom="Organisme A1 — Avenir Paris").id,
            "B1-1": demo(Etablissement, nom="Compétences Méditerranée Marseille").id,
        }


def complete_body(etab_id, certification="clea"):
    """Every answer of the cadre de réponse, as api.md gives it."""
    with_codes = [
        f"{d}.{s}" for d, n in ((1, 5), (2, 3), (3, 3), (4, 3), (5, 3), (6, 3), (7, 3)) for s in range(1, n + 1)
    ]
    return {
        "type_candidature": "individuelle",
        "etablissements": [etab_id],
        "activite_principale": "Formation continue",
        "date_creation": "2005-03-01",
        "effectif": 12,
        "chiffres_affaires": [
            {"annee": 2023, "montant": 1},
            {"annee": 2024, "montant": 2},
            {"annee": 2025, "montant": 3},
        ],
        "contact_telephone": "01 02 03 04 05",
        "label_qualite": "qualiopi",
        "premiere_demande": False,
        "couverture": "nationale",
        "motivation": "Pourquoi",
        "promotion": "Comment",
        "processus_evaluation": "Processus",
        "accompagnement": "Accompagnement",
        "modalites": [{"sous_domaine": code, "modalite": "QCM"} for code in with_codes],
        "sequences": [
            {"sous_domaine": f"{d}.1", "mode": "presentiel", "consignes": "Consignes", "duree": "1 h"}
            for d in range(1, 8)
        ],
        "intervenants": [{"nom": "Bernard", "prenom": "Alice", "role": "Evaluatrice", "qualification": "FPA"}],
        "references": "Références",
        "engagement": {
            "lu_et_approuve": True,
            "signataire": "Sophie Durand",
            "qualite": "Directrice",
            "lieu": "Paris",
            "date": TODAY.isoformat(),
        },
    }


def sous_domaines_codes(app, certification="clea"):
    with app.app_context():
        return [sd.code for _, sds in dossiers.sous_domaines(certification) for sd in sds]


@pytest.fixture
def body(app):
    etab = ids(app)["A1-2"]
    values = complete_body(etab)
    codes = sous_domaines_codes(app)
    values["modalites"] = [{"sous_domaine": code, "modalite": "QCM"} for code in codes]
    with app.app_context():
        domaines = dossiers.sous_domaines("clea")
        values["sequences"] = [
            {"sous_domaine": sds[0].code, "mode": "presentiel", "consignes": "Consignes", "duree": "1 h"}
            for _, sds in domaines
        ]
    return values


def create(api, body, user="org.admin"):
    response = api(user).post("/api/v1/habilitation/", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"], response.get_json()["result"]


def attach_cv(api, pk, user="org.admin", content=PDF_MINIMAL, name="cv.pdf"):
    import io

    return api(user).post(
        f"/api/v1/habilitation/{pk}/documents",
        data={"file": (io.BytesIO(content), name), "nature": "cv"},
        content_type="multipart/form-data",
    )


def act(api, user, pk, action, **body):
    return api(user).post(f"/api/v1/habilitation/{pk}/{action}", json=body)


def deposited(api, body):
    pk, _ = create(api, body)
    assert attach_cv(api, pk).status_code == 201
    response = act(api, "org.admin", pk, "deposer")
    assert response.status_code == 200, response.get_json()
    return pk


def travel(monkeypatch, day):
    """A fixed clock for the dossiers' rules."""
    monkeypatch.setattr(dossiers, "today", lambda: day)


# --- Jours ouvrés -----------------------------------------------------------------------------------------------
def test_jours_ouvres_skip_weekends_and_french_public_holidays():
    # Monday 13 July 2026 + 1 jour ouvré: 14 July is the fête nationale → Wednesday 15.
    assert jours_ouvres.ajouter(datetime.date(2026, 7, 13), 1) == datetime.date(2026, 7, 15)
    # Friday 14 August 2026 + 1: the 15 August is a Saturday anyway; Monday 17.
    assert jours_ouvres.ajouter(datetime.date(2026, 8, 14), 1) == datetime.date(2026, 8, 17)
    # 15 August 2025 is a Friday holiday: Thursday 14 + 1 → Monday 18.
    assert jours_ouvres.ajouter(datetime.date(2025, 8, 14), 1) == datetime.date(2025, 8, 18)
    assert jours_ouvres.entre(datetime.date(2026, 7, 10), datetime.date(2026, 7, 17)) == 4  # 13, 15, 16, 17
    assert jours_ouvres.ajouter(datetime.date(2026, 7, 17), -4) == datetime.date(2026, 7, 10)
    assert not jours_ouvres.est_ouvre(datetime.date(2026, 5, 1))  # fête du travail
    assert not jours_ouvres.est_ouvre(datetime.date(2026, 5, 25))  # lundi de Pentecôte


# --- The draft ----------------------------------------------------------------------------------------------
def test_a_draft_is_prefilled_saved_and_lists_everything_missing(app, api):
    pk, draft = create(api, {"etablissements": [ids(app)["A1-2"]], "certification": "clea"})
    assert draft["etat"] == "brouillon" and draft["instance"] == "certif_pro"
    # Prefilled from the organisation and from the platform's own habilitations.
    assert draft["siren"] and draft["adresse"] and draft["contact_email"]
    assert draft["historique"] and draft["premiere_demande"] is False
    assert "motivation" in draft["manquants"] and "engagement" in draft["manquants"]
    # A deposit lists every missing item at once (422), nothing changes.
    refused = act(api, "org.admin", pk, "deposer")
    assert refused.status_code == 422
    missing = refused.get_json()["message"]
    assert {"motivation", "promotion", "modalites", "sequences", "intervenants", "engagement"} <= set(missing)
    assert "Indiquez la motivation de la demande." in missing["motivation"]
    assert any("sous-domaines 1.1" in m for m in missing["modalites"])
    # Saved and resumed: a PUT keeps what it is given.
    saved = api("org.admin").put(f"/api/v1/habilitation/{pk}", json={"motivation": "Parce que", "effectif": 3})
    assert saved.status_code == 200, saved.get_json()
    again = api("org.admin").get(f"/api/v1/habilitation/{pk}").get_json()["result"]
    assert again["motivation"] == "Parce que" and again["effectif"] == 3 and "motivation" not in again["manquants"]


@pytest.mark.parametrize(
    "values,field,message",
    [
        ({"type_candidature": "seul"}, "type_candidature", "Type inconnu : individuelle, groupement ou reseau."),
        ({"couverture": "mondiale"}, "couverture", "Couverture inconnue : nationale ou regionale."),
        ({"regions": ["Atlantide"]}, "regions", "Région inconnue : Atlantide."),
        ({"effectif": "beaucoup"}, "effectif", "Un nombre entier est attendu."),
        ({"motivation": "x" * 70000}, "motivation", None),
        ({"siren": "1" * 12}, "siren", "Ce champ ne doit pas dépasser 9 caractères."),
        ({"etat": "accordee", "pirate": 1}, "pirate", "Champ inconnu ou non modifiable."),
        (
            {"engagement": "oui"},
            "engagement",
            "Un objet est attendu : lu_et_approuve, signataire, qualite, lieu, date.",
        ),
    ],
)
def test_bad_fields_are_refused_in_french(app, api, values, field, message):
    pk, _ = create(api, {"etablissements": [ids(app)["A1-2"]]})
    response = api("org.admin").put(f"/api/v1/habilitation/{pk}", json=values)
    if message is None:  # long texts are texts: stored as given
        assert response.status_code == 200
        return
    assert response.status_code == 422, response.get_json()
    assert message in response.get_json()["message"][field]


def test_groupement_and_reseau_need_their_members_and_mandate(app, api, body):
    pk, _ = create(api, {**body, "type_candidature": "groupement"})
    attach_cv(api, pk)
    refused = act(api, "org.admin", pk, "deposer").get_json()["message"]
    assert "membres" in refused and list(refused) == ["membres"]
    api("org.admin").put(f"/api/v1/habilitation/{pk}", json={"type_candidature": "reseau"})
    refused = act(api, "org.admin", pk, "deposer").get_json()["message"]
    assert refused == {"mandat": ["Une candidature en réseau joint la lettre de mandat de la tête de réseau."]}


def test_documents_follow_the_documents_rules(app, api, body):
    import io

    pk, _ = create(api, body)
    assert attach_cv(api, pk).status_code == 201
    twice = attach_cv(api, pk)
    assert twice.status_code == 409 and "une seule fois" in twice.get_json()["message"]
    fake = attach_cv(api, pk, content=b"MZ not a pdf", name="cv.pdf")
    assert fake.status_code == 422
    assert fake.get_json()["message"]["file"] == [
        "Le contenu du fichier ne correspond pas à son extension : fichier refusé."
    ]
    big = attach_cv(api, pk, content=b"%PDF-" + b"0" * (4 * 1024 * 1024), name="gros.pdf")
    assert big.status_code == 422 and "taille maximum" in big.get_json()["message"]["file"][0]
    nature = api("org.admin").post(
        f"/api/v1/habilitation/{pk}/documents",
        data={"file": (io.BytesIO(PDF_MINIMAL + b"1"), "x.pdf"), "nature": "photo"},
        content_type="multipart/form-data",
    )
    assert nature.status_code == 422 and "Nature inconnue" in nature.get_json()["message"]["nature"][0]
    document = api("org.admin").get(f"/api/v1/habilitation/{pk}").get_json()["result"]["documents"][0]
    download = api("org.admin").get(f"/api/v1/habilitation/{pk}/documents/{document['id']}")
    assert download.status_code == 200 and download.data.startswith(b"%PDF-")


def test_only_the_organisation_administrators_file_a_dossier(app, api, body):
    for user in ("org.user", "etab.admin", "certifpro", "certif.idf"):
        response = api(user).post("/api/v1/habilitation/", json={"etablissements": [ids(app)["A1-2"]]})
        assert response.status_code in (403, 422), (user, response.get_json())
        assert response.status_code == 403 or user == "certif.idf"


# --- Campaign, deposit, receipt -------------------------------------------------------------------------------
def test_deposit_outside_a_campaign_is_refused_with_the_next_window(app, api, body, monkeypatch):
    pk, _ = create(api, body)
    attach_cv(api, pk)
    travel(monkeypatch, TODAY + datetime.timedelta(days=150))  # after this year's campaign, before the next one
    refused = act(api, "org.admin", pk, "deposer")
    assert refused.status_code == 409
    message = refused.get_json()["message"]
    assert message.startswith("Aucune campagne de dépôt n'est ouverte")
    nxt = TODAY + datetime.timedelta(days=200)
    assert f"du {nxt:%d/%m/%Y}" in message
    assert api("org.admin").get(f"/api/v1/habilitation/{pk}").get_json()["result"]["etat"] == "brouillon"


def test_deposit_sends_a_receipt_with_an_acknowledgment_link_and_schedules_a_meeting(app, api, body, as_user):
    pk = deposited(api, body)
    result = api("org.admin").get(f"/api/v1/habilitation/{pk}").get_json()["result"]
    assert result["etat"] == "deposee" and result["date_depot"] == TODAY.isoformat()
    assert result["campagne"] and result["reunion"]
    meeting = datetime.date.fromisoformat(result["reunion"]["date"])
    assert jours_ouvres.entre(TODAY, meeting) >= 13
    assert [c["nature"] for c in result["courriers"]] == ["recepisse"]
    assert {e["libelle"] for e in result["echeances"]} == {"Prise en instruction"}
    with app.app_context():
        mail = (
            db.session.execute(
                select(MailSortant)
                .where(MailSortant.sujet.like("%Récépissé de dépôt%"))
                .order_by(MailSortant.id.desc())
            )
            .scalars()
            .first()
        )
        assert mail is not None and "a été déposé le" in mail.corps
        code = re.search(r"/compte/lien#(\S+)", mail.corps).group(1)
        # Certif Pro hears of it.
        certifpro = demo(Utilisateur, username="certifpro")
        assert db.session.execute(
            select(Notification).where(
                Notification.user_id == certifpro.id, Notification.titre == "Nouveau dossier d'habilitation déposé"
            )
        ).first()
    # The mailed link acknowledges the receipt (once), without logging in.
    anonymous = app.test_client()
    page = anonymous.post("/compte/lien", data={"jeton": code}, follow_redirects=True)
    assert "la réception du courrier « Récépissé de dépôt du dossier d'habilitation » est enregistrée" in page_text(
        page
    )
    again = anonymous.post("/compte/lien", data={"jeton": code}, follow_redirects=True)
    assert "est enregistrée" not in page_text(again)
    courrier = api("org.admin").get(f"/api/v1/habilitation/{pk}").get_json()["result"]["courriers"][0]
    assert courrier["accuse_le"] is not None
    pdf = api("org.admin").get(f"/api/v1/habilitation/{pk}/courriers/{courrier['id']}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    # Deposited: read-only for the applicant.
    locked = api("org.admin").put(f"/api/v1/habilitation/{pk}", json={"motivation": "Autre"})
    assert locked.status_code == 409 and "n'est plus modifiable" in locked.get_json()["message"]


# --- Instruction ----------------------------------------------------------------------------------------------
def test_the_whole_path_to_an_accorded_habilitation(app, api, body, monkeypatch):
    pk = deposited(api, {**body, "numero_declaration_activite": "11755555575"})
    # Actions not allowed in the state: 409 with the state's name.
    early = act(api, "certifpro", pk, "avis", favorable=True, motivation="Bien")
    assert early.status_code == 409
    assert early.get_json()["message"] == (
        "L'action « Rendre un avis » n'est pas possible pour un dossier d'habilitation au statut « Déposé »."
    )
    # The applicant does not instruct (403); another certifier does not even see it (404).
    assert act(api, "org.admin", pk, "instruire").status_code == 403
    assert act(api, "certif.idf", pk, "instruire").status_code == 404
    assert act(api, "certifpro", pk, "instruire").status_code == 200

    # A request for corrections reopens the dossier; « Répondre » sends it back.
    assert act(api, "certifpro", pk, "demander_complement").get_json()["message"] == {
        "message": ["Le message est obligatoire."]
    }
    asked = act(api, "certifpro", pk, "demander_complement", message="Précisez les conditions à distance.")
    assert asked.status_code == 200 and asked.get_json()["result"]["etat"] == "complement_demande"
    fixed = api("org.admin").put(f"/api/v1/habilitation/{pk}", json={"modalites_distance": "En visio, caméra."})
    assert fixed.status_code == 200
    answered = act(api, "org.admin", pk, "repondre", message="Complété, voir la proposition technique.")
    assert answered.get_json()["result"]["etat"] == "en_instruction"
    thread = answered.get_json()["result"]["messages"]
    assert [(m["cote"], m["texte"]) for m in thread] == [
        ("instance", "Précisez les conditions à distance."),
        ("organisme", "Complété, voir la proposition technique."),
    ]

    # A hearing leaves at least 8 jours ouvrés.
    too_soon = jours_ouvres.ajouter(TODAY, 7)
    refused = act(api, "certifpro", pk, "convoquer", date=f"{too_soon.isoformat()}T10:00", lieu="Paris")
    assert refused.status_code == 422
    earliest = jours_ouvres.ajouter(TODAY, 8)
    assert refused.get_json()["message"]["date"] == [
        f"La convocation doit laisser au moins 8 jours ouvrés : audition le {earliest:%d/%m/%Y} au plus tôt."
    ]
    convened = act(api, "certifpro", pk, "convoquer", date=f"{earliest.isoformat()}T10:00", lieu="Certif Pro, Paris")
    assert convened.status_code == 200 and convened.get_json()["result"]["etat"] == "audition_convoquee"

    # The opinion: motivated, and at least 5 jours ouvrés before the meeting (else the next meeting).
    assert act(api, "certifpro", pk, "avis", favorable=True).status_code == 422
    assert act(api, "certifpro", pk, "avis", favorable="peut-être", motivation="x").status_code == 422
    with app.app_context():
        meeting = db.session.get(DemandeHabilitation, pk).reunion
        meeting_day, meeting_id = meeting.date, meeting.id
    travel(monkeypatch, jours_ouvres.ajouter(meeting_day, -4))  # too late for this meeting
    opinion = act(api, "certifpro", pk, "avis", favorable=True, motivation="Conforme aux critères du règlement.")
    assert opinion.status_code == 200, opinion.get_json()
    result = opinion.get_json()["result"]
    assert result["etat"] == "avis_rendu" and result["reunion"]["id"] != meeting_id  # moved to the next meeting
    later = datetime.date.fromisoformat(result["reunion"]["date"])

    # The decision is taken at the meeting, not before.
    before = act(api, "certifpro", pk, "valider")
    assert before.status_code == 409 and f"réunion du {later:%d/%m/%Y}" in before.get_json()["message"]
    travel(monkeypatch, later)
    granted = act(api, "certifpro", pk, "valider")
    assert granted.status_code == 200, granted.get_json()
    result = granted.get_json()["result"]
    assert result["etat"] == "accordee" and result["date_debut"] == later.isoformat()
    assert result["date_fin"] == later.replace(year=later.year + 3).isoformat()
    assert [c["nature"] for c in result["courriers"]] == ["recepisse", "complement", "convocation", "avis", "decision"]
    with app.app_context():
        assert habilitations.est_habilitee(db.session.get(Etablissement, ids(app)["A1-2"]), later)
        # The identity given in the dossier flows back to the organisation on acceptance.
        organisme = db.session.get(Organisme, ids(app)["A1"])
        assert organisme.numero_declaration_activite == "11755555575" and organisme.qualiopi is True
    # Decided: nothing more.
    assert act(api, "certifpro", pk, "rejeter", motif="Non").status_code == 409


def test_refusal_recourse_and_final_decision(app, api, body, monkeypatch):
    pk = deposited(api, body)
    act(api, "certifpro", pk, "instruire")
    act(api, "certifpro", pk, "avis", favorable=False, motivation="Evaluateurs non qualifiés.")
    with app.app_context():
        meeting = db.session.get(DemandeHabilitation, pk).reunion.date
    travel(monkeypatch, meeting)
    assert act(api, "certifpro", pk, "rejeter").get_json()["message"] == {
        "motif": ["Le motif du refus est obligatoire."]
    }
    refused = act(api, "certifpro", pk, "rejeter", motif="Evaluateurs non qualifiés.")
    assert refused.status_code == 200 and refused.get_json()["result"]["etat"] == "refusee"
    with app.app_context():
        mail = (
            db.session.execute(
                select(MailSortant).where(MailSortant.sujet.like("%Décision de refus%")).order_by(MailSortant.id.desc())
            )
            .scalars()
            .first()
        )
        assert "Un recours peut être déposé sur la plateforme dans les 30 jours ouvrés" in mail.corps
        notified = db.session.get(DemandeHabilitation, pk).notifie_le
    assert notified == jours_ouvres.ajouter(meeting, 2)  # never acknowledged: sending + 2 jours ouvrés
    # Recourse: within 30 jours ouvrés of the notification.
    travel(monkeypatch, jours_ouvres.ajouter(notified, 31))
    late = act(api, "org.admin", pk, "recours", note="Nous contestons.")
    assert late.status_code == 409 and "Le délai de recours (30 jours ouvrés" in late.get_json()["message"]
    travel(monkeypatch, jours_ouvres.ajouter(notified, 30))
    assert act(api, "org.admin", pk, "recours").status_code == 422
    filed = act(api, "org.admin", pk, "recours", note="Les CV étaient joints.")
    assert filed.status_code == 200 and filed.get_json()["result"]["etat"] == "recours_depose"
    deadlines = {e["libelle"] for e in filed.get_json()["result"]["echeances"]}
    assert deadlines == {"Accusé de réception du recours", "Examen du recours"}
    acknowledged = act(api, "certifpro", pk, "accuser_recours")
    assert acknowledged.status_code == 200
    assert act(api, "certifpro", pk, "accuser_recours").status_code == 409
    examined = act(api, "certifpro", pk, "avis", favorable=True, motivation="Réexamen favorable.")
    assert examined.status_code == 200 and examined.get_json()["result"]["etat"] == "recours_instruit"
    meeting = datetime.date.fromisoformat(examined.get_json()["result"]["reunion"]["date"])
    travel(monkeypatch, meeting)
    final = act(api, "certifpro", pk, "rejeter", motif="Maintenu.")
    assert final.status_code == 200 and final.get_json()["result"]["etat"] == "refusee"
    again = act(api, "org.admin", pk, "recours", note="Encore")
    assert again.status_code == 409 and "décision est définitive" in again.get_json()["message"]


def test_classer_sans_suite_and_drafts_hidden_from_the_branches(app, api, body):
    pk, _ = create(api, body)
    assert act(api, "certifpro", pk, "classer").status_code == 422
    assert act(api, "org.admin", pk, "classer", motif="Nous renonçons.").get_json()["result"]["etat"] == (
        "classee_sans_suite"
    )
    assert act(api, "org.admin", pk, "deposer").status_code == 409
    # A branch dossier: the branch sees it once deposited, not as a draft.
    with app.app_context():
        branche = demo(Utilisateur, username="branche.commerce").certificateur_id
    pk2, _ = create(api, {**body, "certificateurs": [branche]})
    assert api("branche.commerce").get(f"/api/v1/habilitation/{pk2}").status_code == 404
    attach_cv(api, pk2)
    assert act(api, "org.admin", pk2, "deposer").status_code == 200, act(api, "org.admin", pk2, "deposer").get_json()
    assert api("branche.commerce").get(f"/api/v1/habilitation/{pk2}").status_code == 200
    assert api("certif.idf").get(f"/api/v1/habilitation/{pk2}").status_code == 404
    # Certif Pro names an instructor from a regional certifier: that one now sees and instructs it.
    with app.app_context():
        idf = demo(Utilisateur, username="certif.idf").id
    named = api("certifpro").post(f"/api/v1/habilitation/{pk2}/instructeur", json={"instructeur": idf})
    assert named.status_code == 200, named.get_json()
    assert act(api, "certif.idf", pk2, "instruire").status_code == 200
    # … but deciding stays the instance's.
    assert act(api, "certif.idf", pk2, "avis", favorable=True, motivation="ok").status_code == 200


def test_network_b_never_reaches_network_a_dossiers(app, api, body):
    pk = deposited(api, body)
    for user in ("reseau2.admin", "org2.admin", "etab2.user"):
        assert api(user).get(f"/api/v1/habilitation/{pk}").status_code == 404
        assert api(user).put(f"/api/v1/habilitation/{pk}", json={"motivation": "x"}).status_code == 404
        assert api(user).post(f"/api/v1/habilitation/{pk}/messages", json={"message": "x"}).status_code == 404


# --- Campaigns and meetings ---------------------------------------------------------------------------------------
def test_campaigns_and_meetings_are_managed_by_their_instance(app, api):
    created = api("certifpro").post(
        "/api/v1/campagne/",
        json={"certification": "clea", "instance": "certif_pro", "debut": "2030-01-05", "fin": "2030-03-01"},
    )
    assert created.status_code == 201, created.get_json()
    overlap = api("certifpro").post(
        "/api/v1/campagne/", json={"certification": "clea", "debut": "2030-02-01", "fin": "2030-04-01"}
    )
    assert overlap.status_code == 422 and "couvre déjà" in overlap.get_json()["message"]["debut"][0]
    backwards = api("certifpro").post(
        "/api/v1/campagne/", json={"certification": "clea", "debut": "2031-02-01", "fin": "2031-01-01"}
    )
    assert backwards.get_json()["message"]["fin"] == ["La fin de la campagne suit son début."]
    assert api("org.admin").post("/api/v1/campagne/", json={"certification": "clea"}).status_code == 403
    # A branch plans its own meetings only.
    with app.app_context():
        certif_pro = habilitations.certif_pro().id
    mine = api("branche.commerce").post("/api/v1/reunion/", json={"date": "2030-06-01"})
    assert mine.status_code == 201, mine.get_json()
    theirs = api("branche.commerce").post("/api/v1/reunion/", json={"date": "2030-06-01", "certificateur": certif_pro})
    assert theirs.status_code == 403
    listed = api("org.admin").get("/api/v1/campagne/").get_json()
    assert listed["count"] >= 4
    # The public directory shows the calendars.
    page = page_text(app.test_client().get("/annuaire/"))
    assert "Campagnes de dépôt des dossiers d'habilitation" in page and "Réunions des instances" in page


def test_the_demo_has_dossiers_in_several_states(app):
    with app.app_context():
        states = set(db.session.execute(select(DemandeHabilitation.etat)).scalars())
        assert {"brouillon", "deposee", "complement_demande", "recours_depose", "accordee"} <= states
        assert db.session.execute(
            select(CampagneHabilitation).where(CampagneHabilitation.debut <= TODAY, CampagneHabilitation.fin >= TODAY)
        ).first()
        assert db.session.execute(select(ReunionInstance).where(ReunionInstance.date > TODAY)).first()
        assert db.session.execute(select(AvisDossier.id)).first() is None  # notices come from the procedure


# --- Reminders of the daily job ------------------------------------------------------------------------------
def test_the_daily_job_reminds_whoever_must_act_once(app):
    from app.services.quotidien import travaux_quotidiens
    from app.services.rappels import rappels_dossiers

    with app.app_context():
        rennes = (
            db.session.execute(
                select(DemandeHabilitation).where(
                    DemandeHabilitation.etablissements.any(nom="Avenir Ouest Rennes"),
                    DemandeHabilitation.etat == "deposee",
                )
            )
            .scalars()
            .one()
        )
        limit = jours_ouvres.ajouter(rennes.date_depot, 10)
        certifpro = demo(Utilisateur, username="certifpro")
        reseau_admin = demo(Utilisateur, username="reseau.admin")

        def titles(user):
            return set(db.session.execute(select(Notification.titre).where(Notification.user_id == user.id)).scalars())

        rappels_dossiers(jours_ouvres.ajouter(limit, -5))  # 5 jours ouvrés ahead: not yet
        assert "Echéance proche : Prise en instruction" not in titles(certifpro)
        assert rappels_dossiers(jours_ouvres.ajouter(limit, -2)) >= 1
        assert "Echéance proche : Prise en instruction" in titles(certifpro)  # the instance must act
        assert "Echéance proche : Prise en instruction" not in titles(reseau_admin)
        before = db.session.execute(select(Notification.id)).scalars().all()
        rappels_dossiers(jours_ouvres.ajouter(limit, -2))  # twice the same day: nothing more
        assert db.session.execute(select(Notification.id)).scalars().all() == before
        rappels_dossiers(jours_ouvres.ajouter(limit, 1))
        assert "Echéance dépassée : Prise en instruction" in titles(certifpro)
        # A request for corrections waiting: the organisation is reminded to answer.
        complement = (
            db.session.execute(select(DemandeHabilitation).where(DemandeHabilitation.etat == "complement_demande"))
            .scalars()
            .one()
        )
        answer_by = jours_ouvres.ajouter(complement.complement_le, 15)
        rappels_dossiers(answer_by)
        org2 = demo(Utilisateur, username="org2.admin")
        assert "Echéance proche : Réponse à la demande de complément" in titles(org2)
        assert "rappels_dossiers" in travaux_quotidiens()


def test_overdue_deadlines_are_shown_in_red_on_the_dossier(app, as_user, monkeypatch):
    with app.app_context():
        rennes = (
            db.session.execute(
                select(DemandeHabilitation).where(DemandeHabilitation.etablissements.any(nom="Avenir Ouest Rennes"))
            )
            .scalars()
            .first()
        )
        pk, limit = rennes.id, jours_ouvres.ajouter(rennes.date_depot, 10)
    travel(monkeypatch, jours_ouvres.ajouter(limit, 2))
    html = as_user("certifpro").get(f"/habilitations/show/{pk}").get_data(as_text=True)
    assert '<tr class="danger"><td>Prise en instruction' in html
    assert "En retard de 2 jours ouvrés" in page_text(as_user("certifpro").get(f"/habilitations/show/{pk}"))


def test_stats_show_dossiers_by_state_campaign_and_instruction_time(app, as_user):
    with app.app_context():
        dossier = (
            db.session.execute(
                select(DemandeHabilitation).where(DemandeHabilitation.etablissements.any(nom="Avenir Ouest Rennes"))
            )
            .scalars()
            .first()
        )
        # Deposited on Monday 13 July 2026, decided on Friday 17: 14 July is a holiday → 3 jours ouvrés.
        dossier.etat, dossier.date_depot = "accordee", datetime.date(2026, 7, 13)
        dossier.decide_le = datetime.datetime(2026, 7, 17, 10, 0)
        db.session.commit()
    page = page_text(as_user("certifpro").get("/stats/"))
    assert "Dossiers d'habilitation" in page
    assert "Durée moyenne d'instruction (du dépôt à la décision) : 3 jours ouvrés (1 dossier décidé)" in page
    assert "Recours déposé 1" in page and "Brouillon 1" in page
    assert f"Campagne {TODAY.year} (CléA numérique) 1" in page
    # A network admin sees its own network's dossiers only.
    network = page_text(as_user("reseau2.admin").get("/stats/"))
    assert "Recours déposé 0" in network and "Complément demandé 1" in network


def test_the_overdue_list_names_who_must_act(app, as_user, monkeypatch):
    with app.app_context():
        rennes = (
            db.session.execute(
                select(DemandeHabilitation).where(DemandeHabilitation.etablissements.any(nom="Avenir Ouest Rennes"))
            )
            .scalars()
            .first()
        )
        limit = jours_ouvres.ajouter(rennes.date_depot, 10)
    travel(monkeypatch, jours_ouvres.ajouter(limit, 3))
    page = page_text(as_user("certifpro").get("/habilitations/en-retard"))
    number = f"n°{rennes.id:06d}"
    assert f"{number} Organisme A2 — Avenir Ouest Déposé Prise en instruction {limit:%d/%m/%Y} 3 jours ouvrés" in page
    assert f"{limit:%d/%m/%Y} 3 jours ouvrés Instance" in page
    assert number not in page_text(as_user("reseau2.admin").get("/habilitations/en-retard"))


def test_deadlines_count_the_summer_holidays(app, api, body, monkeypatch):
    """A convocation and a refusal sent on Friday 10 July 2026: 14 July is a holiday, 15 August a Saturday."""
    pk = deposited(api, body)
    act(api, "certifpro", pk, "instruire")
    travel(monkeypatch, datetime.date(2026, 7, 10))
    # 8 jours ouvrés after Friday 10 July: 13, 15, 16, 17, 20, 21, 22, 23 → Thursday 23 July.
    refused = act(api, "certifpro", pk, "convoquer", date="2026-07-22T14:00", lieu="Paris")
    assert refused.get_json()["message"]["date"] == [
        "La convocation doit laisser au moins 8 jours ouvrés : audition le 23/07/2026 au plus tôt."
    ]
    assert act(api, "certifpro", pk, "convoquer", date="2026-07-23T14:00", lieu="Paris").status_code == 200
    assert act(api, "certifpro", pk, "avis", favorable=False, motivation="Non conforme.").status_code == 200
    with app.app_context():
        db.session.get(DemandeHabilitation, pk).reunion_id = None  # decided out of a planned meeting
        db.session.commit()
    assert act(api, "certifpro", pk, "rejeter", motif="Non conforme.").status_code == 200
    with app.app_context():
        # Never acknowledged: received 2 jours ouvrés after the sending (13, 15 July).
        assert db.session.get(DemandeHabilitation, pk).notifie_le == datetime.date(2026, 7, 15)
    # 30 jours ouvrés after Wednesday 15 July 2026: Wednesday 26 August.
    travel(monkeypatch, datetime.date(2026, 8, 27))
    late = act(api, "org.admin", pk, "recours", note="Nous contestons.")
    assert late.status_code == 409
    assert "a expiré le 26/08/2026" in late.get_json()["message"]
    travel(monkeypatch, datetime.date(2026, 8, 26))
    assert act(api, "org.admin", pk, "recours", note="Nous contestons.").status_code == 200


def test_the_thread_carries_messages_with_documents(app, api, body, as_user):
    import io

    pk = deposited(api, body)
    assert attach_cv(api, pk, content=PDF_MINIMAL + b"2").status_code == 409  # read-only: through a message
    sent = api("org.admin").post(
        f"/api/v1/habilitation/{pk}/messages",
        data={"message": "Voici notre attestation Qualiopi.", "file": (io.BytesIO(PDF_MINIMAL + b"q"), "qualiopi.pdf")},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 201, sent.get_json()
    bad = api("org.admin").post(
        f"/api/v1/habilitation/{pk}/messages",
        data={"message": "Et ceci.", "file": (io.BytesIO(b"MZ"), "virus.pdf")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
    result = api("certifpro").get(f"/api/v1/habilitation/{pk}").get_json()["result"]
    assert [m["texte"] for m in result["messages"]] == ["Voici notre attestation Qualiopi."]
    assert "qualiopi.pdf" in {d["nom"] for d in result["documents"]}
    page = page_text(as_user("certifpro").get(f"/habilitations/show/{pk}"))
    assert "Voici notre attestation Qualiopi. qualiopi.pdf" in page
    with app.app_context():
        certifpro = demo(Utilisateur, username="certifpro")
        assert db.session.execute(
            select(Notification).where(
                Notification.user_id == certifpro.id,
                Notification.titre == f"Nouveau message sur le dossier d'habilitation n°{pk:06d}",
            )
        ).first()
    assert api("org.admin").post(f"/api/v1/habilitation/{pk}/messages", json={"message": " "}).status_code == 422
