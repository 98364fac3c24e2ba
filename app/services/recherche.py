"""National search of candidate files (guide §15, domain.md §5): the magnifier of the navigation.

It searches every file of the platform, but a file outside the user's perimeter is shown with four columns
only (numéro, candidat, établissement, statut) and never opened (roles.md: the one exception to the
perimeter). So that the exception cannot be used to browse the country's files, a file outside the
perimeter is found only by its exact number, or by its name (whole words) together with the exact birth
date, and its birth place is compared exactly, never as a prefix (« m », « ma », « mar »… would spell it out).
Each search is journaled (RechercheNationale) and a user may run RECHERCHE_PAR_MINUTE of them a minute.
One query, on indexed columns where the criteria allow it, at most MAX_RESULTATS + 1 rows.
"""

import datetime
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import and_, case, delete, false, func, literal, or_, select

from app.domain import access, statuts
from app.domain.dates import parse_date
from app.extensions import db
from app.models import Candidature, Etablissement, RechercheNationale
from app.models.base import utcnow
from app.security import perimeter
from app.services import rattachements
from app.services.candidatures import sans_accents
from app.services.validation import Errors

MAX_RESULTATS = 50
CHAMPS = ("numero_dossier", "nom", "date_naissance", "pays_naissance", "code_postal_naissance", "ville_naissance")
LONGUEUR_MAX = 100
AUCUN_CRITERE = (
    "Saisissez au moins un critère de recherche (numéro de dossier, nom / prénom, date ou lieu de naissance)."
)
TROP_LARGE = "La recherche est trop large, veuillez préciser vos critères."
AUCUN_RESULTAT = "Aucun résultat correspondant à votre recherche"
TROP_DE_RECHERCHES = (
    "Vous avez lancé beaucoup de recherches en une minute : veuillez patienter une minute avant de réessayer."
)
LIBELLES = {
    "numero_dossier": "Numéro de dossier",
    "nom": "Nom / prénom",
    "date_naissance": "Date de naissance",
    "pays_naissance": "Pays de naissance",
    "code_postal_naissance": "Code postal de naissance",
    "ville_naissance": "Ville de naissance",
}


@dataclass
class Ligne:
    """One row of « RÉSULTAT DE RECHERCHE ». `id` is only used for the links the user is allowed to follow:
    opening the file (inside the perimeter) or asking for its transfer (outside)."""

    id: int
    numero_dossier: str
    candidat: str
    etablissement: str
    statut: str
    statut_label: str
    visible: bool
    rattachable: bool = False  # the key icon opens the request form
    rattachement_impossible: bool = False  # the key, greyed out: the file's status forbids a transfer
    reference: str | None = None  # the key's link (rattachements.reference): only for a file found here


@dataclass
class Resultat:
    criteres: dict
    lignes: list = field(default_factory=list)
    message: str | None = None
    erreurs: dict = field(default_factory=dict)
    trop_large: bool = False
    limite_atteinte: bool = False  # too many searches this minute (the page answers 429)

    @property
    def actifs(self) -> bool:
        return any(self.criteres.values())


def _date(value: str):
    try:
        return parse_date(value)
    except ValueError:
        return None


def _texte(value) -> str:
    """Trimmed and bounded; control characters (a NUL byte is refused by PostgreSQL) dropped."""
    if not isinstance(value, str):
        return ""
    return "".join(ch for ch in value if ch >= " " and ch != "\x7f").strip()[:LONGUEUR_MAX]


