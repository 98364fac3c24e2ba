"""Evaluations (guide §17–18, domain.md §4.2): draft, finalisation, cumulated acquis, training between
evaluations, evaluator ≠ trainer, reopening rights, matrix .xlsx — UI and API, inside the perimeter."""

import io

import openpyxl
from sqlalchemy import select

from app.extensions import db
from app.models import Candidature, Domaine, Referentiel, SousDomaine
from tests.conftest import demo, page_text
from tests.test_documents import PDF

EVALUATEUR = {"evaluateur_nom": "Durand", "evaluateur_prenom": "Alice", "evaluateur_email": "alice.durand@of.example"}
CODES = [f"{d}.{s}" for d, n in ((1, 5), (2, 5), (3, 4), (4, 4), (5, 3), (6, 3), (7, 4)) for s in range(1, n + 1)]


def file_pk(app, numero):
    with app.app_context():
        return demo(Candidature, numero_dossier=numero).id


def statut(app, pk):
    with app.app_context():
        return db.session.get(Candidature, pk).statut


def sous_domaine_ids(app):
    with app.app_context():
        return dict(
            db.session.execute(
                select(SousDomaine.code, SousDomaine.id)
                .join(Domaine)
                .join(Referentiel)
                .where(Referentiel.certification == "clea")
            ).all()
        )


def results(acquired=CODES, missing=()):
    return [{"sous_domaine": code, "acquis": True} for code in acquired] + [
        {"sous_domaine": code, "acquis": False, "commentaire": "À retravailler"} for code in missing
    ]


