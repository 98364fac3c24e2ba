"""Réseau, Organisme, Etablissement, Certificateur: validation rules and the Certif Pro-only fields.

The rule functions take the record's future values (relations as objects) and the id of the record being
edited (None for a new one). Forms and API call the same functions.
"""

from sqlalchemy import func, select

from app.domain import access
from app.domain.errors import DomainError, Forbidden, ValidationFailed
from app.domain.identifiers import (
    clean_digits,
    code_postal_error,
    declaration_activite_error,
    naf_error,
    normalise_naf,
    siren_error,
    siret_error,
    siret_format_valid,
    siret_matches_siren_error,
)
from app.domain.regions import MODALITES_ENVOI, REGIONS
from app.extensions import db
from app.models import Certificateur, Etablissement, Organisme, Reseau
from app.security import perimeter
from app.services import ecritures
from app.services.validation import Errors, blank, email_error, phone_error, url_error

# Only Certif Pro switches an organisation or establishment off, or moves an organisation between networks
# (taking it out of a network would take it out of that network's perimeter).
# The fields a person fills for an organisation or an establishment (the page and the API alike).
CHAMPS_ORGANISME = [
    "reseau",
    "siren",
    "nom",
    "adresse",
    "complement_adresse",
    "ville",
    "code_postal",
    "contact_nom",
    "contact_prenom",
    "contact_email",
    "email_facturation",
    "facturation_differente",
    "facturation_adresse",
    "facturation_complement_adresse",
    "facturation_ville",
    "facturation_code_postal",
    "code_naf",
    "numero_declaration_activite",
    "qualiopi",
    "actif",
]
CHAMPS_ETABLISSEMENT = [
    "organisme",
    "nom",
    "siret",
    "referent_nom",
    "referent_prenom",
    "referent_email",
    "public_nom",
    "public_prenom",
    "public_email",
    "public_telephone",
    "adresse",
    "complement_adresse",
    "ville",
    "code_postal",
    "region",
    "site_web",
    "actif",
]
CERTIF_PRO_ONLY_FIELDS = {Organisme: {"actif", "reseau"}, Etablissement: {"actif"}}


def _taken(model, column, value, current_id) -> bool:
    query = select(model.id).where(func.lower(column) == str(value).strip().lower())
    if current_id:
        query = query.where(model.id != current_id)
    return db.session.execute(query.limit(1)).first() is not None


def reseau_errors(values: dict, current_id=None) -> Errors:
    errors = Errors()
    errors.required(values, "nom", "responsable_nom", "responsable_prenom", "responsable_email")
    errors.max_lengths(values, Reseau)
    errors.add("responsable_email", email_error(values.get("responsable_email")))
    if not blank(values.get("nom")) and _taken(Reseau, Reseau.nom, values["nom"], current_id):
        errors.add("nom", "Un réseau porte déjà ce nom.")
    return errors


def organisme_errors(values: dict, current_id=None) -> Errors:
    errors = Errors()
    errors.required(
        values,
        "siren",
        "nom",
        "adresse",
        "ville",
        "code_postal",
        "contact_nom",
        "contact_prenom",
        "contact_email",
        "email_facturation",
    )
    errors.max_lengths(values, Organisme)
    siren = values.get("siren")
    if not blank(siren):
        message = siren_error(siren)
        errors.add("siren", message)
        if not message and _taken(Organisme, Organisme.siren, clean_digits(siren), current_id):
            errors.add("siren", "Un organisme avec ce SIREN existe déjà.")
    if not blank(values.get("code_postal")):
        errors.add("code_postal", code_postal_error(values.get("code_postal")))
    for field in ("contact_email", "email_facturation"):
        errors.add(field, email_error(values.get(field)))
    if values.get("facturation_differente"):
        errors.required(values, "facturation_adresse", "facturation_ville", "facturation_code_postal")
        if not blank(values.get("facturation_code_postal")):
            errors.add("facturation_code_postal", code_postal_error(values.get("facturation_code_postal")))
    errors.add("code_naf", naf_error(values.get("code_naf")))
    errors.add("numero_declaration_activite", declaration_activite_error(values.get("numero_declaration_activite")))
    return errors


