"""« Télécharger le dossier complet » (issue 18): the whole candidate file in one ZIP, for whoever reads it in
its perimeter (the OF and the certifier side) — the fiche, the evaluations with the matrix and their documents,
the trainings and their attestations, the exchanges and the jury's decision, the documents of the file.

The ZIP is written as the right of access's (`donnees_personnelles`: safe names, one document in memory at a
time, a temporary file streamed, a background export beyond DONNEES_ZIP_DIRECT_MAX bytes of documents). Each
download is a line of the consultation journal (`consultations.ENDPOINTS`)."""

import datetime
import zipfile
from collections.abc import Callable

from sqlalchemy import select

from app.domain import access
from app.domain.errors import Forbidden
from app.extensions import db
from app.models import Candidature, Document
from app.security import perimeter
from app.services import consultations, donnees_personnelles, evaluations, exports, formations, juries

LISEZMOI = """Dossier complet du candidat — dossier n°{numero}
Edité le {date} depuis la plateforme CléA.

fiche-candidat.pdf                      la fiche du candidat (identité, situation, dossier, contact)
evaluations/evaluations.pdf             les évaluations et leurs résultats par sous-domaine
evaluations/matrice-evaluation.xlsx     la matrice d'évaluation du référentiel
evaluations/documents/                  les documents joints aux évaluations
formations/formations.pdf               les formations CléA suivies
formations/attestations/                les attestations de formation
certification/echanges-et-decision.pdf  les échanges avec le certificateur, les décisions du jury, les envois
certification/pieces-des-echanges/      les pièces jointes aux échanges
certification/certificat/               le certificat délivré
documents/                              les documents du dossier

Ces données personnelles sont confiées à l'organisme et au certificateur pour la seule certification du
candidat ; ne les transmettez qu'à qui en a besoin pour ce traitement.
"""

# A document's folder in the archive, by what it belongs to inside the file.
DOSSIERS = {
    "candidature": "documents",
    "evaluation": "evaluations/documents",
    "formation": "formations/attestations",
    "echange": "certification/pieces-des-echanges",
    "certificat": "certification/certificat",
}


def _peut_telecharger(user, pk) -> Candidature:
    candidature = perimeter.get_visible(Candidature, pk, user)  # outside the perimeter: 404 first
    if not access.may(user, "telecharger_dossier_complet"):
        raise Forbidden("Votre profil ne permet pas de télécharger le dossier complet d'un candidat.")
    return candidature


def _documents(candidature_id) -> list[Document]:
    return list(
        db.session.execute(
            select(Document).where(Document.candidature_id == candidature_id).order_by(Document.objet, Document.id)
        ).scalars()
    )


def _resultats(evaluation) -> list[tuple]:
    libelles = {sd.code: sd.libelle for sd in evaluations.sous_domaines(evaluation.candidature)}
    return [
        (
            r["sous_domaine"],
            libelles.get(r["sous_domaine"], ""),
            r["acquis"],
            r["commentaire"],
            r["acquis_anterieurement"],
        )
        for r in evaluations.resultats_par_code(evaluation)
    ]


def ecrire(user, pk: int, output, on_batch: Callable[[int], None] = lambda n: None) -> None:
    """The ZIP into `output`."""
    from app.exports.dossier_complet import echanges_et_decision_pdf, evaluations_pdf, formations_pdf
    from app.exports.fiche_candidat import fiche_pdf
    from app.exports.matrice import matrice_xlsx

    c = _peut_telecharger(user, pk)
    pieces = _documents(c.id)
    par_objet: dict[tuple[str, int | None], list[Document]] = {}
    for document in pieces:
        par_objet.setdefault((document.objet, document.objet_id), []).append(document)
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "LISEZMOI.txt",
            LISEZMOI.format(numero=c.numero_dossier, date=datetime.date.today().strftime("%d/%m/%Y")),
        )
        archive.writestr("fiche-candidat.pdf", fiche_pdf(c))
        archive.writestr(
            "evaluations/evaluations.pdf",
            evaluations_pdf(
                c,
                [
                    (e, _resultats(e), par_objet.get(("evaluation", e.id), []))
                    for e in reversed(evaluations.evaluations_de(c.id))
                ],
            ),
        )
        archive.writestr("evaluations/matrice-evaluation.xlsx", matrice_xlsx(c))
        archive.writestr(
            "formations/formations.pdf",
            formations_pdf(c, [(f, par_objet.get(("formation", f.id), [])) for f in formations.formations_de(c.id)]),
        )
        archive.writestr(
            "certification/echanges-et-decision.pdf",
            echanges_et_decision_pdf(
                c,
                [(e, par_objet.get(("echange", e.id), [])) for e in juries.echanges_de(c.id)],
                juries.decisions_de(c.id),
                juries.certificat_de(c.id),
                juries.envois_de(c.id),
            ),
        )
        on_batch(1)
        donnees_personnelles.ecrire_documents(
            archive,
            [
                (donnees_personnelles.chemin_de_document(DOSSIERS.get(d.objet, "documents"), d.id, d.nom), d.id)
                for d in pieces
            ],
            on_batch,
        )


# A file too big to be zipped in the request is a background export (its page, its progress, 7 days).
exports.KINDS["dossier_complet"] = exports.Kind(
    "Dossier complet d'un candidat",
    "dossier-complet-{date}.zip",
    access.EVALUATIONS,
    donnees_personnelles.parties_du_dossier(_peut_telecharger),
    lambda user, params, on_batch: [],
    ecrire=lambda user, params, output, on_batch: ecrire(user, params["candidature"], output, on_batch),
    droit="telecharger_dossier_complet",
)


def nom_archive(candidature: Candidature) -> str:
    return f"dossier-complet-{candidature.numero_dossier}.zip"


def telecharger(user, pk: int):
    """The ZIP (an open temporary file and its name), or the background export beyond DONNEES_ZIP_DIRECT_MAX."""
    candidature = _peut_telecharger(user, pk)
    if donnees_personnelles.en_arriere_plan(pk):
        job = exports.demander(user, "dossier_complet", {"candidature": pk})
        consultations.noter(user, pk, "dossier", "Dossier complet (préparé en arrière-plan)")
        return job
    output = donnees_personnelles.archive_temporaire(lambda out: ecrire(user, pk, out))
    return output, nom_archive(candidature)
