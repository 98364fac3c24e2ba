"""Candidate files: « Proposer une candidature » with the guide's rules (guide §14, domain.md §4)."""

import datetime
import hashlib
import hmac
import secrets

from flask import current_app
from marshmallow import fields
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.domain import access, statuts
from app.domain.dates import parse_date
from app.domain.errors import DomainError, Forbidden, NotFound, StaleVersion, ValidationFailed
from app.domain.identifiers import clean_digits, code_postal_error, siren_error
from app.domain.noms import sans_accents
from app.extensions import db
from app.models import Candidature, Etablissement, Utilisateur, ValeurListe
from app.models.referentiels import CERTIFICATIONS
from app.schemas import TRUE_WORDS, Input, shape_errors, text_fields
from app.security import perimeter
from app.services import audit, choix, documents, habilitations, notifications, workflow
from app.services.ecritures import verifier_version
from app.services.structures import check_active
from app.services.validation import Errors, blank, email_error, phone_error

REQUIRED = (
    "etablissement",
    "certification",
    "statut_inscription",
    "niveau_formation",
    "financeur_principal",
    "civilite",
    "nom_naissance",
    "prenom",
    "date_naissance",
    "ville_naissance",
)
LIST_FIELDS = {
    "statut_inscription": "statut_inscription",
    "type_public": "type_public",
    "niveau_formation": "niveau_formation",
    "financeur_principal": "financeur",
    "civilite": "civilite",
    "branche": "branche",
    "origine_demarche": "origine_demarche",
}
# Every field of a candidate file a person types (« Proposer une candidature », « Editer la fiche », the API).
CHAMPS = [
    "certification",
    "statut_inscription",
    "branche",
    "socle_contextualise",
    "siren_employeur",
    "type_public",
    "niveau_formation",
    "financeur_principal",
    "civilite",
    "nom_naissance",
    "nom_usage",
    "prenom",
    "date_naissance",
    "ne_etranger",
    "pays_naissance",
    "ne_outre_mer",
    "ville_naissance",
    "code_postal_naissance",
    "origine_demarche",
    "objectifs_professionnels",
    "objectifs_extra_professionnels",
    "email",
    "telephone",
    "adresse",
    "code_postal",
    "ville",
    "certificat_papier",
]
BOOLEAN_FIELDS = ("socle_contextualise", "ne_etranger", "ne_outre_mer", "certificat_papier")
TEXT_FIELDS = (
    "branche",
    "siren_employeur",
    "type_public",
    "nom_usage",
    "pays_naissance",
    "code_postal_naissance",
    "origine_demarche",
    "objectifs_professionnels",
    "objectifs_extra_professionnels",
    "email",
    "telephone",
    "adresse",
    "code_postal",
    "ville",
)
SALARIE = "Salarié"
AUCUNE_BRANCHE = "Aucune"
AGE_MIN, AGE_MAX = 16, 100
OBJECTIFS_MIN = 50  # the jury may refuse thin files (guide §14): warn at sending


def cle_personne(nom_naissance, prenom, date_naissance) -> str:
    return f"{sans_accents(nom_naissance)}|{sans_accents(prenom)}|{date_naissance.isoformat()}"


def cle_anonymisee(cle: str) -> str:
    """The person key of an anonymised file: a keyed hash (HMAC-SHA-256) of the plain key, so that the national
    duplicate rule still finds the person and nobody can recompute it without the salt."""
    salt = (
        current_app.config.get("CLE_PERSONNE_SEL")
        or hashlib.sha256(("clea-cle-personne:" + current_app.config["SECRET_KEY"]).encode()).hexdigest()
    )
    return "anon:" + hmac.new(salt.encode(), cle.encode(), hashlib.sha256).hexdigest()


def nom_recherche(nom_naissance, prenom, nom_usage=None) -> str:
    return " ".join(x for x in (sans_accents(nom_naissance), sans_accents(prenom), sans_accents(nom_usage)) if x)


def valeurs(liste: str) -> list[str]:
    return list(
        db.session.execute(
            select(ValeurListe.libelle)
            .where(ValeurListe.liste == liste, ValeurListe.actif.is_(True))
            .order_by(ValeurListe.ordre)
        ).scalars()
    )


def _date(value, field, errors):
    """The date typed in `field` (jj/mm/aaaa or aaaa-mm-jj), None when blank or invalid (then in `errors`)."""
    if blank(value):
        return None
    try:
        return parse_date(value)
    except ValueError as exc:
        errors.add(field, str(exc))
        return None


def _bool(value) -> bool:
    """A checkbox of the form or a JSON boolean (the schemas' one reading of « oui »)."""
    if isinstance(value, str):
        return value.strip().lower() in TRUE_WORDS
    return bool(value)