def etablissement_errors(values: dict, current_id=None) -> Errors:
    errors = Errors()
    errors.required(
        values,
        "organisme",
        "nom",
        "siret",
        "referent_nom",
        "referent_prenom",
        "referent_email",
        "public_nom",
        "public_prenom",
        "public_email",
        "public_telephone",
        "adresse",
        "ville",
        "code_postal",
        "region",
    )
    errors.max_lengths(values, Etablissement)
    siret = values.get("siret")
    organisme = values.get("organisme")
    if not blank(siret):
        message = siret_error(siret)
        errors.add("siret", message)
        if siret_format_valid(siret) and organisme is not None:
            # Said even when the key is wrong too: a SIRET of another SIREN is the likelier mistake.
            mismatch = siret_matches_siren_error(siret, organisme.siren)
            errors.add("siret", mismatch)
            message = message or mismatch
        if not message and _taken(Etablissement, Etablissement.siret, clean_digits(siret), current_id):
            errors.add("siret", "Un établissement avec ce SIRET existe déjà.")
    if not blank(values.get("code_postal")):
        errors.add("code_postal", code_postal_error(values.get("code_postal")))
    for field in ("referent_email", "public_email"):
        errors.add(field, email_error(values.get(field)))
    errors.add("public_telephone", phone_error(values.get("public_telephone")))
    errors.add("site_web", url_error(values.get("site_web")))
    if not blank(values.get("region")) and values.get("region") not in REGIONS:
        errors.add("region", "Région inconnue.")
    if organisme is not None and not organisme.actif and not current_id:
        errors.add("organisme", "Cet organisme est inactif : il ne peut plus créer d'établissement.")
    return errors


def certificateur_errors(values: dict, current_id=None) -> Errors:
    errors = Errors()
    errors.required(values, "nom", "type", "modalite_envoi")
    errors.max_lengths(values, Certificateur)
    if not blank(values.get("nom")) and _taken(Certificateur, Certificateur.nom, values["nom"], current_id):
        errors.add("nom", "Un certificateur porte déjà ce nom.")
    kind = values.get("type")
    if not blank(kind) and kind not in Certificateur.TYPES:
        errors.add("type", "Type de certificateur inconnu.")
    if values.get("modalite_envoi") and values["modalite_envoi"] not in MODALITES_ENVOI:
        errors.add("modalite_envoi", "Modalité d'envoi inconnue.")
    region = values.get("region")
    if kind == Certificateur.TRANSITIONS_PRO:
        if blank(region):
            errors.add("region", "La région est obligatoire pour une association Transitions Pro.")
        elif region not in REGIONS:
            errors.add("region", "Région inconnue.")
        else:
            query = select(Certificateur.id).where(
                Certificateur.type == Certificateur.TRANSITIONS_PRO, Certificateur.region == region
            )
            if current_id:
                query = query.where(Certificateur.id != current_id)
            if db.session.execute(query).first():
                errors.add("region", "Cette région a déjà son association Transitions Pro.")
    return errors


RULES = {
    Reseau: reseau_errors,
    Organisme: organisme_errors,
    Etablissement: etablissement_errors,
    Certificateur: certificateur_errors,
}


def normalise(model, values: dict) -> dict:
    """Stored forms of identifiers: digits only, NAF as 85.59A."""
    if model is Organisme:
        if values.get("siren"):
            values["siren"] = clean_digits(values["siren"])
        if values.get("code_naf"):
            values["code_naf"] = normalise_naf(values["code_naf"])
        if values.get("numero_declaration_activite"):
            values["numero_declaration_activite"] = clean_digits(values["numero_declaration_activite"])
    if model is Etablissement and values.get("siret"):
        values["siret"] = clean_digits(values["siret"])
    return values


