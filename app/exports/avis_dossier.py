"""The notices of a habilitation dossier (habilitation.md §5): récépissé, convocation, request for corrections,
opinion, decision… one French PDF each, kept in the dossier and mailed with an acknowledgment link."""

from app.exports.pdf import Section, render
from app.formatting import date_fr


def avis_pdf(dossier, titre: str, paragraphes: list[str]) -> bytes:
    rows = [
        ("Dossier", f"n°{dossier.numero}"),
        ("Organisme candidat", dossier.organisme.nom if dossier.organisme else ""),
        ("SIREN", dossier.siren or (dossier.organisme.siren if dossier.organisme else "")),
        ("Certification", dossier.certification_label),
        ("Instance", dossier.instance_label),
        ("Date de dépôt", date_fr(dossier.date_depot) if dossier.date_depot else "non déposé"),
    ]
    return render(
        titre,
        "Plateforme CléA — dossier d'habilitation",
        [
            Section("Dossier", rows=rows),
            Section("Objet", rows=[("", paragraphe) for paragraphe in paragraphes]),
        ],
        f"Dossier d'habilitation n°{dossier.numero}",
    )
