"""Documents of a candidate file (domain.md §4.4): size, type on content, once per file, perimeter."""

import io

import pytest

from app.models import Candidature
from tests.conftest import demo, page_text

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64  # a Windows executable


def file_pk(app, numero="2026000001"):
    with app.app_context():
        return demo(Candidature, numero_dossier=numero).id


def upload(client, pk, name, content):
    return client.post(
        f"/candidatures/{pk}/documents",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_upload_then_download_as_attachment_inside_the_perimeter_only(app, as_user, api_as):
    pk = file_pk(app)
    client = as_user("etab.user")
    done = upload(client, pk, "Attestation de formation (été).pdf", PDF)
    assert "Le document est ajouté au dossier." in page_text(done)
    assert "Attestation_de_formation_ete_.pdf" in page_text(done)
    html = done.get_data(as_text=True)
    doc_id = int(html.split("/candidatures/documents/")[1].split('"')[0])
    response = client.get(f"/candidatures/documents/{doc_id}")
    assert response.data == PDF and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # Outside the perimeter: 404, UI and API.
    assert as_user("etab2.user").get(f"/candidatures/documents/{doc_id}").status_code == 404
    assert api_as("reseau2.admin").get(f"/api/v1/document/{doc_id}/download").status_code == 404
    assert api_as("org.admin").get(f"/api/v1/document/{doc_id}/download").data == PDF
    # The upload is in the file's history, named after the file (not « None »).
    history = page_text(client.get(f"/candidatures/show/{pk}"))
    assert "Ajout du document Attestation_de_formation_ete_.pdf" in history
    assert "Candidature — 2026000001 — Moreau Camille" in history and "Candidature — None" not in history


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("gros.pdf", b"%PDF-" + b"0" * (4 * 1024 * 1024 - 4), "dépasse la taille maximum de 4,0 Mo"),
        ("facture.pdf", EXE, "ne correspond pas à son extension"),
        ("programme.exe", EXE, "Type de fichier non accepté"),
        ("image.pdf", PNG, "ne correspond pas à son extension"),
        ("vide.pdf", b"", "Le fichier est vide."),
    ],
)
def test_refused_files(app, as_user, name, content, message):
    response = upload(as_user("etab.user"), file_pk(app), name, content)
    assert message in page_text(response)


def test_exactly_4_mo_is_accepted_and_the_same_file_twice_is_refused(app, api_as):
    pk = file_pk(app, "2026000002")
    api = api_as("etab.user")
    big = b"%PDF-" + b"1" * (4 * 1024 * 1024 - 5)
    first = api.post(
        f"/api/v1/candidature/{pk}/documents",
        data={"file": (io.BytesIO(big), "quatre.pdf")},
        content_type="multipart/form-data",
    )
    assert first.status_code == 201 and first.get_json()["result"]["taille"] == 4 * 1024 * 1024
    again = api.post(
        f"/api/v1/candidature/{pk}/documents",
        data={"file": (io.BytesIO(big), "copie.pdf")},
        content_type="multipart/form-data",
    )
    assert again.status_code == 409
    assert "Attention à bien téléverser une seule fois chaque document" in again.get_json()["message"]
    missing = api.post(f"/api/v1/candidature/{pk}/documents", data={}, content_type="multipart/form-data")
    assert missing.status_code == 422
    assert (
        api_as("etab2.user")
        .post(
            f"/api/v1/candidature/{pk}/documents",
            data={"file": (io.BytesIO(PDF), "x.pdf")},
            content_type="multipart/form-data",
        )
        .status_code
        == 404
    )


def test_far_too_large_body_is_cut_off_in_french(app, api_as):
    response = api_as("etab.user").post(
        f"/api/v1/candidature/{file_pk(app)}/documents",
        data={"file": (io.BytesIO(b"%PDF-" + b"0" * 6_000_000), "x.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert response.get_json()["message"] == "Le fichier dépasse la taille maximum de 4,0 Mo."


def test_read_only_after_sending_for_the_of(app, as_user):
    response = upload(as_user("etab.user"), file_pk(app, "2026000004"), "piece.pdf", PDF)
    assert "Vous ne pouvez pas ajouter de document à cette candidature." in page_text(response)
