"""« Importer des candidats » (issue 17, api.md « Bulk import »): the template, the report by line and column,
the simulation, all-or-nothing by default, the valid rows kept on request, no duplicate on a second import."""

import datetime
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.models import Candidature, Etablissement
from tests.conftest import demo


def template(client) -> tuple:
    answer = client.get("/api/v1/candidature/modele_import")
    assert answer.status_code == 200, answer.data[:200]
    workbook = load_workbook(io.BytesIO(answer.data))
    return workbook, [c.value for c in workbook["Candidats"][1]]


def person(nom, prenom="Léa", **overrides) -> dict:
    row = {
        "Certification *": "CléA",
        "Statut à l'inscription *": "Demandeur d'emploi",
        "Niveau de formation *": "Niveau 1 – maîtrise des savoirs de base",
        "Financeur principal *": "OPCO",
        "Civilité *": "Madame",
        "Nom de naissance *": nom,
        "Prénom *": prenom,
        "Date de naissance (jj/mm/aaaa) *": datetime.date(1985, 3, 14),
        "Né à l'étranger": "Non",
        "Ville de naissance *": "Lyon",
        "Code postal de naissance": 1000,  # typed as a number by the spreadsheet: « 01000 »
    }
    row.update(overrides)
    return row


def filled(workbook, header, rows) -> bytes:
    sheet = workbook["Candidats"]
    for number, row in enumerate(rows, start=2):
        for column, title in enumerate(header, start=1):
            if title in row:
                sheet.cell(row=number, column=column, value=row[title])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def upload(api, content, etab_id, **flags):
    data = {"file": (io.BytesIO(content), "candidats.xlsx"), "etablissement": str(etab_id)}
    data.update({k: "true" if v else "false" for k, v in flags.items()})
    return api.post("/api/v1/candidature/import", data=data, content_type="multipart/form-data")


def count(app, **lookup) -> int:
    from app.extensions import db

    with app.app_context():
        return db.session.execute(select(func.count(Candidature.id)).filter_by(**lookup)).scalar()


def test_the_template_carries_the_form_s_labels_its_lists_and_the_notice(api_as):
    workbook, header = template(api_as("etab.user"))
    assert header[:3] == ["Certification *", "Statut à l'inscription *", "Branche délégataire"]
    assert "Nom de naissance *" in header and "Email" in header and len(header) == 27
    sheet = workbook["Candidats"]
    lists = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}
    assert any(formula.startswith("=Listes!$I$") for formula in lists.values())  # Civilité
    civilites = [c.value for c in workbook["Listes"]["I"] if c.value]
    assert civilites and "Madame" in civilites
    assert "responsable du traitement" in workbook["Données personnelles"]["A2"].value


def test_a_simulation_reports_every_error_by_line_and_column_and_creates_nothing(app, api_as):
    with app.app_context():
        etab_id = demo(Etablissement, nom="Avenir Paris République").id
        existing = demo(Candidature, nom_naissance="Lambert", prenom="Yanis")
        taken = (existing.nom_naissance, existing.prenom, existing.date_naissance)
    api = api_as("etab.user")
    workbook, header = template(api)
    content = filled(
        workbook,
        header,
        [
            person("Importé", "Un"),
            person("Importé", "Deux", **{"Civilité *": "Monsieur le Comte"}),
            person("Importé", "Un"),  # the same person twice in the file
            person(taken[0], taken[1], **{"Date de naissance (jj/mm/aaaa) *": taken[2]}),  # already registered
            person("Importé", "Trois", **{"Date de naissance (jj/mm/aaaa) *": "31/02/1990", "Email": "pas-un-mail"}),
        ],
    )
    before = count(app)
    report = upload(api, content, etab_id, simulation=True)
    assert report.status_code == 200, report.get_json()
    body = report.get_json()
    assert body["crees"] == 0 and body["lignes"] == 5 and body["valides"] == 1
    errors = {(e["ligne"], e["colonne"]) for e in body["erreurs"]}
    assert (3, "Civilité") in errors
    assert (4, "Nom de naissance") in errors and (5, "Nom de naissance") in errors
    assert (6, "Date de naissance (jj/mm/aaaa)") in errors and (6, "Email") in errors
    messages = {e["ligne"]: e["message"] for e in body["erreurs"]}
    assert messages[4] == "Ce candidat figure déjà à la ligne 2 du fichier."
    assert "déjà inscrit sur la plateforme" in messages[5]
    assert messages[3] == "Valeur inconnue dans la liste."
    # By default one invalid row: nothing is created
    refused = upload(api, content, etab_id).get_json()
    assert refused["crees"] == 0 and refused["message"].startswith("Aucun candidat n'a été créé")
    assert count(app) == before