def new_file(api_client, etablissement, nom, certification="clea"):
    """A fresh file in « En attente d'évaluation préalable »."""
    response = api_client.post(
        "/api/v1/candidature/",
        json={
            "etablissement": etablissement,
            "certification": certification,
            "statut_inscription": "Demandeur d'emploi",
            "niveau_formation": "Niveau 3 – CAP, BEP (ancien niveau V)",
            "financeur_principal": "CPF",
            "civilite": "Madame",
            "nom_naissance": nom,
            "prenom": "Sofia",
            "date_naissance": "1990-04-12",
            "ville_naissance": "Paris",
            "code_postal_naissance": "75012",
            "objectifs_professionnels": "Obtenir un poste d'agent logistique qualifié dans un entrepôt régional.",
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def etab_a11(app):
    with app.app_context():
        return demo(Candidature, numero_dossier="2026000001").etablissement_id


# --- The whole path of the guide, through the API ---------------------------------------------------------------


def test_whole_path_of_the_guide(app, api_as):
    org = api_as("org.admin")
    pk = new_file(org, etab_a11(app), "Parcours")
    # Partial évaluation préalable: a draft, then the rest, then finalisation with the matrix.
    draft = org.post(
        "/api/v1/evaluation/",
        json={"candidature": pk, **EVALUATEUR, "date_evaluation": "2025-11-11", "resultats": results(CODES[:10])},
    )
    assert draft.status_code == 201, draft.get_json()
    eid = draft.get_json()["id"]
    body = draft.get_json()["result"]
    assert body["etat"] == "en_cours" and len(body["resultats"]) == 28
    assert body["synthese"] == "10 acquis, 0 non acquis, 18 à renseigner"
    incomplete = org.post(f"/api/v1/evaluation/{eid}/finaliser")
    assert incomplete.status_code == 422
    messages = str(incomplete.get_json()["message"])
    assert "18 restants" in messages and "La conclusion est obligatoire" in messages
    # every missing sub-domain is named, not the first ten (issue 17)
    listed = messages.split("18 restants : ")[1].split(")")[0].split(", ")
    assert len(listed) == 18 and "…" not in messages
    assert "Déposez au moins un document" in messages
    saved = org.put(
        f"/api/v1/evaluation/{eid}",
        json={"conclusion": "Préconisation de formation", "resultats": results(CODES[10:24], missing=CODES[24:])},
    )
    assert saved.status_code == 200, saved.get_json()
    matrix = org.post(
        f"/api/v1/evaluation/{eid}/documents",
        data={"file": (io.BytesIO(PDF + b"m1"), "matrice.pdf")},
        content_type="multipart/form-data",
    )
    assert matrix.status_code == 201, matrix.get_json()
    done = org.post(f"/api/v1/evaluation/{eid}/finaliser")
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["result"]["resultat"] == "non_valide"
    assert statut(app, pk) == "attente_evaluation_finale"
    again = org.post(f"/api/v1/evaluation/{eid}/finaliser")
    assert again.status_code == 409

    # A new evaluation needs a training with an attestation since the previous one.
    refused = org.post("/api/v1/evaluation/", json={"candidature": pk, **EVALUATEUR, "date_evaluation": "2026-01-20"})
    assert refused.status_code == 409
    assert "formation ainsi qu'une attestation de formation" in refused.get_json()["message"]
    with app.app_context():
        domaine7 = db.session.execute(
            select(Domaine.id).join(Referentiel).where(Referentiel.certification == "clea", Domaine.code == "7")
        ).scalar_one()
    training = org.post(
        "/api/v1/formation/",
        json={
            "candidature": pk,
            "date_debut": "2025-12-01",
            "date_fin": "2025-12-19",
            "duree_heures": 21,
            "formateur_nom": "Fabre",
            "formateur_prenom": "Lina",
            "formateur_email": "lina.fabre@of.example",
            "domaines": [domaine7],
        },
    )
    assert training.status_code == 201
    assert (
        org.post(
            "/api/v1/evaluation/", json={"candidature": pk, **EVALUATEUR, "date_evaluation": "2026-01-20"}
        ).status_code
        == 409
    )
    attestation = org.post(
        f"/api/v1/formation/{training.get_json()['id']}/documents",
        data={"file": (io.BytesIO(PDF + b"att"), "attestation.pdf")},
        content_type="multipart/form-data",
    )
    assert attestation.status_code == 201
    # The evaluator is never one of the candidate's trainers.
    trainer = org.post(
        "/api/v1/evaluation/",
        json={
            "candidature": pk,
            **EVALUATEUR,
            "evaluateur_email": "Lina.Fabre@OF.example",
            "date_evaluation": "2026-01-20",
        },
    )
    assert trainer.status_code == 422
    assert "ne peut pas être l'un de ses formateurs" in str(trainer.get_json()["message"])
    # Évaluation finale: what was acquired stays acquired, only the rest is evaluated.
    final = org.post(
        "/api/v1/evaluation/",
        json={
            "candidature": pk,
            **EVALUATEUR,
            "date_evaluation": "2026-01-20",
            "conclusion": "Présentation du dossier devant le jury de certification",
        },
    )
    assert final.status_code == 201, final.get_json()
    fid = final.get_json()["id"]
    kept = {r["sous_domaine"]: r for r in final.get_json()["result"]["resultats"]}
    assert kept["1.1"]["acquis"] is True and kept["1.1"]["acquis_anterieurement"] is True
    assert kept["7.1"]["acquis"] is None and final.get_json()["result"]["finale"] is True
    downgrade = org.put(f"/api/v1/evaluation/{fid}", json={"resultats": [{"sous_domaine": "1.1", "acquis": False}]})
    assert downgrade.status_code == 422 and "déjà acquis" in str(downgrade.get_json()["message"])
    assert org.put(f"/api/v1/evaluation/{fid}", json={"resultats": results(CODES[24:])}).status_code == 200
    org.post(
        f"/api/v1/evaluation/{fid}/documents",
        data={"file": (io.BytesIO(PDF + b"m2"), "matrice2.pdf")},
        content_type="multipart/form-data",
    )
    validated = org.post(f"/api/v1/evaluation/{fid}/finaliser")
    assert validated.status_code == 200 and validated.get_json()["result"]["resultat"] == "valide"
    assert statut(app, pk) == "a_envoyer_certification"

    # Send → cancelled by the network admin → abandon → réintégrer.
    assert org.post(f"/api/v1/candidature/{pk}/envoyer_certification").status_code == 200
    assert statut(app, pk) == "attente_jury"
    assert org.post(f"/api/v1/candidature/{pk}/annuler_envoi").status_code == 403
    assert api_as("reseau.admin").post(f"/api/v1/candidature/{pk}/annuler_envoi").status_code == 200
    assert statut(app, pk) == "a_envoyer_certification"
    assert org.post(f"/api/v1/candidature/{pk}/abandonner", json={"motif": "Abandon du candidat"}).status_code == 200
    assert statut(app, pk) == "abandonnee"
    assert org.post(f"/api/v1/candidature/{pk}/reintegrer").status_code == 200
    assert statut(app, pk) == "a_envoyer_certification"


def test_reopening_rights_before_and_after_sending(app, api_as):
    org = api_as("org.admin")
    pk = new_file(org, etab_a11(app), "Reouverture")
    eid = org.post(
        "/api/v1/evaluation/",
        json={
            "candidature": pk,
            **EVALUATEUR,
            "date_evaluation": "2025-10-01",
            "conclusion": "Préconisation de formation",
            "resultats": results(),
        },
    ).get_json()["id"]
    org.post(
        f"/api/v1/evaluation/{eid}/documents",
        data={"file": (io.BytesIO(PDF + b"r"), "m.pdf")},
        content_type="multipart/form-data",
    )
    assert org.post(f"/api/v1/evaluation/{eid}/finaliser").status_code == 200
    assert statut(app, pk) == "a_envoyer_certification"
    # Below Administrateur organisme: refused, with the guide's reason.
    user = api_as("etab.user").post(f"/api/v1/evaluation/{eid}/rouvrir")
    assert user.status_code == 409 and "Administrateur organisme et plus" in user.get_json()["message"]
    reopened = org.post(f"/api/v1/evaluation/{eid}/rouvrir")
    assert reopened.status_code == 200 and reopened.get_json()["result"]["etat"] == "en_cours"
    assert statut(app, pk) == "attente_evaluation_prealable"
    assert org.post(f"/api/v1/evaluation/{eid}/finaliser").status_code == 200
    assert org.post(f"/api/v1/candidature/{pk}/envoyer_certification").status_code == 200
    # After the sending: only the network and Certif Pro; the file stays with the certifier.
    after = org.post(f"/api/v1/evaluation/{eid}/rouvrir")
    assert after.status_code == 409 and "seuls l'administrateur réseau et Certif Pro" in after.get_json()["message"]
    network = api_as("reseau.admin")
    assert network.post(f"/api/v1/evaluation/{eid}/rouvrir").status_code == 200
    assert statut(app, pk) == "attente_jury"
    assert org.put(f"/api/v1/evaluation/{eid}", json={"commentaire": "x"}).status_code == 403
    worse = network.put(f"/api/v1/evaluation/{eid}", json={"resultats": results(missing=["7.4"], acquired=[])})
    assert worse.status_code == 200
    kept = network.post(f"/api/v1/evaluation/{eid}/finaliser")
    assert kept.status_code == 422 and "doivent rester acquis" in str(kept.get_json()["message"])
    network.put(f"/api/v1/evaluation/{eid}", json={"resultats": results(["7.4"])})
    assert network.post(f"/api/v1/evaluation/{eid}/finaliser").status_code == 200
    assert statut(app, pk) == "attente_jury"


def test_evaluations_are_404_outside_the_perimeter(app, api_as, as_user):
    org = api_as("org.admin")
    pk = new_file(org, etab_a11(app), "Perimetre")
    eid = org.post(
        "/api/v1/evaluation/", json={"candidature": pk, **EVALUATEUR, "date_evaluation": "2025-10-01"}
    ).get_json()["id"]
    other = api_as("org2.admin")
    assert other.get(f"/api/v1/evaluation/{eid}").status_code == 404
    assert other.put(f"/api/v1/evaluation/{eid}", json={"commentaire": "x"}).status_code == 404
    assert other.post(f"/api/v1/evaluation/{eid}/finaliser").status_code == 404
    assert other.post(f"/api/v1/evaluation/{eid}/rouvrir").status_code == 404
    assert (
        other.post(
            f"/api/v1/evaluation/{eid}/documents",
            data={"file": (io.BytesIO(PDF), "m.pdf")},
            content_type="multipart/form-data",
        ).status_code
        == 404
    )
    assert (
        other.post(
            "/api/v1/evaluation/", json={"candidature": pk, **EVALUATEUR, "date_evaluation": "2025-10-01"}
        ).status_code
        == 404
    )
    assert eid not in other.get("/api/v1/evaluation/").get_json()["ids"]
    assert eid in org.get("/api/v1/evaluation/").get_json()["ids"]
    browser = as_user("org2.admin")
    assert browser.get(f"/candidatures/evaluations/{eid}").status_code == 404
    assert browser.post(f"/candidatures/evaluations/{eid}", data={"action": "finaliser"}).status_code == 404
    assert browser.post(f"/candidatures/evaluations/{eid}/rouvrir").status_code == 404
    assert browser.get(f"/candidatures/evaluations/candidature/{pk}/nouvelle").status_code == 404


def test_bad_evaluation_input_answers_in_french(app, api_as):
    org = api_as("org.admin")
    pk = new_file(org, etab_a11(app), "Saisie")
    bad = org.post(
        "/api/v1/evaluation/",
        json={
            "candidature": pk,
            "evaluateur_nom": "",
            "evaluateur_prenom": 12,
            "evaluateur_email": "pas-un-email",
            "date_evaluation": "2999-01-01",
            "conclusion": "Au hasard",
        },
    )
    assert bad.status_code == 422
    errors = bad.get_json()["message"]
    assert errors["evaluateur_nom"] == ["Ce champ est obligatoire."]
    assert errors["evaluateur_prenom"] == ["Une chaîne de caractères est attendue."]
    assert errors["evaluateur_email"] == ["Adresse email invalide."]
    assert errors["date_evaluation"] == ["La date d'évaluation ne peut pas être dans le futur."]
    assert errors["conclusion"] == ["Conclusion inconnue."]
    assert org.post(
        "/api/v1/evaluation/", json={"candidature": pk, **EVALUATEUR, "date_evaluation": "31/02/2024"}
    ).get_json()["message"]["date_evaluation"] == ["Date invalide (jj/mm/aaaa)."]
    assert org.post("/api/v1/evaluation/", json=[1]).status_code == 422
    assert org.post("/api/v1/evaluation/", json={"candidature": "x"}).status_code == 422
    assert org.post("/api/v1/evaluation/", json={"candidature": pk, "inconnu": 1}).status_code == 422
    eid = org.post(
        "/api/v1/evaluation/", json={"candidature": pk, **EVALUATEUR, "date_evaluation": "2025-10-01"}
    ).get_json()["id"]
    unknown = org.put(f"/api/v1/evaluation/{eid}", json={"resultats": [{"sous_domaine": "9.9", "acquis": True}]})
    assert unknown.status_code == 422
    assert "« 9.9 » n'existe pas dans le référentiel de ce dossier" in str(unknown.get_json()["message"])
    wrong_type = org.put(f"/api/v1/evaluation/{eid}", json={"resultats": [{"sous_domaine": "1.1", "acquis": "oui"}]})
    assert wrong_type.status_code == 422 and "true, false ou null" in str(wrong_type.get_json()["message"])
    assert org.put(f"/api/v1/evaluation/{eid}", json={"resultats": "tout"}).status_code == 422
    # One draft at a time.
    second = org.post("/api/v1/evaluation/", json={"candidature": pk, **EVALUATEUR, "date_evaluation": "2025-10-02"})
    assert second.status_code == 409 and "déjà en cours" in second.get_json()["message"]
    # Results for another référentiel: CléA numérique has no sub-domain 5.3.
    numerique = new_file(org, etab_a11(app), "Numerique", certification="clea_numerique")
    nid = org.post(
        "/api/v1/evaluation/", json={"candidature": numerique, **EVALUATEUR, "date_evaluation": "2025-10-01"}
    )
    assert nid.status_code == 201 and len(nid.get_json()["result"]["resultats"]) == 10
    other_ref = org.put(
        f"/api/v1/evaluation/{nid.get_json()['id']}", json={"resultats": [{"sous_domaine": "5.3", "acquis": True}]}
    )
    assert other_ref.status_code == 422 and "« 5.3 » n'existe pas" in str(other_ref.get_json()["message"])


def test_matrix_xlsx_lists_the_28_sub_domains(app, as_user):
    pk = file_pk(app, "2026000001")
    response = as_user("etab.user").get(f"/candidatures/evaluations/candidature/{pk}/matrice")
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    codes = [row[0] for row in values if row[0] in CODES]
    assert codes == CODES
    flat = " ".join(str(c) for row in values for c in row if c)
    assert "Matrice d'évaluation CléA" in flat and "MOREAU Camille" in flat and "Signature du bénéficiaire" in flat
    assert as_user("org2.admin").get(f"/candidatures/evaluations/candidature/{pk}/matrice").status_code == 404


def test_evaluation_form_in_the_browser_flow(app, as_user):
    """The guide's screens: the Evaluations tab, the form with its domains, save and resume, finalise."""
    org = as_user("etab.user")
    pk = file_pk(app, "2026000001")
    page = page_text(org.get(f"/candidatures/show/{pk}"))
    assert "Evaluations" in page and "Ajouter une évaluation" in page and "Télécharger la matrice" in page
    assert "Nombre total d'évaluations terminées : 0" in page
    form = page_text(org.get(f"/candidatures/evaluations/candidature/{pk}/nouvelle"))
    assert "Domaine 1 : Communiquer en français" in form and "Sous domaine 1.2 : S'exprimer à l'oral" in form
    assert "Enregistrer et reprendre plus tard" in form and "Finaliser l'évaluation" in form
    ids = sous_domaine_ids(app)
    data = {
        **EVALUATEUR,
        "date_evaluation": "12/11/2025",
        "conclusion": "",
        "commentaire": "",
        "action": "enregistrer",
        f"acquis_{ids['1.1']}": "1",
        f"acquis_{ids['1.2']}": "0",
        f"commentaire_{ids['1.2']}": "Difficultés à l'oral",
    }
    missing = org.post(f"/candidatures/evaluations/candidature/{pk}/nouvelle", data={**data, "evaluateur_nom": ""})
    assert "Ce champ est obligatoire." in page_text(missing)
    saved = org.post(f"/candidatures/evaluations/candidature/{pk}/nouvelle", data=data, follow_redirects=True)
    text = page_text(saved)
    assert "L'évaluation est enregistrée : vous pourrez la reprendre plus tard." in text
    assert "Difficultés à l'oral" in text
    html = saved.get_data(as_text=True)
    assert f'name="acquis_{ids["1.1"]}" value="1" checked' in html
    show = page_text(org.get(f"/candidatures/show/{pk}"))
    assert "En cours de création" in show and "Continuer l'évaluation en cours" in show
    # Something was evaluated: the file can no longer be deleted (it may be abandoned).
    assert "Supprimer" not in show.replace("Supprimer le fichier", "")
    assert "déjà été évaluée" in page_text(
        as_user("org.admin").post(f"/candidatures/{pk}/supprimer", follow_redirects=True)
    )
    eid = int(html.split('action="/candidatures/evaluations/')[1].split('"')[0])
    everything = {f"acquis_{ids[code]}": "1" for code in CODES}
    refused = org.post(
        f"/candidatures/evaluations/{eid}",
        data={
            **data,
            **everything,
            "action": "finaliser",
            "conclusion": "Présentation du dossier devant le jury de certification",
        },
        follow_redirects=True,
    )
    assert "Déposez au moins un document" in page_text(refused)
    done = org.post(
        f"/candidatures/evaluations/{eid}",
        data={
            **data,
            **everything,
            "action": "finaliser",
            "file": (io.BytesIO(PDF + b"ui"), "matrice-complete.pdf"),
            "conclusion": "Présentation du dossier devant le jury de certification",
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    text = page_text(done)
    assert "L'évaluation est finalisée." in text and "Validé" in text
    assert "Nombre total d'évaluations terminées : 1" in text and "À envoyer en certification" in text
    assert statut(app, pk) == "a_envoyer_certification"
    readonly = org.get(f"/candidatures/evaluations/{eid}").get_data(as_text=True)
    assert "<fieldset disabled>" in readonly and "matrice-complete.pdf" in readonly
    assert "Modifier l'évaluation</button>" not in readonly
    assert "réservée aux profils Administrateur organisme et plus" in readonly
    admin = as_user("org.admin")
    assert "Modifier l'évaluation</button>" in admin.get(f"/candidatures/evaluations/{eid}").get_data(as_text=True)
    reopened = admin.post(f"/candidatures/evaluations/{eid}/rouvrir", follow_redirects=True)
    assert "L'évaluation est rouverte" in page_text(reopened)
    assert statut(app, pk) == "attente_evaluation_prealable"


def test_fiche_candidat_pdf_in_french_inside_the_perimeter(app, as_user, api_as):
    from pypdf import PdfReader

    org = api_as("org.admin")
    pk = new_file(org, etab_a11(app), "Fiche")
    eid = org.post(
        "/api/v1/evaluation/",
        json={
            "candidature": pk,
            **EVALUATEUR,
            "date_evaluation": "2025-09-15",
            "conclusion": "Préconisation de formation",
            "resultats": results(CODES[:27], missing=["7.4"]),
        },
    ).get_json()["id"]
    org.post(
        f"/api/v1/evaluation/{eid}/documents",
        data={"file": (io.BytesIO(PDF + b"f"), "m.pdf")},
        content_type="multipart/form-data",
    )
    assert org.post(f"/api/v1/evaluation/{eid}/finaliser").status_code == 200
    page = page_text(as_user("etab.user").get(f"/candidatures/show/{pk}"))
    assert "Télécharger la fiche candidat" in page
    response = as_user("etab.user").get(f"/candidatures/{pk}/fiche.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages).split())
    for expected in (
        "Fiche candidat",
        "Fiche Sofia",
        "Date de naissance",
        "12/04/1990",
        "En attente d'évaluation finale",
        "Evaluation préalable",
        "15/09/2025",
        "Non validé",
        "27 acquis, 1 non acquis, 0 à renseigner",
        "7.4",
        "Aucune formation enregistrée.",
    ):
        assert expected in text, expected
    assert api_as("org.admin").get(f"/api/v1/candidature/{pk}/fiche").data[:5] == b"%PDF-"
    assert as_user("org2.admin").get(f"/candidatures/{pk}/fiche.pdf").status_code == 404
    assert api_as("org2.admin").get(f"/api/v1/candidature/{pk}/fiche").status_code == 404


def test_demo_files_carry_their_evaluation_and_the_guide_message(app, as_user):
    client = as_user("etab.user")
    waiting = page_text(client.get(f"/candidatures/show/{file_pk(app, '2026000002')}"))
    assert "Nombre total d'évaluations terminées : 1" in waiting and "Non validé" in waiting
    assert "25 acquis, 3 non acquis, 0 à renseigner" in waiting
    assert "Vous devez fournir une formation ainsi qu'une attestation de formation" in waiting
    assert "Ajouter une évaluation" not in waiting
    ready = page_text(client.get(f"/candidatures/show/{file_pk(app, '2026000003')}"))
    assert "Validé" in ready and "28 acquis, 0 non acquis, 0 à renseigner" in ready


def test_the_refusal_to_add_an_evaluation_names_the_missing_condition(app, api_as, as_user):
    """issue 17 « Clear messages »: not only « a training and its attestation between two evaluations » but which
    of them is missing — none, one that ends before the last evaluation, one without its attestation."""
    import datetime

    from app.formatting import date_fr
    from app.models.evaluations import Evaluation
    from tests.test_exercice import file_and_domain

    pk, _etab, domaine = file_and_domain(app)
    with app.app_context():
        last = (
            db.session.execute(
                select(Evaluation.date_evaluation)
                .where(Evaluation.candidature_id == pk, Evaluation.etat == "finalisee")
                .order_by(Evaluation.date_evaluation.desc())
            )
            .scalars()
            .first()
        )
    assert last is not None
    org = api_as("org.admin")

    def refusal():
        answer = org.post("/api/v1/evaluation/", json={"candidature": pk, **EVALUATEUR, "date_evaluation": None})
        assert answer.status_code == 409, answer.get_json()
        return answer.get_json()["message"]

    assert f"aucune formation n'est enregistrée depuis l'évaluation du {date_fr(last)}." in refusal()
    training = {
        "candidature": pk,
        "duree_heures": 7,
        "formateur_nom": "Fabre",
        "formateur_prenom": "Lina",
        "formateur_email": "lina.fabre@of.example",
        "domaines": [domaine],
    }
    before = last - datetime.timedelta(days=40), last - datetime.timedelta(days=20)
    created = org.post(
        "/api/v1/formation/", json={**training, "date_debut": before[0].isoformat(), "date_fin": before[1].isoformat()}
    )
    assert created.status_code == 201, created.get_json()
    assert (
        f"la dernière formation (du {date_fr(before[0])} au {date_fr(before[1])}) se termine avant l'évaluation "
        f"du {date_fr(last)}" in refusal()
    )
    after = last + datetime.timedelta(days=1), last + datetime.timedelta(days=5)
    created = org.post(
        "/api/v1/formation/", json={**training, "date_debut": after[0].isoformat(), "date_fin": after[1].isoformat()}
    )
    assert created.status_code == 201, created.get_json()
    message = refusal()
    assert f"la formation du {date_fr(after[0])} au {date_fr(after[1])} n'a pas d'attestation" in message
    # the candidate page says the same next to « Ajouter une évaluation »
    assert "n&#39;a pas d&#39;attestation" in as_user("org.admin").get(f"/candidatures/show/{pk}").get_data(
        as_text=True
    )


def test_a_draft_evaluation_is_saved_without_its_date_which_finalising_asks_for(app, api_as, as_user):
    org = api_as("org.admin")
    pk = new_file(org, etab_a11(app), "Sansdate")
    draft = org.post("/api/v1/evaluation/", json={"candidature": pk, **EVALUATEUR, "resultats": results()})
    assert draft.status_code == 201, draft.get_json()
    eid = draft.get_json()["id"]
    assert draft.get_json()["result"]["date_evaluation"] is None
    org.put(f"/api/v1/evaluation/{eid}", json={"conclusion": "Présentation du dossier devant le jury de certification"})
    org.post(
        f"/api/v1/evaluation/{eid}/documents",
        data={"file": (io.BytesIO(PDF + b"sd"), "matrice.pdf")},
        content_type="multipart/form-data",
    )
    refused = org.post(f"/api/v1/evaluation/{eid}/finaliser")
    assert refused.status_code == 422
    assert refused.get_json()["message"] == {
        "date_evaluation": ["La date d'évaluation est obligatoire pour finaliser l'évaluation."]
    }
    # the pages say « sans date » where they said the date
    show = page_text(as_user("org.admin").get(f"/candidatures/show/{pk}"))
    assert "Evaluation sans date" in show
    form = page_text(as_user("org.admin").get(f"/candidatures/evaluations/{eid}"))
    assert "Evaluation préalable sans date" in form and "un brouillon s'enregistre sans date" in form
    finalised = as_user("org.admin").post(
        f"/candidatures/evaluations/{eid}",
        data={
            **EVALUATEUR,
            "date_evaluation": "",
            "conclusion": "Présentation du dossier devant le jury de certification",
            "action": "finaliser",
            **{f"acquis_{i}": "1" for i in sous_domaine_ids(app).values()},
        },
        follow_redirects=True,
    )
    assert "La date d'évaluation est obligatoire pour finaliser l'évaluation." in page_text(finalised)
    assert statut(app, pk) == "attente_evaluation_prealable"
    done = org.put(f"/api/v1/evaluation/{eid}", json={"date_evaluation": "2025-11-12"})
    assert done.status_code == 200, done.get_json()
    assert org.post(f"/api/v1/evaluation/{eid}/finaliser").status_code == 200
    assert statut(app, pk) == "a_envoyer_certification"


def test_the_matrix_lists_the_criteria_of_each_sub_domain_as_certif_pro_keeps_them(app, as_user):
    """issue 17: CléA numérique's criteria come from the règlement (annex 1); Certif Pro enters or corrects any
    sub-domain's, CléA's included, and the matrix shows them."""
    from app.exports.matrice import matrice_xlsx

    def rows_of(data):
        sheet = openpyxl.load_workbook(io.BytesIO(data)).active
        return {row[0]: row for row in sheet.iter_rows(values_only=True) if row[0]}

    with app.app_context():
        c = demo(Candidature, numero_dossier="2026000001")
        c.certification = "clea_numerique"
        numerique = rows_of(matrice_xlsx(c))
        db.session.rollback()
    assert numerique["Code"][2] == "Critères d'évaluation"
    assert "– Les mots de passe créés sont forts" in numerique["4.2"][2]
    assert numerique["4.2"][2].startswith("Modalités : Le candidat répond à un questionnement")
    assert all(numerique[code][2] for code in ("1.1", "1.2", "2.1", "2.2", "3.1", "3.2", "3.3", "4.1", "4.2", "4.3"))

    with app.app_context():
        sd_id = db.session.execute(
            select(SousDomaine.id)
            .join(Domaine)
            .join(Referentiel)
            .where(Referentiel.certification == "clea", SousDomaine.code == "1.1")
        ).scalar()
    admin = as_user("certifpro")
    form = admin.get(f"/sous-domaines/edit/{sd_id}").get_data(as_text=True)
    assert "Critères d&#39;évaluation" in form and "Un critère par ligne" in form
    saved = admin.post(
        f"/sous-domaines/edit/{sd_id}",
        data={
            "libelle": "Écouter et comprendre",
            "modalites_evaluation": "Mise en situation d'écoute.",
            "criteres": "- Les consignes orales sont comprises\nLe message est restitué",
        },
    )
    assert saved.status_code == 302
    pk = file_pk(app, "2026000001")
    clea = rows_of(as_user("etab.user").get(f"/candidatures/evaluations/candidature/{pk}/matrice").data)
    assert clea["1.1"][2] == (
        "Modalités : Mise en situation d'écoute.\n– Les consignes orales sont comprises\n– Le message est restitué"
    )
