"""Personal data of the candidates (donnees-personnelles.md, seed 001 §IV.5 and the GDPR).

- the national settings: the notice shown at collection and the retention periods (`PARAMETRES`, edited by
  Certif Pro, audited);
- the right of access and portability: everything the platform holds on one person, as a ZIP (`archive`);
- the right to erasure: `anonymiser` keeps the statistical skeleton of the file and erases the person;
- retention: `purge` (the daily job, `flask clea purge --dry-run`) anonymises the files kept too long and deletes
  the documents of old certified files.
"""

import datetime
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import String, cast, delete, func, or_, select, update

from app.domain import access, statuts
from app.domain.donnees import PARAMETRES, Reglage
from app.domain.errors import Forbidden, ValidationFailed
from app.extensions import db
from app.formatting import date_fr, datetime_fr
from app.models import (
    AuditLog,
    Candidature,
    Certificat,
    Consultation,
    DecisionJury,
    DemandeRattachement,
    Document,
    Echange,
    EnvoiCertificat,
    Evaluation,
    FichierExport,
    Formation,
    MailSortant,
    MorceauExport,
    Notification,
    Parametre,
    PartieExport,
    RechercheNationale,
    ResultatEvaluation,
    Traitement,
)
from app.models.base import utcnow
from app.schemas import TRUE_WORDS
from app.security import perimeter
from app.services import audit, consultations, ecritures, exports
from app.services.candidatures import cle_anonymisee

# --- Settings -----------------------------------------------------------------------------------------------------


def valeur(cle: str):
    """A setting's value (its default until Certif Pro changes it)."""
    reglage = PARAMETRES[cle]
    stored = db.session.execute(select(Parametre.valeur).where(Parametre.cle == cle)).scalar()
    text = stored if stored is not None else reglage.defaut
    return int(text) if reglage.entier else text


def notice() -> str:
    return valeur("notice_information")


def parametres() -> list[tuple[str, Reglage, Any]]:
    return [(cle, reglage, valeur(cle)) for cle, reglage in PARAMETRES.items()]


def _erreur_reglage(reglage: Reglage, raw) -> tuple[str | None, str | None]:
    """(the value to store, or the French error)."""
    text = str(raw if raw is not None else "").strip()
    if not reglage.entier:
        if len(text) < reglage.minimum:
            return None, f"Saisissez au moins {reglage.minimum} caractères."
        if len(text) > reglage.maximum:
            return None, f"{reglage.maximum} caractères au plus."
        return text, None
    if not text.isdigit():
        return None, "Saisissez un nombre entier."
    number = int(text)
    if not reglage.minimum <= number <= reglage.maximum:
        return None, f"Saisissez un nombre entre {reglage.minimum} et {reglage.maximum}."
    return str(number), None


def modifier_parametres(user, values: dict) -> None:
    """Certif Pro changes the notice or a retention period (each change is a line of the audit trail)."""
    if not access.may(user, "gerer_donnees_personnelles"):
        raise Forbidden("Votre profil ne permet pas de modifier ces paramètres.")
    unknown = sorted(set(values) - set(PARAMETRES))
    errors: dict[str, str] = dict.fromkeys(unknown, "Paramètre inconnu.")
    cleaned: dict[str, str] = {}
    for cle, raw in values.items():
        if cle in PARAMETRES:
            text, error = _erreur_reglage(PARAMETRES[cle], raw)
            if error or text is None:
                errors[cle] = error or "Valeur invalide."
            else:
                cleaned[cle] = text
    if errors:
        raise ValidationFailed(errors)
    stored = {row.cle: row for row in db.session.execute(select(Parametre)).scalars()}
    audit.label("Modification des paramètres des données personnelles")  # one flush: every line carries it
    for cle, text in cleaned.items():
        row = stored.get(cle)
        if row is None:
            if text != PARAMETRES[cle].defaut:
                db.session.add(Parametre(cle=cle, valeur=text))
        elif row.valeur != text:
            row.valeur = text
    db.session.commit()


# --- Access and portability ---------------------------------------------------------------------------------------

