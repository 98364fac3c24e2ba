"""Redevances (seed 001 annex 3, domain.md §10): what Certif Pro invoices each organisation for a quarter.

Three kinds of line, each priced with the barème in force on the event's date for its certification:
- « Frais d'instruction »: every habilitation request made in the quarter, whatever its outcome;
- « Frais de gestion »: every active establishment of a validated habilitation, on each anniversary of the
  habilitation (date_debut, +1 year, … strictly before date_fin) falling in the quarter;
- « Redevance par certificat délivré »: every certificate delivered in the quarter.

Built for national volume: certificates are counted with one GROUP BY, detail lines are streamed; nothing is
queried per organisation or per row. Certif Pro sees every organisation's fees (the views and the API check the
right); an organisation's or a network's administrator its perimeter's (`releve_du_perimetre`, the right and the
perimeter checked here).
"""

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from itertools import groupby

from sqlalchemy import Select, extract, func, or_, select

from app.domain import access
from app.domain.calendrier import meme_jour
from app.domain.errors import Forbidden, ValidationFailed
from app.extensions import db
from app.models import BaremeRedevance, Candidature, Certificat, DemandeHabilitation, Etablissement, Organisme
from app.models.habilitations import demande_etablissement
from app.models.referentiels import CERTIFICATIONS
from app.schemas import Input, Whole, fresh, shape_errors
from app.security import perimeter
from app.services import ecritures
from app.services.validation import Errors, blank

ANNEE_MIN = 2020  # the fees are due from 25 February 2020 (annex 3)
CENTIMES = Decimal("0.01")
ZERO = Decimal("0.00")

INSTRUCTION, GESTION, CERTIFICAT = "instruction", "gestion", "certificat"
TYPES = {
    INSTRUCTION: "Frais d'instruction",
    GESTION: "Frais de gestion",
    CERTIFICAT: "Redevance par certificat délivré",
}
TRIMESTRES = {
    1: "1er trimestre (janvier – mars)",
    2: "2e trimestre (avril – juin)",
    3: "3e trimestre (juillet – septembre)",
    4: "4e trimestre (octobre – décembre)",
}


# --- Input ----------------------------------------------------------------------------------------------
def annee_max() -> int:
    return datetime.date.today().year + 1


def _entier(value, minimum: int, maximum: int) -> int | None:
    """An integer in [minimum, maximum] from an int or its digits, else None (no float, no bool, no sign)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value.isascii() or not value.isdigit() or len(value) > 6:
            return None
        value = int(value)
    if not isinstance(value, int):
        return None
    return value if minimum <= value <= maximum else None


# The input's shape: a year of the barèmes' span and a quarter.
PERIODE_INPUT = Input.from_dict(
    {
        "annee": Whole(
            ANNEE_MIN, annee_max, invalid=f"L'année doit être un nombre entier entre {ANNEE_MIN} et l'année prochaine."
        ),
        "trimestre": Whole(1, 4, invalid="Le trimestre doit être un nombre entier entre 1 et 4."),
    },
    name="PeriodeRedevances",
)()


def verifier_periode(annee, trimestre_) -> tuple[int, int]:
    """The quarter as integers, or ValidationFailed with a French message per wrong field."""
    errors = shape_errors(PERIODE_INPUT, {"annee": annee, "trimestre": trimestre_})
    if "annee" in errors:  # the message names the year itself
        errors["annee"] = [f"L'année doit être un nombre entier entre {ANNEE_MIN} et {annee_max()}."]
    if errors:
        raise ValidationFailed(errors)
    periode = fresh(PERIODE_INPUT).load({"annee": annee, "trimestre": trimestre_})
    return periode["annee"], periode["trimestre"]


def trimestre_courant(jour: datetime.date | None = None) -> tuple[int, int]:
    jour = jour or datetime.date.today()
    return jour.year, (jour.month - 1) // 3 + 1


def trimestre(annee, trimestre_) -> tuple[datetime.date, datetime.date]:
    """First and last day of the quarter (checked input)."""
    annee, trimestre_ = verifier_periode(annee, trimestre_)
    debut = datetime.date(annee, 3 * trimestre_ - 2, 1)
    suivant = datetime.date(annee + 1, 1, 1) if trimestre_ == 4 else datetime.date(annee, 3 * trimestre_ + 1, 1)
    return debut, suivant - datetime.timedelta(days=1)


def libelle_trimestre(annee: int, trimestre_: int) -> str:
    return f"{TRIMESTRES[trimestre_]} {annee}"


# --- Barème ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Tarif:
    certification: str
    annee: int
    instruction: Decimal
    gestion: Decimal
    certificat: Decimal

    def montant(self, type_: str) -> Decimal:
        return {INSTRUCTION: self.instruction, GESTION: self.gestion, CERTIFICAT: self.certificat}[type_]


class Baremes:
    """Every barème, read once (a few rows): the one in force on a day is the latest year ≤ that day's year."""

    def __init__(self):
        rows = db.session.execute(select(BaremeRedevance).order_by(BaremeRedevance.annee.desc())).scalars()
        self.par_certification: dict[str, list[Tarif]] = {}
        for b in rows:
            self.par_certification.setdefault(b.certification, []).append(
                Tarif(
                    b.certification,
                    b.annee,
                    Decimal(b.frais_instruction).quantize(CENTIMES),
                    Decimal(b.frais_gestion_site).quantize(CENTIMES),
                    Decimal(b.redevance_certificat).quantize(CENTIMES),
                )
            )

    def en_vigueur(self, certification: str, jour: datetime.date) -> Tarif | None:
        for tarif in self.par_certification.get(certification, ()):
            if tarif.annee <= jour.year:
                return tarif
        return None

    def montant(self, certification: str, jour: datetime.date, type_: str) -> Decimal:
        # No barème for that certification and date: nothing can be invoiced (shown as 0).
        tarif = self.en_vigueur(certification, jour)
        return tarif.montant(type_) if tarif else ZERO