# The input's shape: every text field of the form with its column's length (the rules are in `clean`).
CandidatureInput = Input.from_dict(
    {
        **text_fields(
            Candidature,
            [f for f in REQUIRED + TEXT_FIELDS if f not in ("etablissement", "date_naissance")],
            not_text="Valeur invalide.",
            numbers=True,
        ),
        "etablissement": fields.Raw(load_default=None),
        "date_naissance": fields.Raw(load_default=None),
    },
    name="CandidatureInput",
)
CANDIDATURE_INPUT = CandidatureInput()


def code_certification(value):
    """api.md: the certification is optional (CléA) and given by its code or its label; the code is stored.
    Anything else is returned as it is, for the rule below to refuse."""
    if blank(value):
        return "clea"
    if isinstance(value, str):
        wanted = value.strip().casefold()
        for code, libelle in CERTIFICATIONS.items():
            if wanted in (code, libelle.casefold()):
                return code
    return value


def clean(values: dict, user, exercice: bool = True) -> tuple[dict, Etablissement]:
    """Checks every field of « CRÉER UNE CANDIDATURE » and its conditional rules; returns the values to store.
    `exercice`: the establishment's habilitation is checked too (at creation, and when an edit changes the
    certification or the socle contextualisé's branch)."""
    errors = Errors()
    values = {**values, "certification": code_certification(values.get("certification"))}
    data = {}
    for key, value in values.items():
        if isinstance(value, str):
            value = value.strip()
        data[key] = value
    if isinstance(data.get("siren_employeur"), str):
        data["siren_employeur"] = clean_digits(data["siren_employeur"])
    errors.required(data, *REQUIRED)
    for field, messages in shape_errors(CANDIDATURE_INPUT, data).items():
        for message in messages:
            errors.add(field, message)

    etab = None
    if not blank(data.get("etablissement")) and not errors.get("etablissement"):
        try:
            etab = perimeter.get_visible(Etablissement, data["etablissement"], user)
        except NotFound:
            errors.add("etablissement", "Cet établissement n'existe pas ou n'est pas dans votre périmètre.")
        else:
            if not etab.actif or not etab.organisme.actif:
                errors.add(
                    "etablissement", "Cet établissement est inactif : il ne peut plus enregistrer de candidature."
                )
    if not blank(data.get("certification")) and data["certification"] not in CERTIFICATIONS:
        errors.add("certification", "Certification inconnue.")

    for field, liste in LIST_FIELDS.items():
        value = data.get(field)
        if not blank(value) and isinstance(value, str) and value not in valeurs(liste):
            errors.add(field, "Valeur inconnue dans la liste.")

    for field in BOOLEAN_FIELDS:
        data[field] = _bool(data.get(field, False))

    if data.get("statut_inscription") == SALARIE:
        errors.required(data, "branche", "siren_employeur")
        if not blank(data.get("siren_employeur")):
            errors.add("siren_employeur", siren_error(data["siren_employeur"]))
    else:
        data["branche"], data["siren_employeur"], data["socle_contextualise"] = None, None, False
    if data["socle_contextualise"] and data.get("branche") in (None, "", AUCUNE_BRANCHE):
        errors.add("socle_contextualise", "Un socle contextualisé suppose une branche délégataire.")
    elif etab is not None and exercice and etab.actif and etab.organisme.actif and not errors.get("certification"):
        # The one rule of habilitations: for this certification, and for a socle contextualisé, by its branch.
        refus = habilitations.refus_exercice(
            etab, data["certification"], data.get("branche") if data["socle_contextualise"] else None
        )
        if refus:
            errors.add("socle_contextualise" if "socle contextualisé" in refus else "etablissement", refus)

    naissance = _date(data.get("date_naissance"), "date_naissance", errors)
    if naissance:
        today = datetime.date.today()
        age = today.year - naissance.year - ((today.month, today.day) < (naissance.month, naissance.day))
        if naissance > today:
            errors.add("date_naissance", "La date de naissance ne peut pas être dans le futur.")
        elif not AGE_MIN <= age <= AGE_MAX:
            errors.add(
                "date_naissance", f"Date de naissance peu plausible (âge entre {AGE_MIN} et {AGE_MAX} ans attendu)."
            )
        data["date_naissance"] = naissance
    if data["ne_etranger"]:
        errors.required(data, "pays_naissance")
        data["code_postal_naissance"] = None
    else:
        data["pays_naissance"] = None
        errors.required(data, "code_postal_naissance")
        if not blank(data.get("code_postal_naissance")):
            errors.add("code_postal_naissance", code_postal_error(data["code_postal_naissance"]))
    if not blank(data.get("code_postal")):
        errors.add("code_postal", code_postal_error(data["code_postal"]))
    errors.add("email", email_error(data.get("email")))
    errors.add("telephone", phone_error(data.get("telephone")))
    if errors:
        raise ValidationFailed(errors)
    stored = {
        k: (None if isinstance(data.get(k), str) and not data[k] else data.get(k))
        for k in REQUIRED + TEXT_FIELDS + BOOLEAN_FIELDS + ("niveau_formation",)
        if k != "etablissement"
    }
    assert etab is not None  # a missing or unknown establishment is an error above
    return stored, etab


