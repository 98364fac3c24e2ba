"""Uploads and downloads (domain.md §4.4, quality.md): 4 Mo at most, the type checked on the content, the same
content refused twice on one file, names sanitised, served only inside the perimeter."""

import hashlib
import os
import re
import unicodedata
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.domain.errors import DomainError, ValidationFailed
from app.extensions import db
from app.formatting import taille_fr
from app.models import Candidature
from app.models.documents import Document
from app.security import perimeter
from app.services import audit

TAILLE_MAX = 4 * 1024 * 1024
TROP_GROS = f"Le fichier dépasse la taille maximum de {taille_fr(TAILLE_MAX)}."  # « … de 4,0 Mo. »
DEJA_DEPOSE = "Attention à bien téléverser une seule fois chaque document : ce fichier est déjà déposé sur ce dossier."
# extension → (family, MIME type); the content's signature must match the family.
EXTENSIONS = {
    ".pdf": ("pdf", "application/pdf"),
    ".png": ("png", "image/png"),
    ".jpg": ("jpeg", "image/jpeg"),
    ".jpeg": ("jpeg", "image/jpeg"),
    ".zip": ("zip", "application/zip"),
    ".docx": ("zip", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ".xlsx": ("zip", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".doc": ("ole", "application/msword"),
    ".xls": ("ole", "application/vnd.ms-excel"),
}
SIGNATURES = {
    "pdf": [b"%PDF-"],
    "png": [b"\x89PNG\r\n\x1a\n"],
    "jpeg": [b"\xff\xd8\xff"],
    "zip": [b"PK\x03\x04", b"PK\x05\x06"],
    "ole": [b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"],
}
ACCEPTES = "PDF, Word, Excel, ZIP, JPEG, PNG"


def nom_sain(filename: str) -> str:
    """Keep letters, digits, dot, dash, underscore; no path, no control characters."""
    name = os.path.basename((filename or "").replace("\\", "/"))
    name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "document"
    stem, ext = os.path.splitext(name)
    return stem[:150] + ext.lower()[:10]


def verifier(filename: str, contenu: bytes) -> tuple[str, str]:
    """(safe name, MIME type), or ValidationFailed with the French reason."""
    if not contenu:
        raise ValidationFailed({"file": "Le fichier est vide."})
    if len(contenu) > TAILLE_MAX:
        raise ValidationFailed({"file": TROP_GROS})
    nom = nom_sain(filename)
    famille, mime = EXTENSIONS.get(os.path.splitext(nom)[1], (None, None))
    if famille is None or mime is None:
        raise ValidationFailed({"file": f"Type de fichier non accepté. Fichiers acceptés : {ACCEPTES}."})
    if not any(contenu.startswith(sig) for sig in SIGNATURES[famille]):
        raise ValidationFailed({"file": "Le contenu du fichier ne correspond pas à son extension : fichier refusé."})
    return nom, mime


# Each owner of documents declares who may add or remove one of its documents (its upload policy): the file and
# its trainings (services/candidatures.py, services/formations.py), a draft evaluation (services/evaluations.py),
# an exchange and the certificate (services/juries.py). This module asks them and imports none of them.
Policy = Callable[[object, Candidature, object, bool], None]
POLICIES: dict[str, Policy] = {}


def upload_policy(objet: str):
    """Register `policy(user, candidature, objet_id, ajout)`, which raises the French refusal."""

    def register(policy: Policy) -> Policy:
        POLICIES[objet] = policy
        return policy

    return register


def refus(ajout: bool) -> str:
    return (
        "Vous ne pouvez pas ajouter de document à cette candidature."
        if ajout
        else "Vous ne pouvez pas supprimer ce document."
    )


def _verifier_objet(user, candidature, objet, objet_id, ajout: bool) -> None:
    """May this user add (`ajout`) or remove a document of this part of the file? The owner's policy says."""
    policy = POLICIES.get(objet)
    if policy is None:
        raise ValidationFailed({"objet": "Objet inconnu."})
    policy(user, candidature, objet_id, ajout)


def joindre(
    candidature_id, nom, mime, contenu: bytes, objet="candidature", objet_id=None, depose_par_id=None
) -> Document:
    """Add a document row (no rights checked: for the platform's own files, e.g. certificates)."""
    document = Document(
        candidature_id=candidature_id,
        objet=objet,
        objet_id=objet_id,
        nom=nom,
        type_mime=mime,
        taille=len(contenu),
        sha256=hashlib.sha256(contenu).hexdigest(),
        contenu=contenu,
        depose_par_id=depose_par_id,
    )
    db.session.add(document)
    return document


def deposer(user, candidature_id, filename: str, contenu: bytes, objet="candidature", objet_id=None) -> Document:
    candidature = perimeter.get_visible(Candidature, candidature_id, user)
    _verifier_objet(user, candidature, objet, objet_id, ajout=True)
    nom, mime = verifier(filename, contenu)
    sha = hashlib.sha256(contenu).hexdigest()
    if db.session.execute(
        select(Document.id).where(Document.candidature_id == candidature.id, Document.sha256 == sha)
    ).first():
        raise DomainError(DEJA_DEPOSE)
    audit.label(f"Ajout du document {nom}")
    document = joindre(candidature.id, nom, mime, contenu, objet, objet_id, user.id)
    try:
        db.session.commit()
    except IntegrityError:  # the same file sent twice at once
        db.session.rollback()
        raise DomainError(DEJA_DEPOSE) from None
    return document


def visible(user, document_id) -> Document:
    """A document exists for a user only if its candidate file is in the perimeter (404 otherwise)."""
    document = perimeter.get_visible(Document, document_id, user)
    return document


def documents_de(candidature_id, objet="candidature", objet_id=None):
    query = select(Document).where(Document.candidature_id == candidature_id, Document.objet == objet)
    if objet_id is not None:
        query = query.where(Document.objet_id == objet_id)
    return db.session.execute(query.order_by(Document.created_at.desc())).scalars().all()


def supprimer(user, document_id) -> None:
    document = visible(user, document_id)
    _verifier_objet(user, document.candidature, document.objet, document.objet_id, ajout=False)
    audit.label(f"Suppression du document {document.nom}")
    db.session.delete(document)
    db.session.commit()
