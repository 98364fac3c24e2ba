"""The CPF catalogue offer of an establishment (issue 18 §6, seed 004): its CléA / CléA numérique training offers
with the fields EDOF needs and their sessions, for the LHÉO and .xlsx exports and the public directory.

Who: the establishment must be in the user's perimeter (else 404) and the user hold ✏ on FICHE ETABLISSEMENT
(`etablissements.modifier`, else 403) to write; reading is 👁 (`etablissements.lire`). What: an offer is described
only for a certification the establishment is habilitated for today (`habilitations.refus_exercice`, the one rule).
Each write is one transaction with its audit line."""

import datetime

from sqlalchemy import select

from app.domain import access, offres_cpf as domaine
from app.domain.errors import DomainError, Forbidden, ValidationFailed
from app.extensions import db
from app.formatting import date_fr
from app.models import Etablissement, OffreCpf, SessionOffreCpf
from app.models.referentiels import CERTIFICATIONS
from app.schemas import Day, Input, Text, fresh, shape_errors, text_fields
from app.security import perimeter
from app.services import audit, ecritures, habilitations
from app.services.validation import Errors, blank

CHAMPS = (
    "certification",
    "numero_interne",
    "intitule_formation",
    "points_forts",
    "objectif_formation",
    "resultats_attendus",
    "contenu_formation",
    "type_parcours",
)
CHAMPS_SESSION = ("debut", "fin", "adresse", "code_postal", "ville")
# The CPF catalogue opened in 2019; a session is announced at most three years ahead.
PREMIER_JOUR = datetime.date(2019, 1, 1)
ANNEES_A_L_AVANCE = 3
TROP_LONG = "Ce champ ne doit pas dépasser {max} caractères."
LIMITE_EDOF = "Ce champ ne doit pas dépasser {max} caractères (limite d'EDOF)."

# The input's shape: texts with their limits (EDOF's and LHÉO's, app/domain/offres_cpf.py), codes as texts.
OFFRE_INPUT = Input.from_dict(
    {
        "certification": Text(max_length=20),
        "numero_interne": Text(max_length=domaine.LIMITES["numero_interne"], numbers=True),
        "intitule_formation": Text(max_length=domaine.LIMITES["intitule_formation"]),
        "points_forts": Text(max_length=domaine.LIMITES["points_forts"], too_long=LIMITE_EDOF),
        "objectif_formation": Text(max_length=domaine.LIMITES["objectif_formation"]),
        "resultats_attendus": Text(max_length=domaine.LIMITES["resultats_attendus"], too_long=LIMITE_EDOF),
        "contenu_formation": Text(max_length=domaine.LIMITES["contenu_formation"]),
        "type_parcours": Text(max_length=5, numbers=True),
    },
    name="OffreCpfInput",
)()
SESSION_INPUT = Input.from_dict(
    {
        "debut": Day(),
        "fin": Day(),
        **text_fields(SessionOffreCpf, ["adresse", "ville"]),
        "code_postal": Text(max_length=5, numbers=True),
    },
    name="SessionOffreCpfInput",
)()


# --- Reading ---------------------------------------------------------------------------------------------
def _lire(user) -> None:
    if not access.may(user, "etablissements.lire"):
        raise Forbidden("Votre profil ne permet pas de consulter l'offre de formation CPF.")


def _ecrire(user) -> None:
    if not access.may(user, "etablissements.modifier"):
        raise Forbidden("Votre profil ne permet pas de modifier l'offre de formation CPF de cet établissement.")


def peut_modifier(user) -> bool:
    return access.may(user, "etablissements.modifier")


def etablissement(user, etablissement_id) -> Etablissement:
    """The establishment of the perimeter (NotFound otherwise, before the right: perimeter first)."""
    etab = perimeter.get_visible(Etablissement, etablissement_id, user)
    _lire(user)
    return etab


def visible(user, pk) -> OffreCpf:
    offre = perimeter.get_visible(OffreCpf, pk, user)
    _lire(user)
    return offre


def offres_de(user, etablissement_id) -> list[OffreCpf]:
    """The offers of an establishment of the perimeter, by title (their sessions with them)."""
    etab = etablissement(user, etablissement_id)
    return _offres([etab.id])


def _offres(etablissement_ids) -> list[OffreCpf]:
    from sqlalchemy.orm import selectinload

    if not etablissement_ids:
        return []
    return list(
        db.session.execute(
            select(OffreCpf)
            .where(OffreCpf.etablissement_id.in_(etablissement_ids))
            .options(selectinload(OffreCpf.sessions), selectinload(OffreCpf.etablissement))
            .order_by(OffreCpf.etablissement_id, OffreCpf.intitule_formation, OffreCpf.id)
        ).scalars()
    )