def doublon(values: dict, certification: str):
    """The person's file for this certification, if any — an anonymised one too (found by its keyed hash)."""
    cle = cle_personne(values["nom_naissance"], values["prenom"], values["date_naissance"])
    return (
        db.session.execute(
            select(Candidature).where(
                Candidature.cle_personne.in_((cle, cle_anonymisee(cle))),
                Candidature.certification == certification,
            )
        )
        .scalars()
        .first()
    )


DOUBLON = (
    "Ce candidat est déjà inscrit sur la plateforme (dossier n°{numero}) : un candidat ne peut avoir qu'un "
    "dossier par certification. Si vous devez poursuivre son parcours, faites une demande de "
    "rattachement du dossier auprès de Certif Pro."
)


def _nouveau_numero() -> str:
    while True:
        numero = str(secrets.randbelow(9 * 10**9) + 10**9)
        if db.session.execute(select(Candidature.id).where(Candidature.numero_dossier == numero)).first() is None:
            return numero


def creer(user, values: dict) -> Candidature:
    if not access.may(user, "evaluations.creer"):
        raise Forbidden("Votre profil ne permet pas de créer une candidature.")
    data, etab = clean(values, user)
    check_active(etab)
    existing = doublon(data, data["certification"])
    if existing is not None:
        raise DomainError(DOUBLON.format(numero=existing.numero_dossier))
    audit.label("Création de la candidature")
    candidature = Candidature(
        **data,
        etablissement_id=etab.id,
        organisme_id=etab.organisme_id,
        statut=statuts.ATTENTE_EVALUATION_PREALABLE,
        numero_dossier=_nouveau_numero(),
        cle_personne=cle_personne(data["nom_naissance"], data["prenom"], data["date_naissance"]),
        nom_recherche=nom_recherche(data["nom_naissance"], data["prenom"], data.get("nom_usage")),
    )
    db.session.add(candidature)
    try:
        db.session.flush()
    except IntegrityError:  # the same person registered at the same moment elsewhere
        db.session.rollback()
        raise DomainError(DOUBLON.format(numero="déjà attribué")) from None
    reseau = etab.organisme.reseau
    if reseau is not None and reseau.notifier_creation_candidature:
        admins = notifications.utilisateurs_avec_droit("recevoir_avis_reseau", Utilisateur.reseau_id == reseau.id)
        notifications.notify(
            admins,
            "Dossier de candidature",
            "Nouvelle candidature",
            f"Une candidature ({candidature.numero_dossier} — {candidature.candidat}) a été créée par {etab.nom}.",
            f"/candidatures/show/{candidature.id}",
            personne=candidature.candidat,
        )
    db.session.commit()
    notifications.flush_outbox_quietly()
    return candidature


def peut_modifier(user, candidature: Candidature) -> bool:
    """« Editer la fiche »: ✏ on EVALUATIONS; after the sending, the file is read-only for OF profiles."""
    if not access.may(user, "evaluations.modifier") or candidature.anonymise_le is not None:
        return False
    return not statuts.read_only_for_of(candidature.statut) or access.may(user, "modifier_dossier_envoye")


def valeurs_actuelles(candidature: Candidature) -> dict:
    """The file's typed fields as an input would give them (what a partial API `PUT` starts from)."""
    values = {field: getattr(candidature, field) for field in CHAMPS}
    values["date_naissance"] = candidature.date_naissance.isoformat() if candidature.date_naissance else None
    return values


