"""The certificate of a certified candidate (guide §20): a one-page French PDF with its unique number, its
verification code and a QR code leading to the public verification page (app/domain/certificats.py); the batch of
a jury session's certificates for the printing provider is the same page drawn once per certificate."""

import io

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from app.formatting import date_fr

TITRES = {
    "clea": ("Certificat CléA", "Socle de connaissances et de compétences professionnelles (RS2203)"),
    "clea_numerique": (
        "Certificat CléA numérique",
        "Socle de connaissances et de compétences professionnelles numériques (RS3936)",
    ),
}


QR_TAILLE = 32 * mm


def _qr_code(pdf, url: str, x: float, y: float) -> None:
    """The QR code of `url`, QR_TAILLE wide, its lower left corner at (x, y)."""
    widget = QrCodeWidget(url, barLevel="M")
    left, bottom, right, top = widget.getBounds()
    drawing = Drawing(
        QR_TAILLE, QR_TAILLE, transform=[QR_TAILLE / (right - left), 0, 0, QR_TAILLE / (top - bottom), 0, 0]
    )
    drawing.add(widget)
    renderPDF.draw(drawing, pdf, x, y)


def _dessiner(pdf: canvas.Canvas, candidature, numero: str, session, code: str, url_verification: str) -> None:
    """One certificate on the canvas's current page, then the page is closed."""
    width, height = landscape(A4)
    titre, intitule = TITRES.get(candidature.certification, TITRES["clea"])
    pdf.setStrokeColor(colors.HexColor("#E35205"))
    pdf.setLineWidth(3)
    pdf.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    pdf.setFillColor(colors.HexColor("#1F4E79"))
    pdf.setFont("Helvetica-Bold", 30)
    pdf.drawCentredString(width / 2, height - 45 * mm, titre.upper())
    pdf.setFont("Helvetica", 13)
    pdf.drawCentredString(width / 2, height - 55 * mm, intitule)
    pdf.setFillColor(colors.black)
    pdf.setFont("Helvetica", 14)
    pdf.drawCentredString(width / 2, height - 80 * mm, "est délivré à")
    pdf.setFont("Helvetica-Bold", 22)
    nom = f"{candidature.civilite} {candidature.prenom} {candidature.nom_naissance.upper()}"
    pdf.drawCentredString(width / 2, height - 95 * mm, nom)
    pdf.setFont("Helvetica", 13)
    usage = f", nom d'usage {candidature.nom_usage.upper()}" if candidature.nom_usage else ""
    pdf.drawCentredString(
        width / 2,
        height - 105 * mm,
        f"né(e) le {date_fr(candidature.date_naissance)} à {candidature.ville_naissance}{usage}",
    )
    pdf.drawCentredString(
        width / 2, height - 125 * mm, f"par décision du jury du {date_fr(session.date)} — {session.certificateur.nom}"
    )
    pdf.drawCentredString(width / 2, height - 133 * mm, session.libelle)
    pdf.setFont("Helvetica", 10)
    pdf.drawString(22 * mm, 22 * mm, f"Certificat n° {numero}")
    pdf.drawRightString(width - 22 * mm, 22 * mm, f"Dossier n° {candidature.numero_dossier}")
    # Verification: the QR code in the lower right corner, the code and the address beside it.
    qr_x = width - 22 * mm - QR_TAILLE
    _qr_code(pdf, url_verification, qr_x, 30 * mm)
    pdf.setFont("Helvetica", 9)
    pdf.drawRightString(qr_x - 4 * mm, 48 * mm, f"Code de vérification : {code}")
    pdf.drawRightString(qr_x - 4 * mm, 42 * mm, f"Vérifier ce certificat : {url_verification}")
    pdf.showPage()


def certificat_pdf(candidature, numero: str, session, code: str, url_verification: str) -> bytes:
    output = io.BytesIO()
    pdf = canvas.Canvas(output, pagesize=landscape(A4))
    titre, _intitule = TITRES.get(candidature.certification, TITRES["clea"])
    pdf.setTitle(f"{titre} n°{numero}")
    pdf.setAuthor("Certif Pro")
    _dessiner(pdf, candidature, numero, session, code, url_verification)
    pdf.save()
    return output.getvalue()


def certificats_pdf(session, certificats) -> bytes:
    """The session's batch for the printing provider: one page per (candidature, numéro, code, adresse de
    vérification), in the given order."""
    output = io.BytesIO()
    pdf = canvas.Canvas(output, pagesize=landscape(A4))
    pdf.setTitle(f"Certificats du jury du {date_fr(session.date)} — {session.certificateur.nom}")
    pdf.setAuthor("Certif Pro")
    for candidature, numero, code, url_verification in certificats:
        _dessiner(pdf, candidature, numero, session, code, url_verification)
    pdf.save()
    return output.getvalue()
