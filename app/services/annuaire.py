"""« Annuaire des organismes habilités » (domain.md §10): the public directory, read without login.

Only public fields ever leave this module: the columns are chosen one by one below (never the referent
contact, the SIRET, users or candidate files). Which establishment is habilitated today is decided by the one
rule, `habilitations.habilitee_clause()`.
"""

import datetime
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlalchemy import case, func, select, tuple_

from app.domain.errors import ValidationFailed
from app.domain.regions import REGIONS
from app.extensions import db
from app.formatting import date_fr
from app.models import DemandeHabilitation, Etablissement, Organisme
from app.models.habilitations import demande_etablissement
from app.services import choix, habilitations, offres_cpf

PAGE_SIZE = 50
TEXTE_MAX = 200  # no name or city searched is longer
EXPORT_LOT = 500
_CONTROLE = re.compile(r"[\x00-\x1f\x7f]")
REGION_INCONNUE = "Cette région n'existe pas : choisissez une région de la liste."

# The public columns, and nothing else.
COLONNES = (
    Etablissement.id,
    Etablissement.nom,
    Organisme.nom.label("organisme"),
    Etablissement.public_prenom,
    Etablissement.public_nom,
    Etablissement.public_email,
    Etablissement.public_telephone,
    Etablissement.adresse,
    Etablissement.complement_adresse,
    Etablissement.code_postal,
    Etablissement.ville,
    Etablissement.region,
    Etablissement.site_web,
)

ENTETES = [
    "Etablissement",
    "Organisme",
    "Contact public",
    "E-mail",
    "Téléphone",
    "Adresse",
    "Complément d'adresse",
    "Code postal",
    "Ville",
    "Région",
    "Site web",
    "Certification(s) habilitée(s)",
    "Fin d'habilitation",
]


@dataclass
class Ligne:
    id: int
    nom: str
    organisme: str
    public_prenom: str
    public_nom: str
    public_email: str
    public_telephone: str
    adresse: str
    complement_adresse: str | None
    code_postal: str
    ville: str
    region: str
    site_web: str | None
    certifications: list[str] = field(default_factory=list)
    fin: datetime.date | None = None
    offres: list["OffrePublique"] = field(default_factory=list)

    @property
    def contact(self) -> str:
        return " ".join(x for x in (self.public_prenom, self.public_nom) if x)

    @property
    def site_web_lien(self) -> str | None:
        """The site as a link only when it is a plain http(s) address (never javascript:, data:…)."""
        url = (self.site_web or "").strip()
        try:
            parts = urlsplit(url)
        except ValueError:
            return None
        return url if parts.scheme.lower() in ("http", "https") and parts.netloc else None

    @property
    def certifications_label(self) -> str:
        return ", ".join(self.certifications)

    def valeurs(self) -> list:
        """One row of the exports, in the order of ENTETES."""
        return [
            self.nom,
            self.organisme,
            self.contact,
            self.public_email,
            self.public_telephone,
            self.adresse,
            self.complement_adresse or "",
            self.code_postal,
            self.ville,
            self.region,
            self.site_web or "",
            self.certifications_label,
            self.fin,
        ]


@dataclass
class OffrePublique:
    """An offer of the CPF catalogue as the directory shows it (issue 18 §6): public fields only."""

    intitule: str
    certification: str
    code_rs: str
    parcours: str
    points_forts: str
    sessions: list[str]


def _offres(lignes: list[Ligne]) -> None:
    """The establishments' CPF offers for a certification they are habilitated for, with their sessions to
    come (« du 05/01/2027 au 20/03/2027 à Paris »): one query for the page's rows."""
    par_id = {ligne.id: ligne for ligne in lignes}
    jour = datetime.date.today()
    for etab_id, offres in offres_cpf.offres_publiques(par_id, jour).items():
        par_id[etab_id].offres = [
            OffrePublique(
                o.intitule_formation,
                o.certification_label,
                o.code_rs,
                o.parcours_label,
                o.points_forts,
                [
                    f"du {date_fr(s.debut)} au {date_fr(s.fin)} à {s.ville}"
                    for s in offres_cpf.sessions_a_venir(o, jour)
                ],
            )
            for o in offres
        ]


@dataclass
class Page:
    lignes: list[Ligne]
    total: int
    page: int
    pages: int


# --- Filters ---------------------------------------------------------------------------------------
def lire_filtres(source) -> tuple[dict, dict]:
    """The région and text filters from a query string, and French errors (an unknown région)."""
    region = (source.get("region") or "").strip()
    # Control characters (NUL…) are never sent to the database: PostgreSQL refuses NUL in a text.
    texte = " ".join(_CONTROLE.sub(" ", source.get("q") or "").split())[:TEXTE_MAX]
    errors = {}
    if region and region not in REGIONS:
        errors["region"] = [REGION_INCONNUE]
        region = ""
    return {"region": region, "q": texte}, errors


def verifier_filtres(source) -> dict:
    """Same as lire_filtres, for the exports: an unknown région is refused (400 for the view)."""
    filtres, errors = lire_filtres(source)
    if errors:
        raise ValidationFailed(errors)
    return filtres


def lire_page(value) -> int:
    """A page number from the query string: anything that is not a positive number is page 1 (clamped to the
    last page later)."""
    value = (value or "").strip()
    if value.isascii() and value.isdigit():
        return max(1, int(value)) if len(value) <= 9 else 10**9
    return 1


