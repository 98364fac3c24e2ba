"""« Télécharger le dossier complet » (issue 18): the French PDF summaries the ZIP holds next to the fiche, the
matrix and the documents — the evaluations with their results, the trainings, the exchanges and the jury's
decision. The service (`app/services/dossier_complet.py`) gathers the records; these builders lay them out."""

from reportlab.lib.units import mm

from app.exports.pdf import Section, render
from app.formatting import date_fr, datetime_fr, heures_fr, oui_non


def _acquis(value) -> str:
    return "Acquis" if value is True else "Non acquis" if value is False else "Non évalué"


def evaluations_pdf(candidature, evaluations) -> bytes:
    """`evaluations`: [(Evaluation, [(code, libellé, acquis, commentaire, acquis antérieurement)], [Document])]."""
    sections = []
    for evaluation, resultats, pieces in evaluations:
        sections.append(
            Section(
                f"{evaluation.type_label} {evaluation.date_label}",
                [
                    ("Evaluateur", f"{evaluation.evaluateur} ({evaluation.evaluateur_email})"),
                    ("Statut", evaluation.etat_label),
                    ("Finalisée le", date_fr(evaluation.date_finalisation)),
                    ("Synthèse", evaluation.synthese or ""),
                    ("Conclusion", evaluation.conclusion or ""),
                    ("Commentaire", evaluation.commentaire or ""),
                    ("Documents joints", ", ".join(d.nom for d in pieces) or "Aucun"),
                ],
            )
        )
        sections.append(
            Section(
                "Résultats par sous-domaine",
                table=[["Code", "Sous-domaine", "Résultat", "Commentaire"]]
                + [
                    [code, libelle, _acquis(acquis) + (" (antérieurement)" if anterieur else ""), commentaire]
                    for code, libelle, acquis, commentaire, anterieur in resultats
                ],
                widths=[15 * mm, 85 * mm, 35 * mm, 45 * mm],
            )
        )
    if not sections:
        sections.append(Section("Evaluations", table=[["Date"]], empty="Aucune évaluation enregistrée."))
    return render(
        f"Evaluations — {candidature.candidat}",
        f"Certification {candidature.certification_label} — dossier n°{candidature.numero_dossier}",
        sections,
        f"Plateforme CléA — dossier {candidature.numero_dossier}",
    )


def formations_pdf(candidature, formations) -> bytes:
    """`formations`: [(Formation, [attestation Document])]."""
    rows = [["Du", "Au", "Durée", "Domaines", "Formateur", "Attestations"]] + [
        [
            date_fr(f.date_debut),
            date_fr(f.date_fin),
            heures_fr(f.duree_heures),
            ", ".join(f"{d.code}. {d.libelle}" for d in f.domaines),
            f"{f.formateur_prenom} {f.formateur_nom} ({f.formateur_email})",
            ", ".join(d.nom for d in attestations) or "Aucune",
        ]
        for f, attestations in formations
    ]
    return render(
        f"Formations CléA — {candidature.candidat}",
        f"Certification {candidature.certification_label} — dossier n°{candidature.numero_dossier}",
        [
            Section(
                "Formations suivies",
                table=rows,
                widths=[20 * mm, 20 * mm, 15 * mm, 45 * mm, 45 * mm, 35 * mm],
                empty="Aucune formation enregistrée.",
            )
        ],
        f"Plateforme CléA — dossier {candidature.numero_dossier}",
    )


def echanges_et_decision_pdf(candidature, echanges, decisions, certificat, envois) -> bytes:
    """The exchanges with the certifier, the jury's decisions (latest first), the certificate and its mailings."""
    c = candidature
    certification = [
        ("Certificateur", c.certificateur.nom if c.certificateur else ""),
        ("Envoyée en certification le", date_fr(c.date_envoi_certification)),
        ("Session de jury", c.session_jury.label if c.session_jury else ""),
        ("Date de la décision", date_fr(c.date_decision)),
        ("Certificat", f"n°{certificat.numero} du {date_fr(certificat.created_at)}" if certificat else "Aucun"),
        ("Certificat au format papier", oui_non(c.certificat_papier)),
    ]
    decision_rows = [["Date", "Jury", "Décision", "Commentaire"]] + [
        [date_fr(d.created_at), d.session_jury.label, d.decision_label, d.commentaire or ""] for d in decisions
    ]
    echange_rows = [["Date", "De", "Auteur", "Message", "Pièces jointes"]] + [
        [
            datetime_fr(e.created_at),
            e.cote_label,
            e.auteur.nom_complet if e.auteur else "",
            e.message,
            ", ".join(d.nom for d in pieces) or "",
        ]
        for e, pieces in echanges
    ]
    envoi_rows = [["Date de traitement", "Statut de la lettre", "Canal", "Commentaire"]] + [
        [date_fr(e.date_traitement), e.statut_lettre, e.canal or "", e.commentaire or ""] for e in envois
    ]
    return render(
        f"Certification et échanges — {c.candidat}",
        f"Certification {c.certification_label} — dossier n°{c.numero_dossier}",
        [
            Section("Certification", certification),
            Section(
                "Décisions du jury",
                table=decision_rows,
                widths=[22 * mm, 60 * mm, 33 * mm, 65 * mm],
                empty="Aucune décision du jury.",
            ),
            Section(
                "Echanges avec le certificateur",
                table=echange_rows,
                widths=[28 * mm, 30 * mm, 30 * mm, 62 * mm, 30 * mm],
                empty="Aucun échange.",
            ),
            Section(
                "Historique des envois du certificat",
                table=envoi_rows,
                widths=[30 * mm, 40 * mm, 40 * mm, 70 * mm],
                empty="Aucun envoi enregistré.",
            ),
        ],
        f"Plateforme CléA — dossier {c.numero_dossier}",
    )
