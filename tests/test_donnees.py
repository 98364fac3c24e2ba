"""Personal data (issue 16, donnees-personnelles.md): the notice at collection, the access ZIP, the consultation
journal, anonymisation, retention and the register of processing activities — as the users get them."""

import datetime
import io
import json
import time
import zipfile

import pytest
from pypdf import PdfReader
from sqlalchemy import JSON, LargeBinary, String, Text, cast, func, select

from app.domain import statuts
from app.models import AuditLog, Candidature, Certificat, Consultation, Document, Etablissement, Parametre
from tests.conftest import demo
from tests.test_api_candidatures import body

NOM, PRENOM = "Quartzfeld", "Zébulon"
PDF = b"%PDF-1.4\n% piece d'identite de Zebulon Quartzfeld\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _new_file(app, api_as, **overrides) -> int:
    """A file of A1-1 with the identity above, a document named after the person, found once by the national
    search (its criteria journaled) and opened once by its establishment."""
    with app.app_context():
        etab_id = demo(Etablissement, nom="Avenir Paris République").id
    api = api_as("etab.user")
    created = api.post(
        "/api/v1/candidature/",
        json=body(
            etab_id,
            nom_naissance=NOM,
            prenom=PRENOM,
            nom_usage="Brâhmane",
            email="zebulon.quartzfeld@example.org",
            telephone="0612345678",
            adresse="12 rue des Quartz",
            objectifs_professionnels=f"{PRENOM} veut devenir cariste",
            **overrides,
        ),
    )
    assert created.status_code == 201, created.get_json()
    pk = created.get_json()["id"]
    uploaded = api.post(
        f"/api/v1/candidature/{pk}/documents",
        data={"file": (io.BytesIO(PDF), f"CNI {NOM}.pdf")},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 201, uploaded.get_json()
    return pk


def _scan(app, *needles: str) -> list[str]:
    """Every table and text-like column of the database holding one of `needles` (case-insensitive); binary
    columns (documents, export parts) are read and searched too."""
    from app.extensions import db

    found = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, (String, Text, JSON)):
                    for needle in needles:
                        hits = db.session.execute(
                            select(func.count())
                            .select_from(table)
                            .where(func.lower(cast(column, Text)).contains(needle.lower(), autoescape=True))
                        ).scalar()
                        if hits:
                            found.append(f"{table.name}.{column.name} ({needle}): {hits}")
                elif isinstance(column.type, LargeBinary):
                    for (value,) in db.session.execute(select(column)):
                        for needle in needles:
                            if value and needle.lower().encode() in bytes(value).lower():
                                found.append(f"{table.name}.{column.name} ({needle})")
    return found


# --- 1. Notice at collection --------------------------------------------------------------------------------------


def test_the_notice_is_on_the_form_the_api_info_and_the_fiche_and_certif_pro_edits_it(app, as_user, api_as):
    etab = as_user("etab.user")
    form = etab.get("/candidatures/proposer").get_data(as_text=True)
    assert "Informations sur les données personnelles du candidat" in form
    assert "responsable du traitement" in form and "dpo@certifpro.fr" in form
    info = api_as("etab.user").get("/api/v1/candidature/_info").get_json()
    assert "responsable du traitement" in info["notice_donnees_personnelles"]
    with app.app_context():
        pk = demo(Candidature, nom_naissance="Lambert", prenom="Yanis").id
    assert "responsable du traitement" in pdf_text(etab.get(f"/candidatures/{pk}/fiche.pdf").data)

    # Certif Pro changes the text (a line of the audit trail); everyone sees the new one.
    certifpro = as_user("certifpro")
    page = certifpro.get("/administration/donnees-personnelles/")
    assert page.status_code == 200 and "Notice d&#39;information sur les données personnelles" in page.get_data(
        as_text=True
    )
    notice = "Nouvelle notice : vos données servent à votre certification CléA ; écrivez au DPO de Certif Pro."
    saved = certifpro.post(
        "/administration/donnees-personnelles/",
        data={
            "notice_information": notice,
            "conservation_non_certifie_ans": "6",
            "conservation_documents_certifie_ans": "5",
            "conservation_journal_jours": "365",
        },
        follow_redirects=True,
    )
    assert "Les paramètres des données personnelles sont enregistrés." in saved.get_data(as_text=True)
    assert notice in etab.get("/candidatures/proposer").get_data(as_text=True)
    assert api_as("etab.user").get("/api/v1/candidature/_info").get_json()["notice_donnees_personnelles"] == notice
    with app.app_context():
        from app.extensions import db

        lines = db.session.execute(select(AuditLog).where(AuditLog.entity_type == "Paramètre")).scalars().all()
        assert {line.libelle for line in lines} == {"Modification des paramètres des données personnelles"}
        assert {line.entity_label for line in lines} >= {"Notice d'information sur les données personnelles"}
        assert (
            db.session.execute(
                select(Parametre.valeur).where(Parametre.cle == "conservation_non_certifie_ans")
            ).scalar()
            == "6"
        )