def criteres(values) -> tuple[dict, Errors]:
    """The filters as typed (trimmed, bounded), and their French errors. `q` (the navigation's box) is a file
    number when it is made of digits, a name otherwise."""
    errors = Errors()
    data = {}
    for name in CHAMPS:
        data[name] = _texte(values.get(name) if hasattr(values, "get") else None)
    q = _texte(values.get("q") if hasattr(values, "get") else None)
    if q:
        key = "numero_dossier" if q.replace(" ", "").isdigit() else "nom"
        data[key] = data[key] or q
    data["numero_dossier"] = data["numero_dossier"].replace(" ", "")
    if data["numero_dossier"] and not data["numero_dossier"].isdigit():
        errors.add("numero_dossier", "Le numéro de dossier ne contient que des chiffres.")
    if data["nom"] and not sans_accents(data["nom"]):
        errors.add("nom", "Saisissez des lettres.")
    if data["date_naissance"] and _date(data["date_naissance"]) is None:
        errors.add("date_naissance", "Date de naissance invalide (jj/mm/aaaa).")
    cp = data["code_postal_naissance"].replace(" ", "")
    data["code_postal_naissance"] = cp
    if cp and (not cp.isdigit() or len(cp) > 5):
        errors.add("code_postal_naissance", "Code postal invalide (5 chiffres au plus).")
    return data, errors


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _commence_par(column, prefix: str, pattern_ops: bool = False):
    """`column` starts with `prefix`, in a form a B-tree index can serve (a range), and exact (the LIKE):
    SQLite's LIKE ignores case and so never uses the index, and PostgreSQL's needs a special operator class.
    `pattern_ops`: the column has that index on PostgreSQL (`nom_recherche`), which serves the LIKE itself; the
    range there made the planner count the rows twice (it expected 1 file where 2,000 bear the name, and joined
    them by scanning the establishments for each one: 136 ms at 200,000 files, 3 ms without it)."""
    condition = column.like(_escape(prefix) + "%", escape="\\")
    if pattern_ops and db.engine.dialect.name == "postgresql":
        return condition
    last = prefix[-1:]
    # Only letters and digits are incremented: the next character stays a letter or digit in every collation.
    if last and (("A" <= last < "Z") or ("0" <= last < "9")):
        condition = and_(column >= prefix, column < prefix[:-1] + chr(ord(last) + 1), condition)
    return condition


def _mot_entier(column, mot: str):
    """`mot` is one whole word of `column` (a space-separated, accent-free upper-case text)."""
    return (literal(" ") + column + literal(" ")).like("% " + _escape(mot) + " %", escape="\\")


def _conditions(data: dict) -> list:
    """The criteria as typed, for files inside the perimeter: prefixes allowed."""
    where = []
    if data["numero_dossier"]:
        numero = data["numero_dossier"]
        where.append(
            Candidature.numero_dossier == numero
            if len(numero) == 10
            else _commence_par(Candidature.numero_dossier, numero)
        )
    if data["nom"]:
        # nom_recherche is "NOM PRENOM NOM_USAGE" without accents or case: the first word typed is the start of
        # it (the index), every other word the start of one of its words (« fontaine ines », « fontaine marie »).
        mots = sans_accents(data["nom"]).split()
        where.append(_commence_par(Candidature.nom_recherche, mots[0], pattern_ops=True))
        for mot in mots[1:]:
            where.append(Candidature.nom_recherche.like("% " + _escape(mot) + "%", escape="\\"))
    if data["date_naissance"]:
        where.append(Candidature.date_naissance == _date(data["date_naissance"]))
    if data["pays_naissance"]:
        where.append(Candidature.pays_naissance.ilike(_escape(data["pays_naissance"]), escape="\\"))
    if data["code_postal_naissance"]:
        where.append(_commence_par(Candidature.code_postal_naissance, data["code_postal_naissance"]))
    if data["ville_naissance"]:
        where.append(Candidature.ville_naissance.ilike(_escape(data["ville_naissance"]) + "%", escape="\\"))
    return where


def _conditions_hors_perimetre(data: dict) -> list | None:
    """The criteria for files outside the perimeter, or None when they cannot find any: the exact number, or
    the name's whole words with the exact birth date; every other criterion exact."""
    numero = data["numero_dossier"]
    mots = sans_accents(data["nom"]).split() if data["nom"] else []
    if numero and len(numero) != 10:
        return None
    if not numero and not (mots and data["date_naissance"]):
        return None
    where = []
    if numero:
        where.append(Candidature.numero_dossier == numero)
    if mots:
        where.append(_commence_par(Candidature.nom_recherche, mots[0], pattern_ops=True))
        where.extend(_mot_entier(Candidature.nom_recherche, mot) for mot in mots)
    if data["date_naissance"]:
        where.append(Candidature.date_naissance == _date(data["date_naissance"]))
    if data["pays_naissance"]:
        where.append(Candidature.pays_naissance.ilike(_escape(data["pays_naissance"]), escape="\\"))
    if data["code_postal_naissance"]:
        where.append(Candidature.code_postal_naissance == data["code_postal_naissance"])
    if data["ville_naissance"]:
        where.append(func.upper(Candidature.ville_naissance) == data["ville_naissance"].upper())
    return where