def modifier(user, candidature_id, values: dict, version: int | None = None, partiel: bool = False) -> Candidature:
    """Edit the file's fields (the establishment changes only through a transfer request). `version` is the
    version the person edited (the form's hidden field, the API's `version` or `If-Match`): a stale one is
    refused (StaleVersion, 409) — on PostgreSQL under the row lock, elsewhere also by the version column.
    `partiel`: only the fields given change (the API's PUT); the form always sends them all."""
    candidature = workflow.locked(Candidature, user, candidature_id)
    verifier_version(candidature, version)
    if candidature.anonymise_le is not None:
        raise DomainError("Ce dossier est anonymisé : il ne peut plus être modifié.")
    if not peut_modifier(user, candidature):
        raise Forbidden(
            "Cette candidature est en lecture seule pour votre profil (elle a été envoyée en certification)."
        )
    if partiel:  # the API's PUT: the fields not given keep their values
        values = {**valeurs_actuelles(candidature), **values}
    values = dict(values, etablissement=candidature.etablissement_id)
    same = (candidature.certification, candidature.socle_contextualise, candidature.branche)
    wanted = (
        code_certification(values.get("certification")),
        _bool(values.get("socle_contextualise", False)),
        (values.get("branche") or None) if isinstance(values.get("branche"), str) else values.get("branche"),
    )
    data, _ = clean(values, user, exercice=wanted != same)
    other = doublon(data, data["certification"])
    if other is not None and other.id != candidature.id:
        raise DomainError(DOUBLON.format(numero=other.numero_dossier))
    audit.label("Modification de la fiche candidat")
    for key, value in data.items():
        setattr(candidature, key, value)
    candidature.cle_personne = cle_personne(data["nom_naissance"], data["prenom"], data["date_naissance"])
    candidature.nom_recherche = nom_recherche(data["nom_naissance"], data["prenom"], data.get("nom_usage"))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise DomainError(DOUBLON.format(numero="déjà attribué")) from None
    except StaleDataError:  # saved by someone else between our read and our write
        db.session.rollback()
        raise StaleVersion(candidature) from None
    return candidature


def changer_actif(user, candidature_id, actif: bool) -> Candidature:
    """« Désactiver » / « Réactiver » the file."""
    candidature = perimeter.get_visible(Candidature, candidature_id, user)
    if not peut_modifier(user, candidature):
        raise Forbidden("Cette candidature est en lecture seule pour votre profil.")
    audit.label("Réactivation de la candidature" if actif else "Désactivation de la candidature")
    candidature.actif = bool(actif)
    db.session.commit()
    return candidature


@documents.upload_policy("candidature")
def _documents_du_dossier(user, candidature, objet_id, ajout: bool) -> None:
    """The file's own documents follow « Editer la fiche »."""
    if not peut_modifier(user, candidature):
        raise Forbidden(documents.refus(ajout))


# --- Reading (for the pages and the API) -----------------------------------------------------------------------


def _proposables(user) -> list:
    return [Etablissement.actif.is_(True), habilitations.habilitee_clause()]


# « Proposer une candidature » and « Importer des candidats »: the establishments of the perimeter where a file may
# be registered today, chosen by typing a part of their name (a quick picker, app/services/choix.py).
ETABLISSEMENTS_PROPOSABLES = choix.Source(
    Etablissement, offerts=_proposables, libelle=lambda e: f"{e.nom} ({e.ville})" if e.ville else e.nom
)


def abandons_recents(user, jours: int = 30):
    """« Export des dossiers abandonnés sur 30 jours »: rows streamed by batches of 1,000."""
    since = datetime.datetime.now() - datetime.timedelta(days=jours)
    query = (
        perimeter.restrict(
            select(
                Candidature.numero_dossier,
                Candidature.nom_naissance,
                Candidature.nom_usage,
                Candidature.prenom,
                Candidature.date_naissance,
                Etablissement.nom,
                Candidature.motif_abandon,
                Candidature.date_abandon,
            ).join(Etablissement, Etablissement.id == Candidature.etablissement_id),
            Candidature,
            user,
        )
        .where(Candidature.statut.in_(statuts.CANDIDATURE.group("abandonnee")), Candidature.date_abandon >= since)
        .order_by(Candidature.date_abandon.desc())
        .execution_options(yield_per=1000)
    )
    return db.session.execute(query)


def visibles(user, ids) -> list[Candidature]:
    """The files of `ids` inside the user's perimeter, in the order given (a selection of the list)."""
    if not ids:
        return []
    rows = db.session.execute(
        perimeter.restrict(select(Candidature).where(Candidature.id.in_(ids)), Candidature, user)
    ).scalars()
    by_id = {c.id: c for c in rows}
    return [by_id[i] for i in ids if i in by_id]


SELECTION_COLONNES = [
    ("Numéro de dossier", lambda c: c.numero_dossier),
    ("Nom de naissance", lambda c: c.nom_naissance),
    ("Nom d'usage", lambda c: c.nom_usage),
    ("Prénom", lambda c: c.prenom),
    ("Date de naissance", lambda c: c.date_naissance),
    ("Etablissement d'évaluation", lambda c: c.etablissement.nom),
    ("Certification", lambda c: c.certification_label),
    ("Statut de la candidature", lambda c: c.statut_label),
    ("Actif", lambda c: "Oui" if c.actif else "Non"),
    ("Dernière modification", lambda c: c.updated_at),
]


def lignes_selection(items) -> tuple[list[str], list[list]]:
    """« Exporter la sélection »: the selected files (already inside the perimeter: FAB's list gave them)."""
    return [label for label, _ in SELECTION_COLONNES], [[get(c) for _, get in SELECTION_COLONNES] for c in items]
