"""National search of candidate files (guide §15, domain.md §5): the magnifier of the navigation.

It searches every file of the platform, but a file outside the user's perimeter is shown with four columns
only (numéro, candidat, établissement, statut) and never opened (roles.md: the one exception to the
perimeter). One query, on indexed columns where the criteria allow it, at most MAX_RESULTATS + 1 rows.
"""

from dataclasses import dataclass, field

from sqlalchemy import and_, case, select

from app.domain import access, statuts
from app.domain.dates import parse_date
from app.extensions import db
from app.models import Candidature, Etablissement
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


@dataclass
class Resultat:
    criteres: dict
    lignes: list = field(default_factory=list)
    message: str | None = None
    erreurs: dict = field(default_factory=dict)
    trop_large: bool = False

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


def _commence_par(column, prefix: str):
    """`column` starts with `prefix`, in a form a B-tree index can serve (a range), and exact (the LIKE):
    SQLite's LIKE ignores case and so never uses the index, and PostgreSQL's needs a special operator class."""
    condition = column.like(_escape(prefix) + "%", escape="\\")
    last = prefix[-1:]
    # Only letters and digits are incremented: the next character stays a letter or digit in every collation.
    if last and (("A" <= last < "Z") or ("0" <= last < "9")):
        condition = and_(column >= prefix, column < prefix[:-1] + chr(ord(last) + 1), condition)
    return condition


def _conditions(data: dict) -> list:
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
        where.append(_commence_par(Candidature.nom_recherche, mots[0]))
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
    visible = case((perimeter.clause(Candidature, user), True), else_=False).label("visible")
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
        .where(*_conditions(data))
        .order_by(Candidature.nom_recherche, Candidature.id)
        .limit(MAX_RESULTATS + 1)
    )
    rows = db.session.execute(query).all()
    if len(rows) > MAX_RESULTATS:
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
            )
        )
    return resultat