def certifications_possibles(etab: Etablissement) -> dict[str, str]:
    """The certifications the establishment may describe an offer for today (habilitated)."""
    return {code: label for code, label in CERTIFICATIONS.items() if habilitations.refus_exercice(etab, code) is None}


# --- Rules -----------------------------------------------------------------------------------------------
def _sessions_saisies(values) -> tuple[list[dict], Errors]:
    """The sessions of the input: a list of dicts (the API) or the form's fields `sessions.<n>.<champ>`; a form's
    row left blank is no session."""
    errors = Errors()
    raw = values.get("sessions")
    if raw is None:
        numbers = sorted(
            {
                int(key.split(".")[1])
                for key in values
                if isinstance(key, str) and key.startswith("sessions.") and key.count(".") == 2
                if key.split(".")[1].isdigit() and len(key.split(".")[1]) <= 3
            }
        )
        raw = [{name: values.get(f"sessions.{n}.{name}") for name in CHAMPS_SESSION} for n in numbers]
        raw = [row for row in raw if not all(blank(v) for v in row.values())]
    if not isinstance(raw, (list, tuple)):
        errors.add("sessions", "Une liste de sessions est attendue.")
        return [], errors
    if len(raw) > domaine.SESSIONS_MAX:
        errors.add("sessions", f"Une offre compte au plus {domaine.SESSIONS_MAX} sessions.")
        return [], errors
    if any(not isinstance(row, dict) for row in raw):
        errors.add("sessions", "Chaque session est un objet {debut, fin, adresse, code_postal, ville}.")
        return [], errors
    return list(raw), errors


def _session(i: int, row: dict, errors: Errors) -> dict | None:
    prefix = f"sessions.{i}."
    shape = shape_errors(SESSION_INPUT, row)
    for field, messages in shape.items():
        for message in messages:
            errors.add(prefix + field, message)
    data = {} if shape else fresh(SESSION_INPUT).load(row)
    for name in CHAMPS_SESSION:
        if prefix + name not in errors and blank(data.get(name) if data else row.get(name)):
            errors.add(prefix + name, "Ce champ est obligatoire.")
    if not data:
        return None
    code_postal = data.get("code_postal")
    if code_postal and not (len(code_postal) == 5 and code_postal.isascii() and code_postal.isdigit()):
        errors.add(prefix + "code_postal", "Le code postal compte 5 chiffres.")
    debut, fin = data.get("debut"), data.get("fin")
    dernier = datetime.date.today().replace(year=datetime.date.today().year + ANNEES_A_L_AVANCE)
    for name, jour in (("debut", debut), ("fin", fin)):
        if jour is not None and not PREMIER_JOUR <= jour <= dernier:
            errors.add(
                prefix + name,
                f"La date doit être comprise entre le {date_fr(PREMIER_JOUR)} et le {date_fr(dernier)}.",
            )
    if debut and fin and fin < debut:
        errors.add(prefix + "fin", "La date de fin doit être postérieure ou égale à la date de début.")
    if any(key.startswith(prefix) for key in errors):
        return None
    return {name: data[name] for name in CHAMPS_SESSION}


def verifier(etab: Etablissement, values: dict, offre: OffreCpf | None = None) -> tuple[dict, list[dict]]:
    """The offer as typed (form or API body), checked: its fields and sessions, or ValidationFailed with every
    French message at once (a session's fields are named `sessions.<n>.<champ>`, from 0)."""
    errors = Errors()
    data = {name: values.get(name) for name in CHAMPS}
    for field, messages in shape_errors(OFFRE_INPUT, data).items():
        for message in messages:
            errors.add(field, message)
    clean = {} if errors else fresh(OFFRE_INPUT).load(data)
    for name in CHAMPS:
        if name not in errors and blank(clean.get(name) if clean else data.get(name)):
            errors.add(name, "Ce champ est obligatoire.")
    certification = clean.get("certification")
    if certification and "certification" not in errors:
        if certification not in domaine.CODES_RS:
            errors.add("certification", "Choisissez la certification : CléA (RS2203) ou CléA numérique (RS3936).")
        else:
            refus = habilitations.refus_exercice(etab, certification)
            if refus:
                errors.add(
                    "certification", f"{refus} Une offre CPF ne peut être décrite que pour une habilitation en cours."
                )
    parcours = clean.get("type_parcours")
    if parcours and "type_parcours" not in errors and parcours not in domaine.TYPES_PARCOURS:
        errors.add(
            "type_parcours",
            "Choisissez le type de parcours : "
            + ", ".join(domaine.libelle_parcours(c) for c in domaine.TYPES_PARCOURS)
            + ".",
        )
    numero = clean.get("numero_interne")
    if numero and "numero_interne" not in errors:
        query = select(OffreCpf.id).where(OffreCpf.etablissement_id == etab.id, OffreCpf.numero_interne == numero)
        if offre is not None:
            query = query.where(OffreCpf.id != offre.id)
        if db.session.execute(query).first():
            errors.add(
                "numero_interne",
                f"L'identifiant interne « {numero} » est déjà celui d'une autre offre de cet établissement.",
            )
    rows, session_errors = _sessions_saisies(values)
    errors.update(session_errors)
    sessions = [s for i, row in enumerate(rows) if (s := _session(i, row, errors)) is not None]
    if not rows and "sessions" not in errors:
        errors.add("sessions", "Ajoutez au moins une session (dates et lieu).")
    if errors:
        raise ValidationFailed(errors)
    return {name: clean[name] for name in CHAMPS}, sessions


