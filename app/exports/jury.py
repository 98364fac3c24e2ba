"""A jury session's outputs (issue 18): its minutes (procès-verbal) as a French PDF and the list of its files as
.xlsx. The service gathers the rows (`juries.lignes_de_session`); these builders only lay them out."""

from reportlab.lib.units import mm

from app.domain import statuts
from app.exports.pdf import Section, render
from app.exports.xlsx import Sheet
from app.formatting import date_fr, datetime_fr, nombre_fr

SIGNATURE = "\n\n\n"  # room for a handwritten signature


def proces_verbal_pdf(session, membres, lignes, totaux) -> bytes:
    certificateur = session.certificateur
    infos = [
        ("Certificateur", certificateur.nom),
        ("Session", session.libelle),
        ("Date et heure du jury", datetime_fr(session.date)),
        ("Modalité d'envoi des certificats", certificateur.modalite_envoi),
        ("Dossiers examinés", nombre_fr(len(lignes))),
    ]
    membres_rows = [["Membre du jury", "Adresse email"]] + [[m.nom_complet, m.email or ""] for m in membres]
    dossiers = [["Numéro de dossier", "Candidat", "Certification", "Décision", "N° de certificat"]] + [
        [
            line.candidature.numero_dossier,
            line.candidature.candidat,
            line.candidature.certification_label,
            line.decision_label,
            line.certificat.numero if line.certificat else "",
        ]
        for line in lignes
    ]
    total_rows = [(label, nombre_fr(n)) for label, n in totaux] + [("Total", nombre_fr(len(lignes)))]
    signataires = [["Nom", "Qualité", "Signature"]]
    signataires += [[m.nom_complet, "Membre du jury", SIGNATURE] for m in membres]
    signataires.append(["", f"Pour {certificateur.nom}", SIGNATURE])
    sections = [
        Section("Session de jury", infos),
        Section(
            "Membres du jury",
            table=membres_rows,
            widths=[90 * mm, 90 * mm],
            empty="Aucun membre n'est enregistré pour cette session : les membres présents signent ci-dessous.",
        ),
        Section(
            "Dossiers et décisions",
            table=dossiers,
            widths=[28 * mm, 47 * mm, 25 * mm, 32 * mm, 48 * mm],
            empty="Aucun dossier n'est affecté à cette session.",
        ),
        Section("Totaux par décision", total_rows),
        Section(f"Fait le {date_fr(session.date)} — signatures", table=signataires, widths=[60 * mm, 60 * mm, 60 * mm]),
    ]
    return render(
        f"Procès-verbal du jury du {date_fr(session.date)}",
        f"{certificateur.nom} — {session.libelle}",
        sections,
        f"Plateforme CléA — procès-verbal du jury du {date_fr(session.date)}",
    )


LISTE_COLONNES = [
    "Numéro de dossier",
    "Nom de naissance",
    "Nom d'usage",
    "Prénom",
    "Date de naissance",
    "Certification",
    "Etablissement d'évaluation",
    "Organisme",
    "Statut de la candidature",
    "Décision du jury",
    "Commentaire du jury",
    "Date de la décision",
    "N° de certificat",
]


def liste_sheets(session, lignes) -> list[Sheet]:
    rows = (
        [
            c.numero_dossier,
            c.nom_naissance,
            c.nom_usage or "",
            c.prenom,
            c.date_naissance,
            c.certification_label,
            c.etablissement.nom,
            c.organisme.nom,
            statuts.label(c.statut),
            line.decision_label,
            (line.decision.commentaire or "") if line.decision else "",
            line.decision.created_at.date() if line.decision else None,
            line.certificat.numero if line.certificat else "",
        ]
        for line in lignes
        for c in [line.candidature]
    )
    widths = dict(zip("ABCDEFGHIJKLM", (18, 20, 16, 16, 14, 16, 30, 30, 26, 20, 40, 14, 26), strict=True))
    return [Sheet(f"Jury du {date_fr(session.date).replace('/', '-')}", LISTE_COLONNES, rows, widths)]