def test_valid_rows_are_imported_on_request_and_a_second_import_creates_no_duplicate(app, api_as):
    with app.app_context():
        etab_id = demo(Etablissement, nom="Avenir Paris République").id
    api = api_as("etab.user")
    workbook, header = template(api)
    content = filled(
        workbook,
        header,
        [person("Importé", "Un"), person("Importé", "Deux"), person("Importé", "Trois", **{"Civilité *": "?"})],
    )
    before = count(app)
    kept = upload(api, content, etab_id, partiel=True).get_json()
    assert kept["crees"] == 2 and [e["ligne"] for e in kept["erreurs"]] == [4]
    assert count(app) == before + 2 and count(app, nom_naissance="Importé", code_postal_naissance="01000") == 2
    created = api.get(f"/api/v1/candidature/{kept['dossiers'][0]['id']}").get_json()["result"]
    assert (
        created["prenom"] == "Un" and created["date_naissance"] == "1985-03-14" and created["etablissement"] == etab_id
    )
    again = upload(api, content, etab_id, partiel=True).get_json()
    assert again["crees"] == 0 and count(app) == before + 2
    assert all("déjà inscrit" in e["message"] for e in again["erreurs"] if e["ligne"] in (2, 3))


def test_bad_files_and_profiles_are_refused_in_french(app, api_as):
    with app.app_context():
        etab_id = demo(Etablissement, nom="Avenir Paris République").id
        other = demo(Etablissement, nom="Compétences Méditerranée Marseille").id
    api = api_as("etab.user")
    answer = upload(api, b"not a workbook", etab_id)
    assert answer.status_code == 422
    assert answer.get_json()["message"]["file"] == [
        "Ce fichier n'est pas un classeur .xlsx lisible : partez du modèle à télécharger."
    ]
    workbook, header = template(api)
    outside = upload(api, filled(workbook, header, [person("Hors", "Périmètre")]), other).get_json()
    assert outside["erreurs"][0]["message"] == "Cet établissement n'existe pas ou n'est pas dans votre périmètre."
    assert api.post("/api/v1/candidature/import", data={}, content_type="multipart/form-data").status_code == 422
    assert (
        api_as("certif.idf")
        .post(
            "/api/v1/candidature/import",
            data={"file": (io.BytesIO(b"x"), "a.xlsx")},
            content_type="multipart/form-data",
        )
        .status_code
        == 403
    )


def test_the_import_page_shows_the_report_and_imports(app, as_user, api_as):
    with app.app_context():
        etab_id = demo(Etablissement, nom="Avenir Paris République").id
    etab = as_user("etab.user")
    assert "Importer des candidats" in etab.get("/candidatures/list/").get_data(as_text=True)
    page = etab.get("/candidatures/importer").get_data(as_text=True)
    assert "Télécharger le modèle (.xlsx)" in page and "Importer les lignes valides" in page
    model = etab.get("/candidatures/modele-import.xlsx")
    workbook = load_workbook(io.BytesIO(model.data))
    header = [c.value for c in workbook["Candidats"][1]]
    content = filled(
        workbook, header, [person("Formulaire", "Un"), person("Formulaire", "Deux", **{"Civilité *": "?"})]
    )

    def post(action):
        return etab.post(
            "/candidatures/importer",
            data={"file": (io.BytesIO(content), "c.xlsx"), "etablissement": str(etab_id), "action": action},
            content_type="multipart/form-data",
        ).get_data(as_text=True)

    simulated = post("simulation")
    assert "Simulation : 1 ligne(s) valide(s) sur 2, 1 erreur(s)." in simulated
    assert "Valeur inconnue dans la liste." in simulated and "Civilité" in simulated
    assert "Aucun candidat n&#39;a été créé" in post("importer")
    done = post("partiel")
    assert "1 candidat(s) créé(s) ; 1 erreur(s) sur les autres lignes." in done and "Dossier créé" in done
    assert count(app, nom_naissance="Formulaire") == 1


# --- Big files: in the background, with their progress ------------------------------------------------------------