# Never handed out: derived keys, not data about the person.
HORS_EXPORT = {"cle_personne", "nom_recherche", "contenu", "version"}


def _plain(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if hasattr(value, "as_tuple"):  # Decimal
        return str(value)
    return value


def _row(record) -> dict:
    return {
        column.key: _plain(getattr(record, column.key))
        for column in record.__mapper__.column_attrs
        if column.key not in HORS_EXPORT
    }


def _all(model, *where, order=None) -> list:
    return list(db.session.execute(select(model).where(*where).order_by(order or model.id)).scalars())


def _peut_exporter(user, pk: int) -> Candidature:
    candidature = perimeter.get_visible(Candidature, pk, user)  # outside the perimeter: 404 first
    if not access.may(user, "exporter_donnees_personnelles"):
        raise Forbidden("Votre profil ne permet pas de télécharger les données de la personne.")
    return candidature


def nom_sur(nom: str | None) -> str:
    """A name typed by someone (a document's) made safe inside an archive: no folder separator, no control
    character; callers prefix it with the record's id, so « .. » never stands alone as a path component."""
    return re.sub(r"[^\w.\- ]+", "_", nom or "").strip()[:150] or "document"


def chemin_de_document(dossier: str, document_id: int, nom: str | None) -> str:
    return f"{dossier}/{document_id}-{nom_sur(nom)}"


def _nom_de_fichier(document: Document) -> str:
    return chemin_de_document("documents", document.id, document.nom)


def ecrire_documents(archive: zipfile.ZipFile, chemins: list[tuple[str, int]], on_batch=lambda n: None) -> None:
    """Each (path in the archive, document id) written into the ZIP, one document in memory at a time."""
    for chemin, document_id in chemins:
        content = db.session.execute(select(Document.contenu).where(Document.id == document_id)).scalar()
        archive.writestr(chemin, content or b"")
        on_batch(1)


def archive_temporaire(ecrire: Callable[[Any], None]):
    """A ZIP built into a temporary file, rewound (streamed by the response, then closed and so deleted)."""
    import tempfile

    output = tempfile.TemporaryFile()  # noqa: SIM115 - returned open, streamed then closed by the response
    ecrire(output)
    output.seek(0)
    return output


def donnees(user, pk: int) -> dict:
    """Everything the platform holds on the person of file `pk`, as one JSON-ready dictionary."""
    c = _peut_exporter(user, pk)
    evaluations = _all(Evaluation, Evaluation.candidature_id == c.id)
    resultats = {}
    for evaluation in evaluations:
        resultats[evaluation.id] = [
            {**_row(r), "sous_domaine": r.sous_domaine.code if r.sous_domaine else None}
            for r in _all(ResultatEvaluation, ResultatEvaluation.evaluation_id == evaluation.id)
        ]
    documents = _all(Document, Document.candidature_id == c.id)
    certificat = db.session.execute(select(Certificat).where(Certificat.candidature_id == c.id)).scalar()
    historique = _all(
        AuditLog,
        AuditLog.entity_type == "Candidature",
        AuditLog.entity_id == c.id,
        order=AuditLog.id,
    )
    consultations.ecrire_en_attente()
    journal = _all(Consultation, Consultation.candidature_id == c.id)
    return {
        "genere_le": utcnow().isoformat(),
        "responsable_du_traitement": "Certif Pro",
        "notice_d_information": notice(),
        "candidature": {
            **_row(c),
            "etablissement": c.etablissement.nom,
            "organisme": c.organisme.nom,
            "certificateur": c.certificateur.nom if c.certificateur else None,
        },
        "evaluations": [{**_row(e), "resultats": resultats[e.id]} for e in evaluations],
        "formations": [
            {**_row(f), "domaines": [d.code for d in f.domaines]}
            for f in _all(Formation, Formation.candidature_id == c.id)
        ],
        "echanges": [_row(e) for e in _all(Echange, Echange.candidature_id == c.id)],
        "decisions_du_jury": [_row(d) for d in _all(DecisionJury, DecisionJury.candidature_id == c.id)],
        "certificat": _row(certificat) if certificat else None,
        "envois_du_certificat": [_row(e) for e in _all(EnvoiCertificat, EnvoiCertificat.candidature_id == c.id)],
        "mails_au_candidat": [
            {
                key: _plain(getattr(m, key))
                for key in ("destinataire", "sujet", "corps", "statut", "created_at", "sent_at")
            }
            for m in _all(MailSortant, MailSortant.candidature_id == c.id)
        ],
        "rattachements": [_row(r) for r in _all(DemandeRattachement, DemandeRattachement.candidature_id == c.id)],
        "documents": [{**_row(d), "fichier": _nom_de_fichier(d)} for d in documents],
        "historique": [_row(line) for line in historique],
        "journal_des_consultations": [_row(line) for line in journal],
    }


def _resume_pdf(data: dict) -> bytes:
    from app.exports.pdf import Section, render

    c = data["candidature"]

    def jour(value):
        if not value:
            return ""
        return date_fr(datetime.date.fromisoformat(value[:10]))

    identite = (
        [
            (audit.FIELD_LABELS[field], jour(c[field]) if field == "date_naissance" else c[field])
            for field in ("civilite", "nom_naissance", "nom_usage", "prenom", "date_naissance", "ville_naissance")
        ]
        + [(audit.FIELD_LABELS[field], c[field]) for field in ("email", "telephone")]
        + [("Adresse", " ".join(x for x in (c["adresse"], c["code_postal"], c["ville"]) if x))]
    )
    dossier = [
        ("Numéro de dossier", c["numero_dossier"]),
        ("Statut", statuts.label(c["statut"])),
        ("Créé le", jour(c["created_at"])),
        ("Etablissement d'évaluation", c["etablissement"]),
        ("Organisme", c["organisme"]),
        ("Certificateur", c["certificateur"]),
    ]
    certificat = data["certificat"]
    if certificat:
        dossier.append(("Certificat", f"n°{certificat['numero']} du {jour(certificat['created_at'])}"))
    counts = [
        ("Evaluations", len(data["evaluations"])),
        ("Formations", len(data["formations"])),
        ("Echanges avec le certificateur", len(data["echanges"])),
        ("Décisions du jury", len(data["decisions_du_jury"])),
        ("Envois du certificat", len(data["envois_du_certificat"])),
        ("Mails adressés à la personne", len(data["mails_au_candidat"])),
        ("Demandes de rattachement", len(data["rattachements"])),
        ("Documents (dossier « documents » de l'archive)", len(data["documents"])),
        ("Lignes d'historique", len(data["historique"])),
        ("Consultations journalisées", len(data["journal_des_consultations"])),
    ]
    consultations = [["Date", "Par", "Quoi"]] + [
        [
            datetime_fr(datetime.datetime.fromisoformat(line["created_at"])),
            line["user_name"] or "",
            " — ".join(x for x in (Consultation.QUOI.get(line["quoi"], line["quoi"]), line["detail"]) if x),
        ]
        for line in data["journal_des_consultations"][-200:]
    ]
    return render(
        "Données personnelles détenues par la plateforme CléA",
        f"Dossier n°{c['numero_dossier']} — édité à la demande de la personne (RGPD, articles 15 et 20)",
        [
            Section("Identité et coordonnées", identite),
            Section("Dossier", dossier),
            Section("Contenu de l'archive (donnees.json)", counts),
            Section("Dernières consultations du dossier", table=consultations, empty="Aucune consultation."),
            Section("Notice d'information", [("Notice", data["notice_d_information"])]),
        ],
        f"Plateforme CléA — données du dossier {c['numero_dossier']}",
    )


def taille_documents(pk: int) -> int:
    return int(
        db.session.execute(
            select(func.coalesce(func.sum(Document.taille), 0)).where(Document.candidature_id == pk)
        ).scalar()
        or 0
    )


def ecrire_archive(user, pk: int, output, on_batch: Callable[[int], None] = lambda n: None) -> None:
    """The ZIP of the right of access into `output`: donnees.json, resume.pdf and every document (one document
    in memory at a time)."""
    data = donnees(user, pk)
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("donnees.json", json.dumps(data, ensure_ascii=False, indent=2, default=str))
        archive.writestr("resume.pdf", _resume_pdf(data))
        on_batch(1)
        ecrire_documents(archive, [(item["fichier"], item["id"]) for item in data["documents"]], on_batch)


def parties_du_dossier(verifier):
    """The progress of a file's archive prepared in the background: its summaries, then each document.
    `verifier(user, pk)` refuses a file the user may not have (the access ZIP's, the whole file's)."""

    def compter(user, params) -> int:
        pk = params.get("candidature")
        if not isinstance(pk, int):
            raise ValidationFailed({"candidature": "Dossier inconnu."})
        verifier(user, pk)
        return 1 + int(
            db.session.execute(select(func.count(Document.id)).where(Document.candidature_id == pk)).scalar() or 0
        )

    return compter


# A person's ZIP too big to be built in the request is one more kind of background export (its page, its progress,
# its download for 7 days), whose right is the right of access.
exports.KINDS["donnees"] = exports.Kind(
    "Données personnelles d'une personne",
    "donnees-personnelles-{date}.zip",
    access.EVALUATIONS,
    parties_du_dossier(lambda user, pk: perimeter.get_visible(Candidature, pk, user)),
    lambda user, params, on_batch: [],
    ecrire=lambda user, params, output, on_batch: ecrire_archive(user, params["candidature"], output, on_batch),
    droit="exporter_donnees_personnelles",
)


def nom_archive(candidature: Candidature) -> str:
    return f"donnees-personnelles-{candidature.numero_dossier}.zip"


def telecharger(user, pk: int):
    """The ZIP, built in the request (a small file) or a background export (its job) beyond
    DONNEES_ZIP_DIRECT_MAX bytes of documents."""
    candidature = _peut_exporter(user, pk)
    if en_arriere_plan(pk):
        job = exports.demander(user, "donnees", {"candidature": pk})
        consultations.noter(user, pk, "donnees", "Archive ZIP (préparée en arrière-plan)")
        return job
    return archive_temporaire(lambda output: ecrire_archive(user, pk, output)), nom_archive(candidature)


def en_arriere_plan(pk: int) -> bool:
    """A file's archive too big to be built in the request (DONNEES_ZIP_DIRECT_MAX bytes of documents)."""
    return taille_documents(pk) > current_app.config["DONNEES_ZIP_DIRECT_MAX"]


# --- Erasure ------------------------------------------------------------------------------------------------------

EFFACE = "(effacé)"
ANONYME = "ANONYME"
# The identity and contact of the file: what anonymisation replaces, and what the trail's values lose.
IDENTITE = ("nom_naissance", "nom_usage", "prenom", "date_naissance")
CONTACT_ET_NAISSANCE = (
    "pays_naissance",
    "ville_naissance",
    "code_postal_naissance",
    "email",
    "telephone",
    "adresse",
    "code_postal",
    "ville",
    "siren_employeur",
    "objectifs_professionnels",
    "objectifs_extra_professionnels",
)


def _mots(*values) -> list[str]:
    """The strings whose copies must go: each value, and each word of 3 letters or more of the names."""
    found: set[str] = set()
    for value in values:
        if not value:
            continue
        text = str(value).strip()
        if len(text) >= 3:
            found.add(text)
    return sorted(found, key=len, reverse=True)


def _effacer_texte(text, mots: list[str]):
    if not isinstance(text, str) or not text:
        return text
    for mot in mots:
        text = re.sub(re.escape(mot), EFFACE, text, flags=re.IGNORECASE)
    return text


def _effacer_json(value, mots: list[str], champs: set[str] | None = None):
    """Every string of a JSON value scrubbed; the values of `champs` (the trail's old → new) erased whole."""
    if isinstance(value, dict):
        return {
            key: (
                [EFFACE if v not in (None, "") else v for v in item]
                if champs and key in champs and isinstance(item, list)
                else _effacer_json(item, mots, champs)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_effacer_json(item, mots, champs) for item in value]
    return _effacer_texte(value, mots)


def _contient(column, mots: list[str]):
    return or_(*(func.lower(cast(column, String)).contains(mot.lower(), autoescape=True) for mot in mots))


@dataclass
class Anonymisation:
    candidature: Candidature
    deja: bool = False
    preuve_gardee: bool = False

    @property
    def message(self) -> str:
        if self.deja:
            return "Ce dossier est déjà anonymisé : rien n'a été modifié."
        if self.preuve_gardee:
            return (
                "Le dossier est anonymisé. La preuve du certificat (nom, date de naissance, numéro et date) est "
                "conservée."
            )
        return "Le dossier est anonymisé."


def _est_certifie(candidature: Candidature) -> bool:
    return candidature.statut == statuts.CERTIFIEE or (
        db.session.execute(select(Certificat.id).where(Certificat.candidature_id == candidature.id)).first() is not None
    )


def _oui(value) -> bool:
    """A ticked box of the form or a JSON true (the schemas' one reading of « oui »)."""
    return value is True or (isinstance(value, str) and value.strip().lower() in TRUE_WORDS)


def anonymiser(user, pk: int, motif, confirmation, effacer_preuve=False, motif_preuve=None) -> Anonymisation:
    """Certif Pro anonymises a person on request (irreversible; a second time changes nothing)."""
    candidature = perimeter.get_visible(Candidature, pk, user)
    if not access.may(user, "anonymiser_candidature"):
        raise Forbidden("Seul Certif Pro peut anonymiser un dossier.")
    if candidature.anonymise_le is not None:
        return Anonymisation(candidature, deja=True)
    errors = {}
    motif = str(motif or "").strip()
    if not motif:
        errors["motif"] = "Indiquez le motif de l'anonymisation (par exemple : demande de la personne du jj/mm/aaaa)."
    elif len(motif) > 250:
        errors["motif"] = "250 caractères au plus."
    if not _oui(confirmation):
        errors["confirmation"] = "Cochez la case pour confirmer : l'anonymisation est irréversible."
    effacer_preuve = _oui(effacer_preuve)
    motif_preuve = str(motif_preuve or "").strip()
    if effacer_preuve and not motif_preuve:
        errors["motif_preuve"] = "Indiquez pourquoi la preuve du certificat doit aussi être effacée."
    if errors:
        raise ValidationFailed(errors)
    return _anonymiser(candidature, motif, effacer_preuve=effacer_preuve, motif_preuve=motif_preuve)


def _anonymiser(candidature: Candidature, motif: str, effacer_preuve=False, motif_preuve="") -> Anonymisation:
    """Erase the person, keep the skeleton (statuses, dates, establishment, certification, results, fees), in one
    transaction with one line of audit that holds no erased value."""
    c = candidature
    db.session.refresh(c, with_for_update=True)  # two Certif Pro agents (or the daily job) at once: one erases
    if c.anonymise_le is not None:
        return Anonymisation(c, deja=True)
    garder_preuve = _est_certifie(c) and not effacer_preuve
    certificat = db.session.execute(select(Certificat).where(Certificat.candidature_id == c.id)).scalar()
    identite = [] if garder_preuve else [c.nom_naissance, c.nom_usage, c.prenom]
    contact = [c.email, c.telephone, c.adresse, c.ville_naissance if not garder_preuve else None]
    mots = _mots(*identite, *contact)
    champs_effaces = set(CONTACT_ET_NAISSANCE) | (set() if garder_preuve else set(IDENTITE))
    resume = {"motif": [None, motif]}
    if effacer_preuve and motif_preuve:
        resume["motif_preuve"] = [None, motif_preuve]
    resume["champs"] = [None, ", ".join(audit.FIELD_LABELS.get(f, f) for f in sorted(champs_effaces))]
    audit.label("Anonymisation du dossier", resume=resume)
    with db.session.no_autoflush:
        if not garder_preuve:
            c.nom_naissance, c.nom_usage, c.prenom = ANONYME, None, "Anonyme"
            c.date_naissance = datetime.date(c.date_naissance.year, 1, 1)  # the birth year stays (statistics)
            c.cle_personne = cle_anonymisee(c.cle_personne)
            c.nom_recherche = ""
        c.pays_naissance = c.code_postal_naissance = None
        c.ville_naissance = c.ville_naissance if garder_preuve else "—"
        c.email = c.telephone = c.adresse = c.code_postal = c.ville = c.siren_employeur = None
        c.objectifs_professionnels = c.objectifs_extra_professionnels = None
        c.actif = False if c.statut not in (statuts.CERTIFIEE, statuts.NON_CERTIFIEE, statuts.ABANDONNEE) else c.actif
        c.anonymise_le = utcnow()
        garde = certificat.document_id if (certificat and garder_preuve) else None
        for document in _all(Document, Document.candidature_id == c.id):
            if document.id != garde:
                db.session.delete(document)
        for echange in _all(Echange, Echange.candidature_id == c.id):
            echange.message = "Message effacé lors de l'anonymisation du dossier."
        for decision in _all(DecisionJury, DecisionJury.candidature_id == c.id):
            decision.commentaire = None
        for envoi in _all(EnvoiCertificat, EnvoiCertificat.candidature_id == c.id):
            envoi.commentaire = None
        if certificat and not garder_preuve:
            certificat.code_verification = None  # the public page no longer confirms a proof the platform erased
        _effacer_les_mails_au_candidat(c)
        for demande in _all(DemandeRattachement, DemandeRattachement.candidature_id == c.id):
            demande.precision = None
        evaluation_ids = []
        for evaluation in _all(Evaluation, Evaluation.candidature_id == c.id):
            evaluation.commentaire = None
            evaluation_ids.append(evaluation.id)
    db.session.flush()
    if evaluation_ids:
        db.session.execute(
            update(ResultatEvaluation)
            .where(ResultatEvaluation.evaluation_id.in_(evaluation_ids))
            .values(commentaire=None)
        )
    _effacer_les_copies(c, mots, champs_effaces)
    db.session.commit()
    return Anonymisation(c, preuve_gardee=garder_preuve)


ADRESSE_EFFACEE = "adresse effacée"
MAIL_EFFACE = "Mail effacé lors de l'anonymisation du dossier."


def _effacer_les_mails_au_candidat(c: Candidature) -> None:
    """The mails to the person (« Mails au candidat »): those not yet sent are not sent (the address is erased),
    the others keep their subject, date and delivery status — their address and body go (free texts)."""
    for mail in _all(MailSortant, MailSortant.candidature_id == c.id):
        if mail.statut == MailSortant.A_ENVOYER:
            db.session.delete(mail)
            continue
        mail.destinataire, mail.corps, mail.corps_apres_envoi = ADRESSE_EFFACEE, MAIL_EFFACE, None


def _effacer_les_copies(c: Candidature, mots: list[str], champs: set[str]) -> None:
    """The old values wherever the platform copied them: the file's audit trail, the journal's details,
    notifications, mails, the national searches' criteria, and the exports that may list the person."""
    label = str(c)[:250]
    for line in _all(AuditLog, AuditLog.entity_type == "Candidature", AuditLog.entity_id == c.id):
        line.entity_label = label
        line.libelle = _effacer_texte(line.libelle, mots)
        if line.changes:
            line.changes = _effacer_json(line.changes, mots, champs)
    if not mots:
        return
    for entry in _all(Consultation, Consultation.candidature_id == c.id, Consultation.detail.is_not(None)):
        entry.detail = _effacer_texte(entry.detail, mots)
    for notification in _all(
        Notification, or_(_contient(Notification.titre, mots), _contient(Notification.contenu, mots))
    ):
        notification.titre = _effacer_texte(notification.titre, mots)[:250]
        notification.contenu = _effacer_texte(notification.contenu, mots)
    for mail in _all(
        MailSortant,
        or_(
            _contient(MailSortant.sujet, mots),
            _contient(MailSortant.corps, mots),
            _contient(MailSortant.corps_apres_envoi, mots),
        ),
    ):
        mail.sujet = _effacer_texte(mail.sujet, mots)[:250]
        mail.corps = _effacer_texte(mail.corps, mots)
        mail.corps_apres_envoi = _effacer_texte(mail.corps_apres_envoi, mots)
    for recherche in _all(RechercheNationale, _contient(RechercheNationale.criteres, mots)):
        recherche.criteres = _effacer_json(recherche.criteres, mots)
    # Exports listing identities (the CANDIDATURE list's) made since the file exists, and this person's archives.
    jobs = select(FichierExport.id).where(
        or_(
            (FichierExport.type == "candidatures") & (FichierExport.created_at >= c.created_at),
            FichierExport.type.in_(("donnees", "dossier_complet"))
            & FichierExport.parametres.contains(f'"candidature": {c.id}}}'),
        )
    )
    ids = list(db.session.execute(jobs).scalars())
    if ids:  # the parts first: SQLite does not cascade
        db.session.execute(delete(PartieExport).where(PartieExport.job_id.in_(ids)))
        db.session.execute(delete(MorceauExport).where(MorceauExport.job_id.in_(ids)))
        db.session.execute(delete(FichierExport).where(FichierExport.id.in_(ids)))


# --- Retention ----------------------------------------------------------------------------------------------------


def maintenant() -> datetime.datetime:
    """The purge's clock (tests set it)."""
    return utcnow()


def _annees_avant(moment: datetime.datetime, annees: int) -> datetime.datetime:
    try:
        return moment.replace(year=moment.year - annees)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - annees, day=28)


@dataclass
class Purge:
    a_anonymiser: list[Candidature]
    documents_a_supprimer: list[tuple[Candidature, int]]
    consultations_a_supprimer: int

    def resume(self) -> dict:
        return {
            "anonymises": len(self.a_anonymiser),
            "documents": sum(n for _c, n in self.documents_a_supprimer),
            "consultations": self.consultations_a_supprimer,
        }

    def lignes(self, fait: bool) -> list[str]:
        verbe = ("anonymisé", "supprimé") if fait else ("à anonymiser", "à supprimer")
        lines = [f"{len(self.a_anonymiser)} dossier(s) non certifié(s) ou abandonné(s) {verbe[0]}(s) :"]
        lines += [f"  - dossier n°{c.numero_dossier} ({statuts.label(c.statut)})" for c in self.a_anonymiser]
        lines.append(
            f"{sum(n for _c, n in self.documents_a_supprimer)} document(s) de "
            f"{len(self.documents_a_supprimer)} dossier(s) certifié(s) {verbe[1]}(s) :"
        )
        lines += [f"  - dossier n°{c.numero_dossier} : {n} document(s)" for c, n in self.documents_a_supprimer]
        lines.append(f"{self.consultations_a_supprimer} ligne(s) du journal des consultations {verbe[1]}(s).")
        return lines


PURGE_LOT = 500


def _plan(limite: int = PURGE_LOT) -> tuple[Purge, datetime.datetime]:
    now = maintenant()
    limite_non_certifie = _annees_avant(now, valeur("conservation_non_certifie_ans"))
    limite_certifie = _annees_avant(now, valeur("conservation_documents_certifie_ans"))
    limite_journal = now - datetime.timedelta(days=valeur("conservation_journal_jours"))
    anciens = list(
        db.session.execute(
            select(Candidature)
            .where(
                Candidature.statut.in_((statuts.ABANDONNEE, statuts.NON_CERTIFIEE)),
                Candidature.updated_at < limite_non_certifie,
                Candidature.anonymise_le.is_(None),
            )
            .order_by(Candidature.id)
            .limit(limite)
        ).scalars()
    )
    documents = db.session.execute(
        select(Candidature, func.count(Document.id))
        .join(Document, Document.candidature_id == Candidature.id)
        .outerjoin(Certificat, Certificat.candidature_id == Candidature.id)
        .where(
            Candidature.statut == statuts.CERTIFIEE,
            Candidature.date_decision < limite_certifie,
            or_(Certificat.document_id.is_(None), Document.id != Certificat.document_id),
        )
        .group_by(Candidature.id)
        .order_by(Candidature.id)
        .limit(limite)
    ).all()
    journal = db.session.execute(
        select(func.count()).select_from(Consultation).where(Consultation.created_at < limite_journal)
    ).scalar()
    return Purge(anciens, [(c, n) for c, n in documents], int(journal or 0)), limite_journal


def purge(dry_run: bool = False) -> Purge:
    """Apply the retention periods (the daily job); `dry_run` only says what it would do."""
    plan, limite_journal = _plan()
    if dry_run:
        return plan
    for candidature in plan.a_anonymiser:
        _anonymiser(candidature, "Durée de conservation échue")
    for candidature, _n in plan.documents_a_supprimer:
        _supprimer_documents(candidature)
    consultations.purger(limite_journal)
    db.session.commit()
    return plan


def _supprimer_documents(candidature: Candidature) -> None:
    """A certified file past its retention: its documents go, the identity and the certificate stay."""
    certificat = db.session.execute(select(Certificat).where(Certificat.candidature_id == candidature.id)).scalar()
    garde = certificat.document_id if certificat else None
    audit.label("Suppression des documents (durée de conservation échue)")
    for document in _all(Document, Document.candidature_id == candidature.id):
        if document.id != garde:
            db.session.delete(document)
    candidature.documents_purges_le = maintenant()
    db.session.commit()


# --- Register of processing activities ----------------------------------------------------------------------------

# The register's fields and their labels: the audit trail's (one list of field labels for the platform).
REGISTRE_CHAMPS = {
    "nom": "Traitement",
    **{
        field: audit.FIELD_LABELS[field]
        for field in (
            "finalite",
            "base_legale",
            "categories_donnees",
            "categories_personnes",
            "destinataires",
            "duree_conservation",
            "mesures_securite",
        )
    },
}


def erreurs_traitement(values: dict) -> dict[str, str]:
    """The register's rules (page and API): every field filled, within its length."""
    errors = {}
    for field in REGISTRE_CHAMPS:
        text = str(values.get(field) or "").strip()
        if not text:
            errors[field] = "Ce champ est obligatoire."
        elif field in ("nom", "base_legale") and len(text) > (200 if field == "nom" else 250):
            errors[field] = f"{200 if field == 'nom' else 250} caractères au plus."
        elif len(text) > 5000:
            errors[field] = "5000 caractères au plus."
    ordre = values.get("ordre")
    if ordre is not None and (not isinstance(ordre, int) or not 1 <= ordre <= 1000):
        errors["ordre"] = "Saisissez un nombre entre 1 et 1000."
    return errors


@ecritures.regle(Traitement)
def _regles_du_registre(user, traitement: Traitement, before: dict | None) -> None:
    if not access.may(user, "gerer_donnees_personnelles"):
        raise Forbidden("Seul Certif Pro tient le registre des traitements.")
    if traitement.ordre is None:
        traitement.ordre = (db.session.execute(select(func.max(Traitement.ordre))).scalar() or 0) + 1
    errors = erreurs_traitement({column: getattr(traitement, column) for column in (*REGISTRE_CHAMPS, "ordre")})
    if errors:
        raise ValidationFailed(errors)


def registre() -> list[Traitement]:
    return list(db.session.execute(select(Traitement).order_by(Traitement.ordre, Traitement.id)).scalars())


def registre_pdf() -> bytes:
    from app.exports.pdf import Section, render

    sections = [
        Section(
            f"{t.ordre}. {t.nom}",
            [(label, getattr(t, field)) for field, label in REGISTRE_CHAMPS.items() if field != "nom"]
            + [("Mis à jour le", date_fr(t.updated_at))],
        )
        for t in registre()
    ]
    return render(
        "Registre des activités de traitement",
        "Plateforme CléA — responsable du traitement : Certif Pro (RGPD, article 30)",
        sections,
        "Plateforme CléA — registre des traitements",
    )