def bareme(certification: str, jour: datetime.date) -> Tarif | None:
    """The barème in force on `jour` for a certification, or None."""
    return Baremes().en_vigueur(certification, jour)


def verifier_bareme(values: dict, current_id: int | None = None) -> tuple[dict, Errors]:
    """A barème as typed in the form (strings): clean values and French errors per field."""
    errors = Errors()
    clean = {}
    certification = values.get("certification")
    if certification not in CERTIFICATIONS:
        errors.add("certification", "Choisissez la certification : CléA ou CléA numérique.")
    else:
        clean["certification"] = certification
    if blank(values.get("annee")):
        errors.add("annee", "Ce champ est obligatoire.")
    else:
        annee = _entier(values.get("annee"), ANNEE_MIN, 2100)
        if annee is None:
            errors.add("annee", f"L'année d'application doit être un nombre entier entre {ANNEE_MIN} et 2100.")
        else:
            clean["annee"] = annee
    for name in ("frais_instruction", "frais_gestion_site", "redevance_certificat"):
        montant, message = _montant(values.get(name))
        errors.add(name, message)
        if message is None:
            clean[name] = montant
    if "certification" in clean and "annee" in clean:
        query = select(BaremeRedevance.id).where(
            BaremeRedevance.certification == clean["certification"], BaremeRedevance.annee == clean["annee"]
        )
        if current_id is not None:
            query = query.where(BaremeRedevance.id != current_id)
        if db.session.execute(query).first():
            errors.add(
                "annee",
                f"Un barème {CERTIFICATIONS[clean['certification']]} existe déjà pour "
                f"{clean['annee']} : modifiez-le plutôt.",
            )
    return clean, errors


def _montant(value) -> tuple[Decimal | None, str | None]:
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        text = str(value)
    elif isinstance(value, str):
        # French input: « 1 234,50 », « 12,5 », « 30 ».
        text = value.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace(",", ".")
    else:
        text = ""
    if not text:
        return None, "Ce champ est obligatoire."
    try:
        montant = Decimal(text)
    except InvalidOperation:
        return None, "Saisissez un montant en euros, par exemple 30 ou 12,50."
    if not montant.is_finite():
        return None, "Saisissez un montant en euros, par exemple 30 ou 12,50."
    if montant < 0:
        return None, "Le montant doit être positif ou nul."
    if montant != montant.quantize(CENTIMES):
        return None, "Le montant ne peut avoir que deux décimales (centimes)."
    if montant >= Decimal("100000000"):
        return None, "Le montant doit être inférieur à 100 000 000 €."
    return montant.quantize(CENTIMES), None


# --- Lines ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Ligne:
    organisme_id: int
    organisme: str
    siren: str
    type: str
    date: datetime.date
    reference: str
    certification: str
    montant: Decimal

    @property
    def type_label(self) -> str:
        return TYPES[self.type]

    @property
    def certification_label(self) -> str:
        return CERTIFICATIONS.get(self.certification, self.certification)