@pytest.mark.committing
def test_a_big_file_is_imported_in_the_background_and_followed_until_its_report(app, api_as, as_user, monkeypatch):
    from app import tasks
    from app.extensions import db
    from app.models import ImportCandidats
    from app.services import import_candidats

    with app.app_context():
        etab_id = demo(Etablissement, nom="Avenir Paris République").id
    monkeypatch.setitem(app.config, "IMPORT_DIRECT_LIGNES", 2)
    monkeypatch.setattr(import_candidats, "PAS_PROGRESSION", 1)
    api = api_as("etab.user")
    workbook, header = template(api)
    rows = [person("Lointain", p) for p in ("Un", "Deux", "Trois")]
    rows.append(person("Lointain", "Quatre", **{"Civilité *": "?"}))
    content = filled(workbook, header, rows)
    before = count(app)

    answer = upload(api, content, etab_id, partiel=True)
    assert answer.status_code == 202, answer.get_json()
    job = answer.get_json()
    assert job["statut"] == "en_attente" and job["lignes_total"] == 4 and job["progression"] == 0
    assert count(app) == before  # nothing created in the request
    page = as_user("etab.user").get(f"/candidatures/importer/{job['id']}").get_data(as_text=True)
    assert "En attente de traitement" in page and 'http-equiv="refresh"' in page and "candidats.xlsx" in page
    # its author's only
    assert api_as("org.admin").get(job["url"]).status_code == 404
    assert as_user("org.admin").get(f"/candidatures/importer/{job['id']}").status_code == 404

    tasks.run_pending()  # the import, then the mails its files queued
    state = api.get(job["url"]).get_json()
    assert state["statut"] == "termine" and state["progression"] == 100, state
    assert state["rapport"]["crees"] == 3 and [e["ligne"] for e in state["rapport"]["erreurs"]] == [5]
    assert count(app, nom_naissance="Lointain") == 3 and count(app) == before + 3
    with app.app_context():
        row = db.session.get(ImportCandidats, job["id"])
        # the progress was written as the rows were created, and the uploaded file (personal data) is gone
        assert (row.phase, row.lignes_faites) == (ImportCandidats.CREATION, 3)
        assert row.contenu is None and row.termine_le is not None
    done = as_user("etab.user").get(f"/candidatures/importer/{job['id']}").get_data(as_text=True)
    assert "Import terminé le" in done and "3 candidat(s) créé(s) ; 1 erreur(s) sur les autres lignes." in done
    assert 'http-equiv="refresh"' not in done and "Valeur inconnue dans la liste." in done


@pytest.mark.committing
def test_the_import_page_sends_a_big_file_to_the_background_and_shows_its_progress(app, as_user, monkeypatch):
    from app import tasks

    with app.app_context():
        etab_id = demo(Etablissement, nom="Avenir Paris République").id
    monkeypatch.setitem(app.config, "IMPORT_DIRECT_LIGNES", 1)
    etab = as_user("etab.user")
    workbook = load_workbook(io.BytesIO(etab.get("/candidatures/modele-import.xlsx").data))
    header = [c.value for c in workbook["Candidats"][1]]
    content = filled(workbook, header, [person("Arrière", "Un"), person("Arrière", "Deux")])
    answer = etab.post(
        "/candidatures/importer",
        data={"file": (io.BytesIO(content), "gros.xlsx"), "etablissement": str(etab_id), "action": "simulation"},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 302 and "/candidatures/importer/" in answer.headers["Location"]
    page = etab.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Simulation d'import" in page and "gros.xlsx" in page and "2 lignes" in page
    tasks.run_pending()
    done = etab.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Simulation terminée le" in done and "Simulation : 2 ligne(s) valide(s) sur 2 ; aucune erreur." in done
    assert count(app, nom_naissance="Arrière") == 0


def test_the_sweep_queues_forgotten_imports_again_and_ends_those_of_dead_workers(app):
    from app import tasks
    from app.extensions import db
    from app.models import ImportCandidats, Utilisateur
    from app.models.base import utcnow
    from app.services import import_candidats

    with app.app_context():
        user = demo(Utilisateur, username="etab.user")
        etab = demo(Etablissement, nom="Avenir Paris République")
        old = utcnow() - datetime.timedelta(minutes=10)
        forgotten, lost, fresh = (
            ImportCandidats(user_id=user.id, etablissement_id=etab.id, nom_fichier="a.xlsx", contenu=b"x", **k)
            for k in (
                {"battement_le": old},
                {"statut": ImportCandidats.EN_COURS, "battement_le": old},
                {"battement_le": utcnow()},
            )
        )
        db.session.add_all([forgotten, lost, fresh])
        db.session.commit()
        tasks.forget_pending()
        assert import_candidats.reprendre() == 2
        assert tasks._manual == [("clea.importer_candidats", (forgotten.id,))]
        tasks.forget_pending()
        db.session.refresh(lost)
        assert lost.statut == ImportCandidats.ECHEC and lost.contenu is None
        assert lost.erreur.startswith("L'import s'est interrompu.")
        assert fresh.statut == ImportCandidats.EN_ATTENTE