def test_settings_refuse_bad_values_in_french_and_are_certif_pro_s(as_user):
    certifpro = as_user("certifpro")
    page = certifpro.post(
        "/administration/donnees-personnelles/",
        data={
            "notice_information": "trop court",
            "conservation_non_certifie_ans": "0",
            "conservation_documents_certifie_ans": "cinq",
            "conservation_journal_jours": "365",
        },
    ).get_data(as_text=True)
    assert "Saisissez au moins 50 caractères." in page
    assert "Saisissez un nombre entre 1 et 30." in page
    assert "Saisissez un nombre entier." in page
    assert as_user("org.admin").get("/administration/donnees-personnelles/").status_code in (302, 403)


# --- 2. Access and portability ------------------------------------------------------------------------------------


def test_the_access_zip_holds_every_kind_of_record_of_the_person_and_nothing_of_another(app, as_user, api_as):
    from app.extensions import db

    with app.app_context():
        c = demo(Candidature, nom_naissance="Morel", prenom="Hugo")
        pk, numero = c.id, c.numero_dossier
        others = set(db.session.execute(select(Candidature.numero_dossier).where(Candidature.id != pk)).scalars())
        documents = {
            d.id: d.contenu for d in db.session.execute(select(Document).where(Document.candidature_id == pk)).scalars()
        }
    mailing = api_as("certif.idf").post(
        f"/api/v1/candidature/{pk}/envoi_certificat",
        json={"statut_lettre": "Pli non distribué", "date_traitement": "2026-11-30", "canal": "La Poste"},
    )
    assert mailing.status_code == 201, mailing.get_json()
    org = as_user("org.admin")
    org.get(f"/candidatures/show/{pk}")  # a consultation, in the journal handed out
    answer = org.get(f"/candidatures/{pk}/donnees")
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    assert "no-store" in answer.headers["Cache-Control"]
    archive = zipfile.ZipFile(io.BytesIO(answer.data))
    data = json.loads(archive.read("donnees.json"))
    assert data["candidature"]["numero_dossier"] == numero and data["candidature"]["nom_naissance"] == c.nom_naissance
    assert "cle_personne" not in data["candidature"] and "nom_recherche" not in data["candidature"]
    for kind in (
        "evaluations",
        "documents",
        "historique",
        "journal_des_consultations",
        "decisions_du_jury",
        "envois_du_certificat",
    ):
        assert data[kind], kind
    assert data["evaluations"][0]["resultats"], "les résultats de chaque évaluation"
    assert data["certificat"]["numero"]
    assert {"formations", "echanges", "envois_du_certificat", "rattachements"} <= set(data)
    assert any(line["quoi"] == "page" for line in data["journal_des_consultations"])
    # every document, byte for byte
    for item in data["documents"]:
        assert archive.read(item["fichier"]) == documents[item["id"]]
    assert len(data["documents"]) == len(documents)
    summary = pdf_text(archive.read("resume.pdf"))
    assert "Données personnelles détenues par la plateforme CléA" in summary and numero in summary
    text = archive.read("donnees.json").decode()
    assert not [n for n in others if n in text], "aucun autre dossier"
    # a file the jury sent back: its exchanges with the certifier
    with app.app_context():
        waiting = demo(Candidature, nom_naissance="Gauthier", prenom="Nathan").id
    sent = api_as("certif.idf").post(f"/api/v1/candidature/{waiting}/echanges", json={"message": "Pièce manquante."})
    assert sent.status_code == 201, sent.get_json()
    echanges = json.loads(
        zipfile.ZipFile(io.BytesIO(org.get(f"/candidatures/{waiting}/donnees").data)).read("donnees.json")
    )["echanges"]
    assert echanges and echanges[0]["cote"] == "certificateur"
    # the download itself is journaled
    with app.app_context():
        lines = db.session.execute(select(Consultation).where(Consultation.candidature_id == pk)).scalars().all()
        assert [line.detail for line in lines if line.quoi == "donnees"] == ["Archive ZIP"]