# Which organisations a statement covers: None (every one), an id, or a SELECT of ids (a perimeter's).
Organismes = int | Select | None


def _parmi(query, column, organismes: Organismes):
    """`organismes`: None (every organisation), an id, or a SELECT of ids (a perimeter's organisations)."""
    if organismes is None:
        return query
    if isinstance(organismes, int):
        return query.where(column == organismes)
    return query.where(column.in_(organismes))


def _organismes(organisme_id) -> list[tuple[int, str, str]]:
    """(id, nom, siren) in the statement's order; ~1,500 short rows nationally, read in one query."""
    query = select(Organisme.id, Organisme.nom, Organisme.siren).order_by(Organisme.nom, Organisme.id)
    query = _parmi(query, Organisme.id, organisme_id)
    return [(row[0], row[1], row[2]) for row in db.session.execute(query)]


def _demandes(debut, fin, organisme_id):
    """(organisme_id, demande id, date_demande, certification) of the requests made in the quarter."""
    query = (
        select(
            DemandeHabilitation.organisme_id,
            DemandeHabilitation.id,
            DemandeHabilitation.date_demande,
            DemandeHabilitation.certification,
        )
        .where(DemandeHabilitation.date_demande >= debut, DemandeHabilitation.date_demande <= fin)
        .order_by(DemandeHabilitation.date_demande, DemandeHabilitation.id)
    )
    query = _parmi(query, DemandeHabilitation.organisme_id, organisme_id)
    return db.session.execute(query).all()


def _sites(debut, fin, organisme_id):
    """(organisme_id, anniversary, certification, etablissement nom, siret) of the active establishments of
    validated habilitations whose anniversary falls in the quarter; one per establishment, certification and
    day (two habilitations covering the same site on the same day are one fee)."""
    query = (
        select(
            DemandeHabilitation.organisme_id,
            DemandeHabilitation.certification,
            DemandeHabilitation.date_debut,
            DemandeHabilitation.date_fin,
            Etablissement.id,
            Etablissement.nom,
            Etablissement.siret,
        )
        .join(demande_etablissement, demande_etablissement.c.demande_id == DemandeHabilitation.id)
        .join(Etablissement, Etablissement.id == demande_etablissement.c.etablissement_id)
        .where(
            DemandeHabilitation.etat == DemandeHabilitation.VALIDEE,
            DemandeHabilitation.date_debut.isnot(None),
            DemandeHabilitation.date_debut <= fin,
            or_(DemandeHabilitation.date_fin.is_(None), DemandeHabilitation.date_fin > debut),
            Etablissement.actif.is_(True),
            # The anniversary keeps the month of date_debut: only habilitations started in these months.
            extract("month", DemandeHabilitation.date_debut).between(debut.month, fin.month),
        )
    )
    query = _parmi(query, DemandeHabilitation.organisme_id, organisme_id)
    seen, sites = set(), []
    for org_id, certification, date_debut, date_fin, etab_id, nom, siret in db.session.execute(query):
        if date_debut is None:  # a validated habilitation always has its dates
            continue
        jour = meme_jour(date_debut, debut.year)
        if not (debut <= jour <= fin and jour >= date_debut and (date_fin is None or jour < date_fin)):
            continue
        if (etab_id, certification, jour) in seen:
            continue
        seen.add((etab_id, certification, jour))
        sites.append((org_id, jour, certification, nom, siret))
    sites.sort(key=lambda s: (s[1], s[3], s[4]))
    return sites


def _bornes(debut, fin):
    """Certificates carry a timestamp: the quarter is [debut 00:00, day after fin 00:00)."""
    return (
        datetime.datetime.combine(debut, datetime.time()),
        datetime.datetime.combine(fin + datetime.timedelta(days=1), datetime.time()),
    )


def _certificats_comptes(debut, fin, organisme_id):
    """(organisme_id, certification, count): one GROUP BY for the whole country."""
    start, end = _bornes(debut, fin)
    query = (
        select(Candidature.organisme_id, Candidature.certification, func.count(Certificat.id))
        .join(Candidature, Candidature.id == Certificat.candidature_id)
        .where(Certificat.created_at >= start, Certificat.created_at < end)
        .group_by(Candidature.organisme_id, Candidature.certification)
    )
    query = _parmi(query, Candidature.organisme_id, organisme_id)
    return db.session.execute(query).all()