def check(model, values: dict, current_id=None) -> None:
    errors = RULES[model](values, current_id)
    if errors:
        raise ValidationFailed(errors)


CERTIF_PRO_SEUL = "Seul Certif Pro peut modifier ce champ."


def certif_pro_changes(model, user, before: dict | None, after: dict) -> list[str]:
    """The one rule: only Certif Pro changes `actif` of an organisation or establishment, or an organisation's
    network. Returns the protected fields this user may not change from `before` (None: a new record, which
    is active unless it says otherwise) to `after`."""
    if access.may(user, "changer_actif"):
        return []
    refused = []
    for field in CERTIF_PRO_ONLY_FIELDS.get(model, ()):
        if field not in after:
            continue
        # A new record: only "inactive" needs Certif Pro.
        changed = (field == "actif" and after[field] is False) if before is None else after[field] != before.get(field)
        if changed:
            refused.append(field)
    return refused


def check_certif_pro_fields(model, user, before: dict | None, after: dict) -> None:
    """`certif_pro_changes` as a refusal (the API)."""
    protected = set(certif_pro_changes(model, user, before, after))
    if protected == {"reseau"}:
        raise Forbidden("Seul Certif Pro peut changer le réseau d'un organisme.")
    if protected:
        raise Forbidden("Seul Certif Pro peut modifier le statut Actif d'un organisme ou d'un établissement.")


def changer_actif(user, model, pk, actif: bool):
    """Activate or deactivate an organisation or an establishment (Certif Pro: `changer_actif`), as its form
    would: through the record's write rule, in one transaction with its audit line."""
    item = perimeter.get_visible(model, pk, user)
    if not access.may(user, "changer_actif"):
        raise Forbidden("Seul Certif Pro peut activer ou désactiver un organisme ou un établissement.")
    if item.actif == bool(actif):
        raise DomainError("Déjà actif : rien n'a changé." if actif else "Déjà inactif : rien n'a changé.")
    item.actif = bool(actif)
    ecritures.ecrire(item, user)
    return item


def check_active(etablissement: Etablissement) -> None:
    """An inactive organisation or establishment can do nothing (guide §8, §10)."""
    if not etablissement.actif:
        raise DomainError(f"L'établissement « {etablissement.nom} » est inactif : aucune activité n'est possible.")
    if not etablissement.organisme.actif:
        raise DomainError(
            f"L'organisme « {etablissement.organisme.nom} » est inactif : aucune activité n'est possible."
        )


def etablissements_de(user, organisme: Organisme) -> list[Etablissement]:
    """An organisation's establishments inside the user's perimeter, by name."""
    return list(
        db.session.execute(
            perimeter.restrict(
                select(Etablissement).where(Etablissement.organisme_id == organisme.id), Etablissement, user
            ).order_by(Etablissement.nom)
        ).scalars()
    )


def reseau_de(user) -> Reseau | None:
    """A network user's own network (their new organisations belong to it)."""
    return db.session.get(Reseau, user.reseau_id) if user.reseau_id else None


@ecritures.regle(Reseau, Organisme, Etablissement, Certificateur)
def _regles_de_structure(user, item, before: dict | None) -> None:
    """Every write of a structure (page or API): a network user's new organisation belongs to their network,
    Certif Pro-only fields, identifiers normalised, then the model's rules."""
    model = type(item)
    if model is Organisme and before is None and access.PERIMETER_LEVEL.get(user.profil) == access.RESEAU:
        item.reseau = reseau_de(user)
    if model is Certificateur:
        item.region = item.region or None
    _, after = ecritures.valeurs(item)
    check_certif_pro_fields(model, user, before, after)
    values = normalise(model, after)
    for key, value in values.items():
        if key in item.__table__.columns and getattr(item, key) != value:
            setattr(item, key, value)
    check(model, values, item.id if before is not None else None)