def test_the_access_zip_is_for_administrators_of_the_perimeter_and_the_api(app, as_user, api_as):
    with app.app_context():
        pk = demo(Candidature, nom_naissance="Lambert", prenom="Yanis").id
    assert as_user("org2.admin").get(f"/candidatures/{pk}/donnees").status_code == 404
    refused = as_user("etab.user").get(f"/candidatures/{pk}/donnees", follow_redirects=True)
    assert "Votre profil ne permet pas de télécharger les données de la personne." in refused.get_data(as_text=True)
    assert "Télécharger toutes les données de la personne" in as_user("org.admin").get(
        f"/candidatures/show/{pk}"
    ).get_data(as_text=True)
    assert "Télécharger toutes les données de la personne" not in as_user("etab.user").get(
        f"/candidatures/show/{pk}"
    ).get_data(as_text=True)
    api = api_as("certifpro")
    answer = api.get(f"/api/v1/candidature/{pk}/donnees")
    assert answer.status_code == 200 and "donnees.json" in zipfile.ZipFile(io.BytesIO(answer.data)).namelist()
    assert api_as("reseau2.admin").get(f"/api/v1/candidature/{pk}/donnees").status_code == 404
    assert api_as("etab.user").get(f"/api/v1/candidature/{pk}/donnees").status_code == 403


@pytest.mark.committing
def test_a_big_access_zip_is_prepared_in_the_background(app, api_as):
    from app import tasks

    with app.app_context():
        pk = demo(Candidature, nom_naissance="Lambert", prenom="Yanis").id
    app.config["DONNEES_ZIP_DIRECT_MAX"] = 0
    try:
        api = api_as("org.admin")
        answer = api.get(f"/api/v1/candidature/{pk}/donnees")
        assert answer.status_code == 202, answer.get_json()
        job = answer.get_json()
        tasks.run_pending()
        state = api.get(f"/api/v1/export/{job['id']}").get_json()
        assert state["statut"] == "pret", state
        archive = zipfile.ZipFile(io.BytesIO(api.get(state["fichier"]).data))
        assert json.loads(archive.read("donnees.json"))["candidature"]["id"] == pk
    finally:
        app.config["DONNEES_ZIP_DIRECT_MAX"] = 20 * 1024 * 1024


# --- 3. Consultation journal --------------------------------------------------------------------------------------


def test_page_tab_document_pdf_and_api_reads_are_journaled_and_shown_to_certif_pro(app, as_user, api_as):
    from app.extensions import db

    with app.app_context():
        c = demo(Candidature, nom_naissance="Lambert", prenom="Yanis")
        pk = c.id
        document_id = db.session.execute(select(Document.id).where(Document.candidature_id == pk)).scalars().first()
    etab = as_user("etab.user")
    assert etab.get(f"/candidatures/show/{pk}").status_code == 200
    assert etab.post(f"/candidatures/{pk}/consultation", data={"onglet": "Evaluations"}).status_code == 204
    assert etab.get(f"/candidatures/{pk}/fiche.pdf").status_code == 200
    assert document_id is not None
    assert etab.get(f"/candidatures/documents/{document_id}").status_code == 200
    api = api_as("etab.user")
    assert api.get(f"/api/v1/candidature/{pk}").status_code == 200
    assert api.get(f"/api/v1/candidature/{pk}/fiche").status_code == 200

    journal = api_as("certifpro").get(f"/api/v1/candidature/{pk}/consultations").get_json()["result"]
    with app.app_context():
        from app.models import Utilisateur

        etab_user_id = demo(Utilisateur, username="etab.user").id
    mine = [(e["quoi"], e["detail"]) for e in journal if e["utilisateur_id"] == etab_user_id]
    kinds = {quoi for quoi, _detail in mine}
    assert {"page", "onglet", "pdf", "api", "document"} <= kinds
    assert ("onglet", "Evaluations") in mine and ("pdf", "Fiche candidat") in mine and ("api", "Fiche") in mine
    # the page shows the journal to Certif Pro only, and the journal's API is Certif Pro's
    page = as_user("certifpro").get(f"/candidatures/show/{pk}").get_data(as_text=True)
    assert "Consultations (" in page and "Page du candidat" in page and "Onglet" in page
    assert "Consultations (" not in as_user("org.admin").get(f"/candidatures/show/{pk}").get_data(as_text=True)
    assert api_as("org.admin").get(f"/api/v1/candidature/{pk}/consultations").status_code == 403
    assert api_as("reseau2.admin").get(f"/api/v1/candidature/{pk}/consultations").status_code == 404
    # a tab of a file outside the perimeter is not journaled: 404
    assert as_user("etab2.user").post(f"/candidatures/{pk}/consultation", data={"onglet": "Fiche"}).status_code == 404