# --- Accent- and case-insensitive « contient » (app/services/choix.py) -------------------------------
def _recherche(texte: str) -> list:
    """Every word typed appears in the establishment's name, its organisation's name or its city."""
    return choix.mots_contenus(Etablissement.nom + " | " + Organisme.nom + " | " + Etablissement.ville, texte)


# --- Queries ---------------------------------------------------------------------------------------
def _where(region: str, texte: str) -> list:
    where = [Etablissement.actif.is_(True), Organisme.actif.is_(True), habilitations.habilitee_clause()]
    if region:
        where.append(Etablissement.region == region)
    if texte:
        where += _recherche(texte)
    return where


# Régions in the order of the list (alphabetical in French: « Île-de-France » among the I, also on SQLite).
_ORDRE_REGION = case({r: i for i, r in enumerate(REGIONS)}, value=Etablissement.region, else_=len(REGIONS))


def _rang_region(region: str) -> int:
    return REGIONS.index(region) if region in REGIONS else len(REGIONS)


def annuaire_query(region: str = "", texte: str = ""):
    """The directory's rows (public columns only), active and habilitated today, ordered by région then name."""
    return (
        select(*COLONNES)
        .join(Organisme, Organisme.id == Etablissement.organisme_id)
        .where(*_where(region, texte))
        .order_by(_ORDRE_REGION, Etablissement.nom, Etablissement.id)
    )


def compter(region: str = "", texte: str = "") -> int:
    return (
        db.session.scalar(
            select(func.count(Etablissement.id))
            .join(Organisme, Organisme.id == Etablissement.organisme_id)
            .where(*_where(region, texte))
        )
        or 0
    )


def _completer(rows) -> list[Ligne]:
    """Rows → Ligne, with the certifications and end date of the habilitations covering today: one query for
    all the rows (no query per establishment)."""
    lignes = [Ligne(*row) for row in rows]
    if not lignes:
        return lignes
    par_id = {ligne.id: ligne for ligne in lignes}
    couvrantes = db.session.execute(
        select(
            demande_etablissement.c.etablissement_id, DemandeHabilitation.certification, DemandeHabilitation.date_fin
        )
        .join(DemandeHabilitation, DemandeHabilitation.id == demande_etablissement.c.demande_id)
        .where(demande_etablissement.c.etablissement_id.in_(par_id), habilitations.couvre_clause())
    )
    codes: dict[int, set] = {}
    for etab_id, certification, fin in couvrantes:
        ligne = par_id[etab_id]
        codes.setdefault(etab_id, set()).add(certification)
        if ligne.fin is None or fin > ligne.fin:
            ligne.fin = fin
    ordre = list(DemandeHabilitation.CERTIFICATIONS)
    for etab_id, found in codes.items():
        rangees = sorted(found, key=lambda c: ordre.index(c) if c in ordre else len(ordre))
        par_id[etab_id].certifications = [DemandeHabilitation.CERTIFICATIONS.get(c, c) for c in rangees]
    return lignes


def page(region: str = "", texte: str = "", numero: int = 1, page_size: int = PAGE_SIZE) -> Page:
    """One page of the directory: a count, the page's rows, their habilitations and their CPF offers (a few
    queries, none per row)."""
    total = compter(region, texte)
    pages = max(1, -(-total // page_size))
    numero = min(max(1, numero), pages)
    rows = db.session.execute(annuaire_query(region, texte).offset((numero - 1) * page_size).limit(page_size))
    lignes = _completer(rows.all())
    _offres(lignes)
    return Page(lignes, total, numero, pages)


def lignes(region: str = "", texte: str = ""):
    """Every row of the directory, for the exports, read by batches (two queries per batch, never the whole
    directory in memory). Batches follow the order of the page (région, name, id) from the last row read."""
    query = annuaire_query(region, texte)
    dernier = None
    while True:
        lot_query = query
        if dernier is not None:
            lot_query = query.where(tuple_(_ORDRE_REGION, Etablissement.nom, Etablissement.id) > tuple_(*dernier))
        lot = _completer(db.session.execute(lot_query.limit(EXPORT_LOT)).all())
        yield from lot
        if len(lot) < EXPORT_LOT:
            return
        dernier = (_rang_region(lot[-1].region), lot[-1].nom, lot[-1].id)


# --- Exports ---------------------------------------------------------------------------------------
_PHONE = re.compile(r"^\+?[\d\s.()/-]+$")


def _texte_sur(value):
    """A text a spreadsheet would take for a formula (=, +, -, @…) is prefixed with an apostrophe; a phone
    number such as +33 1 23 45 67 89 is left as it is."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") and not _PHONE.match(value):
        return "'" + value
    return value


def lignes_xlsx(region: str = "", texte: str = ""):
    """Rows of the .xlsx (app/exports/xlsx.py writes a text starting with « = » as text, never a formula)."""
    for ligne in lignes(region, texte):
        yield ligne.valeurs()


def lignes_csv(region: str = "", texte: str = ""):
    """Rows of the CSV: dates jj/mm/aaaa, no text a spreadsheet would run as a formula."""
    for ligne in lignes(region, texte):
        values = ligne.valeurs()
        values[-1] = date_fr(values[-1])
        yield [_texte_sur(v) for v in values]
