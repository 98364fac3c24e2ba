"""French PDF documents (candidate file today, certificates later) built with ReportLab's platypus: a title,
sections of label/value rows or tables, and a footer with the edition date and page number."""

import datetime
import io
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from app.formatting import date_fr, heure_fr

STYLES = getSampleStyleSheet()
TITLE = ParagraphStyle("clea-title", parent=STYLES["Title"], fontSize=16, spaceAfter=2 * mm)
SUBTITLE = ParagraphStyle("clea-subtitle", parent=STYLES["Normal"], alignment=TA_CENTER, textColor=colors.grey)
HEADING = ParagraphStyle(
    "clea-heading", parent=STYLES["Heading2"], fontSize=12, spaceBefore=5 * mm, textColor=colors.HexColor("#1F4E79")
)
CELL = ParagraphStyle("clea-cell", parent=STYLES["Normal"], fontSize=9, leading=11)
LABEL = ParagraphStyle("clea-label", parent=CELL, fontName="Helvetica-Bold")
GRID = TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#BBBBBB")), ("VALIGN", (0, 0), (-1, -1), "TOP")])
HEADER_ROW = TableStyle([("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DCE6F1"))])


def text(value) -> Paragraph:
    return Paragraph(escape("" if value is None else str(value)).replace("\n", "<br/>"), CELL)


@dataclass
class Section:
    heading: str
    rows: list = field(default_factory=list)  # (label, value) pairs
    table: list | None = None  # [headers, *rows] when the section is a table
    widths: list | None = None
    empty: str = "Aucun élément."


def render(title: str, subtitle: str, sections: list[Section], footer: str) -> bytes:
    output = io.BytesIO()
    now = datetime.datetime.now()
    edited = f"{date_fr(now)} à {heure_fr(now)}"

    def decorate(canvas, document):
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(colors.grey)
        canvas.drawString(15 * mm, 10 * mm, f"{footer} — édité le {edited}")
        canvas.drawRightString(195 * mm, 10 * mm, f"Page {document.page}")
        canvas.restoreState()

    document = SimpleDocTemplate(
        output,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
        title=title,
        author="Plateforme CléA",
        lang="fr-FR",
    )
    story = [Paragraph(escape(title), TITLE), Paragraph(escape(subtitle), SUBTITLE), Spacer(1, 4 * mm)]
    for section in sections:
        heading = Paragraph(escape(section.heading), HEADING)
        if section.table is not None:
            if len(section.table) <= 1:
                story.append(KeepTogether([heading, text(section.empty)]))
                continue
            data = [[Paragraph(escape(h), LABEL) for h in section.table[0]]]
            data += [[text(v) for v in row] for row in section.table[1:]]
            table = Table(data, colWidths=section.widths, repeatRows=1)
            table.setStyle(GRID)
            table.setStyle(HEADER_ROW)
            story += [heading, table]
        else:
            data = [[Paragraph(escape(label), LABEL), text(value)] for label, value in section.rows]
            table = Table(data, colWidths=[60 * mm, 120 * mm])
            table.setStyle(GRID)
            story.append(KeepTogether([heading, table]))
    document.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return output.getvalue()