def _certificats(debut, fin, organisme_id):
    """Every certificate of the quarter, streamed in the statement's order (organisation name, then date)."""
    start, end = _bornes(debut, fin)
    query = (
        select(Candidature.organisme_id, Certificat.created_at, Certificat.numero, Candidature.certification)
        .join(Candidature, Candidature.id == Certificat.candidature_id)
        .join(Organisme, Organisme.id == Candidature.organisme_id)
        .where(Certificat.created_at >= start, Certificat.created_at < end)
        .order_by(Organisme.nom, Organisme.id, Certificat.created_at, Certificat.numero)
        .execution_options(yield_per=2000)
    )
    query = _parmi(query, Candidature.organisme_id, organisme_id)
    return db.session.execute(query)


def lignes(annee, trimestre_, organisme_id: "Organismes" = None) -> Iterator[Ligne]:
    """The detail lines of the quarter, organisation by organisation (by name), then by kind and date.
    Input is checked at the call; the lines come as they are read (certificates are streamed)."""
    debut, fin = trimestre(annee, trimestre_)
    return _lignes(debut, fin, organisme_id)


def _lignes(debut, fin, organisme_id):
    baremes = Baremes()
    organismes = _organismes(organisme_id)
    demandes: dict[int, list] = {}
    sites: dict[int, list] = {}
    for org_id, demande_id, jour, certification in _demandes(debut, fin, organisme_id):
        demandes.setdefault(org_id, []).append((jour, f"Demande n°{demande_id}", certification))
    for org_id, jour, certification, nom, siret in _sites(debut, fin, organisme_id):
        sites.setdefault(org_id, []).append((jour, f"{nom} (SIRET {siret})", certification))
    # The certificate stream has the organisations' order: walk both together.
    certificats = groupby(_certificats(debut, fin, organisme_id), key=lambda row: row[0])
    en_cours = next(certificats, None)
    for org_id, nom, siren in organismes:
        for type_, items in ((INSTRUCTION, demandes.get(org_id, ())), (GESTION, sites.get(org_id, ()))):
            for jour, reference, certification in items:
                yield Ligne(
                    org_id,
                    nom,
                    siren,
                    type_,
                    jour,
                    reference,
                    certification,
                    baremes.montant(certification, jour, type_),
                )
        if en_cours is not None and en_cours[0] == org_id:
            for _, created_at, numero, certification in en_cours[1]:
                jour = created_at.date()
                yield Ligne(
                    org_id,
                    nom,
                    siren,
                    CERTIFICAT,
                    jour,
                    numero,
                    certification,
                    baremes.montant(certification, jour, CERTIFICAT),
                )
            en_cours = next(certificats, None)


# --- Statement ------------------------------------------------------------------------------------------
@dataclass
class Compte:
    """One organisation's quarter (or the grand total when organisme_id is None)."""

    organisme_id: int | None
    nom: str
    siren: str = ""
    demandes: int = 0
    montant_demandes: Decimal = ZERO
    sites: int = 0
    montant_sites: Decimal = ZERO
    certificats: int = 0
    montant_certificats: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.montant_demandes + self.montant_sites + self.montant_certificats

    def ajouter(self, type_: str, nombre: int, montant: Decimal) -> None:
        if type_ == INSTRUCTION:
            self.demandes += nombre
            self.montant_demandes += montant
        elif type_ == GESTION:
            self.sites += nombre
            self.montant_sites += montant
        else:
            self.certificats += nombre
            self.montant_certificats += montant


@dataclass
class Releve:
    annee: int
    trimestre: int
    debut: datetime.date
    fin: datetime.date
    organismes: list[Compte] = field(default_factory=list)
    total: Compte = field(default_factory=lambda: Compte(None, "Total"))

    @property
    def libelle(self) -> str:
        return libelle_trimestre(self.annee, self.trimestre)