# --- Writes ----------------------------------------------------------------------------------------------
def _appliquer(offre: OffreCpf, data: dict, sessions: list[dict]) -> None:
    for name, value in data.items():
        setattr(offre, name, value)
    offre.sessions = [SessionOffreCpf(**s) for s in sessions]
    offre.updated_at = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def _resume(sessions) -> str:
    return f"{len(sessions)} session(s)"


def creer(user, etablissement_id, values: dict) -> OffreCpf:
    etab = perimeter.get_visible(Etablissement, etablissement_id, user)
    _ecrire(user)
    data, sessions = verifier(etab, values)
    audit.label(f"Ajout de l'offre CPF « {data['intitule_formation']} » ({_resume(sessions)})")
    offre = OffreCpf(etablissement_id=etab.id)
    offre.etablissement = etab
    _appliquer(offre, data, sessions)
    db.session.add(offre)
    db.session.commit()
    return offre


def modifier(user, pk, values: dict, version=None) -> OffreCpf:
    offre = perimeter.get_visible(OffreCpf, pk, user)
    _ecrire(user)
    ecritures.verifier_version(offre, _version(version))
    data, sessions = verifier(offre.etablissement, values, offre)
    audit.label(f"Modification de l'offre CPF « {data['intitule_formation']} » ({_resume(sessions)})")
    _appliquer(offre, data, sessions)
    db.session.commit()
    return offre


def supprimer(user, pk) -> None:
    offre = perimeter.get_visible(OffreCpf, pk, user)
    _ecrire(user)
    audit.label(f"Suppression de l'offre CPF « {offre.intitule_formation} »")
    db.session.delete(offre)
    db.session.commit()


def _version(value):
    """The version the caller saved on (a number or its digits), None when not said."""
    if value in (None, ""):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() and len(value.strip()) < 10:
        return int(value.strip())
    raise ValidationFailed({"version": ["La version doit être un nombre entier."]})


# --- Exports --------------------------------------------------------------------------------------------
def a_exporter(user, etablissement_id, lheo: bool = False) -> tuple[Etablissement, list[OffreCpf]]:
    """The establishment and its offers for the LHÉO or .xlsx export; refused in French when there is nothing
    to export or, for LHÉO, when the organisation's numéro de déclaration d'activité (which LHÉO requires) is
    missing."""
    etab = etablissement(user, etablissement_id)
    offres = _offres([etab.id])
    if not offres:
        raise DomainError("Cet établissement n'a encore décrit aucune offre de formation CPF : rien à exporter.")
    numero = etab.organisme.numero_declaration_activite or ""
    if lheo and not (len(numero) == 11 and numero.isdigit()):
        raise DomainError(
            "L'export LHÉO demande le numéro de déclaration d'activité de l'organisme (11 chiffres) : "
            "complétez la fiche de l'organisme."
        )
    return etab, offres


# --- The public directory --------------------------------------------------------------------------------
def offres_publiques(etablissement_ids, jour: datetime.date | None = None) -> dict[int, list[OffreCpf]]:
    """The offers the directory shows next to each establishment (one query with their sessions): those of a
    certification the establishment is habilitated for today. Their sessions still to come are the ones shown."""
    jour = jour or datetime.date.today()
    result: dict[int, list[OffreCpf]] = {}
    offres = _offres(list(etablissement_ids))
    if not offres:
        return result
    habilitees: set[tuple[int, str]] = set()
    for code in domaine.CODES_RS:
        ids = db.session.execute(
            select(Etablissement.id).where(
                Etablissement.id.in_({o.etablissement_id for o in offres}),
                habilitations.habilitee_clause(jour, code),
            )
        ).scalars()
        habilitees.update((etab_id, code) for etab_id in ids)
    for offre in offres:
        if (offre.etablissement_id, offre.certification) in habilitees:
            result.setdefault(offre.etablissement_id, []).append(offre)
    return result


def sessions_a_venir(offre: OffreCpf, jour: datetime.date | None = None) -> list[SessionOffreCpf]:
    jour = jour or datetime.date.today()
    return [s for s in offre.sessions if s.fin >= jour]