def _trop_de_recherches(user) -> bool:
    limite = current_app.config["RECHERCHE_PAR_MINUTE"]
    depuis = utcnow() - datetime.timedelta(minutes=1)
    recentes = db.session.execute(
        select(func.count())
        .select_from(RechercheNationale)
        .where(RechercheNationale.user_id == user.id, RechercheNationale.created_at >= depuis)
    ).scalar_one()
    return recentes >= limite


def _journaliser(user, data: dict, resultats: int, hors_perimetre: int) -> None:
    db.session.add(
        RechercheNationale(
            user_id=user.id,
            user_name=f"{user.first_name} {user.last_name}".strip(),
            criteres={key: value for key, value in data.items() if value},
            resultats=resultats,
            hors_perimetre=hors_perimetre,
        )
    )
    db.session.commit()


def libelle_criteres(criteres: dict) -> str:
    """« Nom / prénom : fontaine ; Date de naissance : 12/06/1976 » (the journal's page)."""
    return " ; ".join(f"{LIBELLES[k]} : {v}" for k, v in (criteres or {}).items() if k in LIBELLES and v)


def purger_journal() -> int:
    """The journal is kept RECHERCHE_JOURNAL_JOURS days (the daily job)."""
    avant = utcnow() - datetime.timedelta(days=current_app.config["RECHERCHE_JOURNAL_JOURS"])
    result = db.session.execute(delete(RechercheNationale).where(RechercheNationale.created_at < avant))
    db.session.commit()
    return result.rowcount  # type: ignore[attr-defined]  # a CursorResult for a DELETE


def peut_demander_rattachement(user) -> bool:
    """The key icon: an OF profile that may create transfer requests."""
    return access.may(user, "demander_rattachement")


def rechercher(user, values) -> Resultat:
    data, errors = criteres(values)
    resultat = Resultat(criteres=data, erreurs=dict(errors))
    if errors:
        return resultat
    if not any(data.values()):
        resultat.message = AUCUN_CRITERE
        return resultat
    if _trop_de_recherches(user):
        resultat.limite_atteinte = True
        resultat.message = TROP_DE_RECHERCHES
        return resultat
    # 1 or 0, never NULL (a perimeter clause on a nullable column would drop the file from both sides).
    dedans = case((perimeter.clause(Candidature, user), 1), else_=0)
    hors_perimetre = _conditions_hors_perimetre(data)
    where = or_(
        and_(dedans == 1, *_conditions(data)),
        and_(dedans == 0, *hors_perimetre) if hors_perimetre is not None else false(),
    )
    visible = (dedans == 1).label("visible")
    query = (
        select(
            Candidature.id,
            Candidature.numero_dossier,
            Candidature.nom_naissance,
            Candidature.nom_usage,
            Candidature.prenom,
            Candidature.statut,
            Etablissement.nom.label("etablissement"),
            visible,
        )
        .join(Etablissement, Etablissement.id == Candidature.etablissement_id)
        .where(where)
        .order_by(Candidature.nom_recherche, Candidature.id)
        .limit(MAX_RESULTATS + 1)
    )
    rows = db.session.execute(query).all()
    trop_large = len(rows) > MAX_RESULTATS
    _journaliser(user, data, 0 if trop_large else len(rows), 0 if trop_large else sum(not r.visible for r in rows))
    if trop_large:
        resultat.trop_large = True
        resultat.message = TROP_LARGE
        return resultat
    if not rows:
        resultat.message = AUCUN_RESULTAT
        return resultat
    demandeur = peut_demander_rattachement(user)
    for row in rows:
        dehors = demandeur and not row.visible
        bloque = row.statut in rattachements.STATUTS_NON_RATTACHABLES
        resultat.lignes.append(
            Ligne(
                id=row.id,
                numero_dossier=row.numero_dossier,
                candidat=f"{row.nom_usage or row.nom_naissance} {row.prenom}".strip(),
                etablissement=row.etablissement,
                statut=row.statut,
                statut_label=statuts.label(row.statut),
                visible=bool(row.visible),
                rattachable=dehors and not bloque,
                rattachement_impossible=dehors and bloque,
                reference=rattachements.reference(user, row.id) if dehors and not bloque else None,
            )
        )
    return resultat