def releve(annee, trimestre_, organisme_id: "Organismes" = None, tous: bool = False) -> Releve:
    """Per organisation with something due in the quarter (`tous`: every organisation asked for, those owing
    nothing too): counts and amounts of each kind, total HT; and the grand total. Four queries whatever the
    number of organisations."""
    annee, trimestre_ = verifier_periode(annee, trimestre_)
    debut, fin = trimestre(annee, trimestre_)
    baremes = Baremes()
    comptes: dict[int, Compte] = {}

    def compte(org_id) -> Compte:
        return comptes.setdefault(org_id, Compte(org_id, ""))

    for org_id, _, jour, certification in _demandes(debut, fin, organisme_id):
        compte(org_id).ajouter(INSTRUCTION, 1, baremes.montant(certification, jour, INSTRUCTION))
    for org_id, jour, certification, _, _ in _sites(debut, fin, organisme_id):
        compte(org_id).ajouter(GESTION, 1, baremes.montant(certification, jour, GESTION))
    # A quarter lies inside one calendar year and barèmes start on 1 January: one rate per certification
    # for every certificate of the quarter.
    for org_id, certification, nombre in _certificats_comptes(debut, fin, organisme_id):
        compte(org_id).ajouter(CERTIFICAT, nombre, baremes.montant(certification, debut, CERTIFICAT) * nombre)

    result = Releve(annee, trimestre_, debut, fin)
    for org_id, nom, siren in _organismes(organisme_id):
        if org_id not in comptes and not tous:
            continue
        c = compte(org_id)
        c.nom, c.siren = nom, siren
        result.organismes.append(c)
        for type_, nombre, montant in (
            (INSTRUCTION, c.demandes, c.montant_demandes),
            (GESTION, c.sites, c.montant_sites),
            (CERTIFICAT, c.certificats, c.montant_certificats),
        ):
            result.total.ajouter(type_, nombre, montant)
    return result


def organisme(organisme_id) -> Organisme | None:
    """The organisation of a detail page, or None (unknown id, or an id the database cannot hold)."""
    from app.security.perimeter import parse_pk

    pk = parse_pk(organisme_id)
    return db.session.get(Organisme, pk) if pk is not None else None


def montant_json(value: Decimal) -> str:
    """Amounts travel as exact strings with two decimals ("1234.50")."""
    return str(Decimal(value).quantize(CENTIMES))


def releve_json(r: Releve) -> dict:
    return {
        "annee": r.annee,
        "trimestre": r.trimestre,
        "debut": r.debut.isoformat(),
        "fin": r.fin.isoformat(),
        "organismes": [
            {
                "organisme": c.organisme_id,
                "nom": c.nom,
                "siren": c.siren,
                "demandes": c.demandes,
                "montant_demandes": montant_json(c.montant_demandes),
                "sites": c.sites,
                "montant_sites": montant_json(c.montant_sites),
                "certificats": c.certificats,
                "montant_certificats": montant_json(c.montant_certificats),
                "total": montant_json(c.total),
            }
            for c in r.organismes
        ],
        "total": montant_json(r.total.total),
    }


def ligne_json(x: Ligne) -> dict:
    return {
        "type": x.type,
        "libelle": x.type_label,
        "date": x.date.isoformat(),
        "reference": x.reference,
        "certification": x.certification,
        "montant": montant_json(x.montant),
    }


# --- The organisation's own statement (issue 18 §5) -----------------------------------------------------------
# An organisation's administrator sees its organisation's quarter, a network's administrator those of its
# network's organisations: the same figures and lines as Certif Pro's statement, limited to the perimeter.
def _organismes_du_perimetre(user) -> Select:
    if not access.may(user, "voir_ses_redevances"):
        raise Forbidden("Votre profil ne permet pas de consulter les redevances.")
    return perimeter.restrict(select(Organisme.id), Organisme, user)


def releve_du_perimetre(user, annee, trimestre_) -> Releve:
    """The statement of every organisation of the user's perimeter, those owing nothing too."""
    return releve(annee, trimestre_, _organismes_du_perimetre(user), tous=True)


def lignes_du_perimetre(user, annee, trimestre_) -> Iterator[Ligne]:
    return lignes(annee, trimestre_, _organismes_du_perimetre(user))


def organisme_du_perimetre(user, pk) -> Organisme:
    """One organisation of the perimeter (NotFound otherwise, before the right is asked: perimeter first)."""
    org = perimeter.get_visible(Organisme, pk, user)
    _organismes_du_perimetre(user)
    return org


@ecritures.regle(BaremeRedevance)
def _regles_de_bareme(user, bareme: BaremeRedevance, before: dict | None) -> None:
    """Every write of a barème goes through `verifier_bareme`, whoever writes it."""
    _, errors = verifier_bareme(
        {
            name: getattr(bareme, name)
            for name in ("certification", "annee", "frais_instruction", "frais_gestion_site", "redevance_certificat")
        },
        bareme.id if before is not None else None,
    )
    if errors:
        raise ValidationFailed(errors)