@pytest.mark.committing
def test_the_journal_is_written_in_batches_outside_the_request(app, as_user):
    from app.extensions import db
    from app.services import consultations

    with app.app_context():
        pk = demo(Candidature, nom_naissance="Lambert", prenom="Yanis").id
        before = db.session.execute(select(func.count(Consultation.id))).scalar()
    app.config["CONSULTATIONS_ECRITURE_SECONDES"] = 0.2
    try:
        etab = as_user("etab.user")
        for _ in range(3):
            assert etab.get(f"/candidatures/show/{pk}").status_code == 200
        deadline = time.monotonic() + 10
        while True:  # the writer thread inserts them shortly after, in one batch
            with app.app_context():
                count = db.session.execute(select(func.count(Consultation.id))).scalar() - before
                db.session.remove()
            if count >= 3 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert count == 3
        assert not consultations._pending
    finally:
        app.config["CONSULTATIONS_ECRITURE_SECONDES"] = 0


# --- 4. Anonymisation ---------------------------------------------------------------------------------------------


def test_anonymisation_leaves_no_copy_of_the_identity_anywhere(app, as_user, api_as):
    pk = _new_file(app, api_as)
    etab = as_user("etab.user")
    etab.get(f"/candidatures/show/{pk}")
    with app.app_context():  # a list export made since the file exists (its parts hold the rows as written)
        from app.extensions import db
        from app.models import FichierExport, PartieExport, Utilisateur

        job = FichierExport(
            user_id=demo(Utilisateur, username="etab.user").id, type="candidatures", statut="pret", nom_fichier="l.xlsx"
        )
        db.session.add(job)
        db.session.flush()
        db.session.add(PartieExport(job_id=job.id, numero=1, donnees=f"{NOM};{PRENOM}".encode()))
        db.session.commit()
    certifpro = as_user("certifpro")
    assert NOM in certifpro.post("/recherche/", data={"nom": NOM}).get_data(as_text=True)  # criteria journaled
    before = _scan(app, NOM, "zebulon", "zébulon", "0612345678")
    assert any(hit.startswith("audit_log.") for hit in before) and any(
        hit.startswith("recherche_nationale.") for hit in before
    )
    for table in ("document.", "notification.", "export_partie."):
        assert any(hit.startswith(table) for hit in before), table
    # Minimisation: the mails that leave the platform about the file give its number and link, not the person.
    assert not [hit for hit in before if hit.startswith("mail_sortant.")]
    with app.app_context():
        from app.extensions import db
        from app.models import MailSortant

        numero = demo(Candidature, id=pk).numero_dossier
        assert db.session.execute(select(MailSortant.id).where(MailSortant.corps.contains(numero))).first()

    page = certifpro.get(f"/candidatures/show/{pk}").get_data(as_text=True)
    assert "Anonymiser définitivement" in page and "Cette action est irréversible." in page
    refused = certifpro.post(f"/candidatures/{pk}/anonymiser", data={"motif": ""}, follow_redirects=True)
    text = refused.get_data(as_text=True)
    assert "Indiquez le motif de l&#39;anonymisation" in text and "Cochez la case pour confirmer" in text
    done = certifpro.post(
        f"/candidatures/{pk}/anonymiser",
        data={"motif": "Demande de la personne du 01/12/2026", "confirmation": "1"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Le dossier est anonymisé." in done and "Dossier anonymisé le" in done

    assert _scan(app, NOM, "zebulon", "zébulon", "Brâhmane", "brahmane", "0612345678", "rue des Quartz") == []
    with app.app_context():
        from app.extensions import db

        c = db.session.get(Candidature, pk)
        assert (c.nom_naissance, c.prenom, c.email, c.date_naissance) == (
            "ANONYME",
            "Anonyme",
            None,
            datetime.date(1970, 1, 1),
        )
        assert c.statut == statuts.ATTENTE_EVALUATION_PREALABLE and c.etablissement.nom == "Avenir Paris République"
        assert (
            c.cle_personne.startswith("anon:")
            and db.session.execute(select(Document.id).where(Document.candidature_id == pk)).first() is None
        )
        line = db.session.execute(
            select(AuditLog).where(AuditLog.entity_id == pk, AuditLog.libelle == "Anonymisation du dossier")
        ).scalar_one()
        assert line.changes["motif"] == [None, "Demande de la personne du 01/12/2026"]
        assert "Nom de naissance" in line.changes["champs"][1]
    # the list's and the national search's indexes no longer find the person
    assert numero in as_user("certifpro").post("/recherche/", data={"numero_dossier": numero}).get_data(as_text=True)
    assert numero not in as_user("certifpro").post("/recherche/", data={"nom": NOM}).get_data(as_text=True)
    assert numero not in as_user("certifpro").get(f"/candidatures/list/?_flt_0_nom_naissance={NOM}").get_data(
        as_text=True
    )
    # the national duplicate rule still knows the person (keyed hash of the person key)
    again = api_as("etab.user").post(
        "/api/v1/candidature/", json=body(demo_etab_id(app), nom_naissance=NOM, prenom=PRENOM)
    )
    assert again.status_code == 409 and "déjà inscrit" in again.get_json()["message"]
    # twice: harmless, said in French; the file can no longer be edited
    api = api_as("certifpro")
    second = api.post(f"/api/v1/candidature/{pk}/anonymiser", json={"motif": "encore", "confirmation": True})
    assert second.status_code == 200 and second.get_json()["deja_anonymise"] is True
    assert second.get_json()["message"] == "Ce dossier est déjà anonymisé : rien n'a été modifié."
    frozen = api.post(f"/api/v1/candidature/{pk}/abandonner", json={"motif": "Abandon du candidat"})
    assert frozen.status_code == 409 and frozen.get_json()["message"] == (
        "Ce dossier est anonymisé : son parcours ne peut plus changer."
    )
    edit = api.put(f"/api/v1/candidature/{pk}", json={"prenom": "Retour"})
    assert (
        edit.status_code == 409
        and edit.get_json()["message"] == "Ce dossier est anonymisé : il ne peut plus être modifié."
    )


def demo_etab_id(app) -> int:
    with app.app_context():
        return demo(Etablissement, nom="Avenir Paris République").id


def test_anonymisation_is_certif_pro_s_with_a_motif_and_a_confirmation(app, api_as):
    with app.app_context():
        pk = demo(Candidature, nom_naissance="Lambert", prenom="Yanis").id
    assert (
        api_as("org.admin")
        .post(f"/api/v1/candidature/{pk}/anonymiser", json={"motif": "x", "confirmation": True})
        .status_code
        == 403
    )
    assert (
        api_as("reseau2.admin")
        .post(f"/api/v1/candidature/{pk}/anonymiser", json={"motif": "x", "confirmation": True})
        .status_code
        == 404
    )
    answer = api_as("certifpro").post(f"/api/v1/candidature/{pk}/anonymiser", json={"motif": "x"})
    assert answer.status_code == 422
    assert answer.get_json()["message"] == {
        "confirmation": ["Cochez la case pour confirmer : l'anonymisation est irréversible."]
    }


def test_a_certified_file_keeps_the_certificate_s_proof_unless_certif_pro_confirms_otherwise(app, api_as):
    from app.extensions import db

    with app.app_context():
        certified = (
            db.session.execute(
                select(Candidature)
                .join(Certificat, Certificat.candidature_id == Candidature.id)
                .order_by(Candidature.id)
            )
            .scalars()
            .all()[:2]
        )
        (first, name1, cert_doc), (second, name2) = (
            (
                certified[0].id,
                certified[0].nom_naissance,
                db.session.execute(
                    select(Certificat.document_id).where(Certificat.candidature_id == certified[0].id)
                ).scalar(),
            ),
            (certified[1].id, certified[1].nom_naissance),
        )
    api = api_as("certifpro")
    kept = api.post(
        f"/api/v1/candidature/{first}/anonymiser", json={"motif": "Demande", "confirmation": True}
    ).get_json()
    assert (
        kept["preuve_conservee"] is True
        and kept["result"]["nom_naissance"] == name1
        and kept["result"]["email"] is None
    )
    with app.app_context():
        left = db.session.execute(select(Document.id).where(Document.candidature_id == first)).scalars().all()
        assert left == ([cert_doc] if cert_doc else [])
    refused = api.post(
        f"/api/v1/candidature/{second}/anonymiser",
        json={"motif": "Demande", "confirmation": True, "effacer_preuve": True},
    )
    assert refused.status_code == 422 and "motif_preuve" in refused.get_json()["message"]
    erased = api.post(
        f"/api/v1/candidature/{second}/anonymiser",
        json={"motif": "Demande", "confirmation": True, "effacer_preuve": True, "motif_preuve": "Décision de justice"},
    ).get_json()
    assert erased["preuve_conservee"] is False and erased["result"]["nom_naissance"] == "ANONYME"
    with app.app_context():
        assert db.session.execute(
            select(Certificat.numero).where(Certificat.candidature_id == second)
        ).scalar()  # the number stays
        assert name2 not in (db.session.get(Candidature, second).nom_usage or "")


# --- 5. Retention -------------------------------------------------------------------------------------------------


def test_the_purge_applies_the_retention_periods_with_a_fixed_clock(app, monkeypatch):
    from click.testing import CliRunner  # noqa: F401 - the command runs through Flask's runner below

    from app.extensions import db
    from app.services import donnees_personnelles

    later = datetime.datetime.now() + datetime.timedelta(days=6 * 366)
    monkeypatch.setattr(donnees_personnelles, "maintenant", lambda: later)
    with app.app_context():
        abandoned = (
            db.session.execute(
                select(Candidature.id).where(Candidature.statut.in_((statuts.ABANDONNEE, statuts.NON_CERTIFIEE)))
            )
            .scalars()
            .all()
        )
        certified = (
            db.session.execute(select(Candidature.id).where(Candidature.statut == statuts.CERTIFIEE)).scalars().all()
        )
        running = (
            db.session.execute(select(Candidature.id).where(Candidature.statut == statuts.ATTENTE_JURY))
            .scalars()
            .first()
        )
        db.session.add(Consultation(candidature_id=running, quoi="page", created_at=datetime.datetime(2020, 1, 1)))
        db.session.commit()
        assert abandoned and certified

    runner = app.test_cli_runner()
    dry = runner.invoke(args=["clea", "purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"{len(abandoned)} dossier(s) non certifié(s) ou abandonné(s) à anonymiser(s) :" in dry.output
    assert "ligne(s) du journal des consultations à supprimer(s)." in dry.output
    with app.app_context():
        assert db.session.execute(select(func.count()).where(Candidature.anonymise_le.is_not(None))).scalar() == 0

    done = runner.invoke(args=["clea", "purge"])
    assert done.exit_code == 0, done.output
    with app.app_context():
        for pk in abandoned:
            c = db.session.get(Candidature, pk)
            assert c.anonymise_le is not None and c.nom_naissance == "ANONYME"
        for pk in certified:
            c = db.session.get(Candidature, pk)
            assert c.anonymise_le is None and c.nom_naissance != "ANONYME"
            kept = db.session.execute(select(Certificat.document_id).where(Certificat.candidature_id == pk)).scalar()
            docs = db.session.execute(select(Document.id).where(Document.candidature_id == pk)).scalars().all()
            assert docs == ([kept] if kept else [])
        running_file = db.session.get(Candidature, running)
        assert running_file.anonymise_le is None
        assert (
            db.session.execute(
                select(func.count())
                .select_from(Consultation)
                .where(Consultation.created_at < datetime.datetime(2021, 1, 1))
            ).scalar()
            == 0
        )
    # once applied, nothing is left to do
    assert (
        "0 dossier(s) non certifié(s) ou abandonné(s) à anonymiser(s) :"
        in runner.invoke(args=["clea", "purge", "--dry-run"]).output
    )


# --- 7. Register of processing activities -------------------------------------------------------------------------


def test_certif_pro_keeps_the_register_of_processing_activities_and_exports_it(app, as_user):
    certifpro = as_user("certifpro")
    listing = certifpro.get("/registre-des-traitements/list/").get_data(as_text=True)
    assert "Gestion des parcours de certification CléA et CléA numérique" in listing
    assert "Exporter le registre (PDF)" in listing
    refused = certifpro.post("/registre-des-traitements/add", data={"nom": "Vidéosurveillance"})
    assert "Ce champ est obligatoire." in refused.get_data(as_text=True)
    fields = {
        "nom": "Enquête de satisfaction",
        "finalite": "Mesurer la satisfaction des candidats",
        "base_legale": "Intérêt légitime",
        "categories_donnees": "Email",
        "categories_personnes": "Candidats certifiés",
        "destinataires": "Certif Pro",
        "duree_conservation": "1 an",
        "mesures_securite": "Accès restreint",
    }
    added = certifpro.post("/registre-des-traitements/add", data=fields, follow_redirects=True)
    assert added.status_code == 200
    pdf = certifpro.get("/registre-des-traitements/pdf")
    assert pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    assert "Registre des activités de traitement" in text and "Enquête de satisfaction" in text
    with app.app_context():
        from app.extensions import db

        assert db.session.execute(
            select(AuditLog.id).where(AuditLog.entity_type == "Registre des traitements", AuditLog.action == "create")
        ).first()
    for other in ("org.admin", "certif.idf"):
        assert as_user(other).get("/registre-des-traitements/list/").status_code in (302, 403)


# --- 6. Minimisation ----------------------------------------------------------------------------------------------


def test_a_database_error_carries_no_value_of_the_query(app):
    """Errors are logged with their stack: SQLAlchemy's message must not hold the names and birth dates bound to
    the statement (hide_parameters)."""
    from sqlalchemy.exc import IntegrityError

    from app.extensions import db

    with app.app_context():
        with pytest.raises(IntegrityError) as error:
            db.session.execute(
                Candidature.__table__.insert().values(
                    numero_dossier="1", nom_naissance=NOM, prenom=PRENOM, date_naissance=datetime.date(1970, 1, 31)
                )
            )
        db.session.rollback()
    assert "hidden due to hide_parameters" in str(error.value)
    from app.request_ids import formatter

    exc = error.value
    for kind in ("text", "json"):
        logged = formatter(kind).formatException((type(exc), exc, exc.__traceback__))
        assert "IntegrityError" in logged
        assert NOM not in logged and PRENOM not in logged and "1970" not in logged, logged


def test_the_access_log_writes_no_query_string_nor_referer():
    """gunicorn.conf.py (read by gunicorn from the working directory): the path without its parameters."""
    import runpy
    from pathlib import Path

    settings = runpy.run_path(str(Path(__file__).parent.parent / "gunicorn.conf.py"))
    line = settings["access_log_format"]
    assert "%(U)s" in line
    for leak in ("%(r)s", "%(q)s", "%(f)s"):
        assert leak not in line


def test_the_settings_and_the_register_through_the_api(api_as):
    api = api_as("certifpro")
    settings = api.get("/api/v1/donnees_personnelles/parametres").get_json()
    assert settings["result"]["conservation_journal_jours"] == 365
    assert settings["libelles"]["conservation_journal_jours"] == "Journal des consultations : conservé pendant (jours)"
    changed = api.put("/api/v1/donnees_personnelles/parametres", json={"conservation_journal_jours": "180"})
    assert changed.status_code == 200 and changed.get_json()["result"]["conservation_journal_jours"] == 180
    refused = api.put("/api/v1/donnees_personnelles/parametres", json={"conservation_journal_jours": "10"})
    assert refused.status_code == 422
    assert refused.get_json()["message"] == {"conservation_journal_jours": ["Saisissez un nombre entre 30 et 3650."]}
    assert api.put("/api/v1/donnees_personnelles/parametres", data="x").status_code == 422
    assert api_as("org.admin").get("/api/v1/donnees_personnelles/parametres").status_code == 403
    assert api_as("org.admin").put("/api/v1/donnees_personnelles/parametres", json={}).status_code == 403

    register = api.get("/api/v1/traitement/").get_json()
    assert register["count"] == 5 and register["result"][0]["nom"].startswith("Gestion des parcours")
    missing = api.post("/api/v1/traitement/", json={"nom": "Enquête"})
    assert missing.status_code == 422 and missing.get_json()["message"]["finalite"] == ["Ce champ est obligatoire."]
    assert api_as("org.admin").get("/api/v1/traitement/").status_code == 403
