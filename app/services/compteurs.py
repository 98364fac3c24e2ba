"""How many files a user's perimeter holds, by status, read from the counters the database keeps
(`compteur_candidature`, one +1 / -1 row per change, written by a trigger in the change's own transaction).

The perimeter levels whose files are a set of establishments, organisations or one certifier are read here; a
perimeter the counters cannot express (a jury member's: files of their certifier's sessions) answers None, and the
caller counts the files themselves.
"""

from sqlalchemy import func, select, text

from app.extensions import db
from app.models import CompteurCandidature
from app.security import perimeter


def par_statut(user, actif: bool | None = None, etablissement_id: int | None = None) -> dict[str, int] | None:
    """{status: number of files} of the user's perimeter (only the active or inactive ones if `actif` is given,
    those of one establishment if `etablissement_id` is)."""
    clause = perimeter.candidature_clause_on(CompteurCandidature, user)  # the files' own rule
    if clause is None:
        return None
    query = (
        select(CompteurCandidature.statut, func.sum(CompteurCandidature.nombre))
        .where(clause)
        .group_by(CompteurCandidature.statut)
    )
    if actif is not None:
        query = query.where(CompteurCandidature.actif.is_(actif))
    if etablissement_id is not None:
        query = query.where(CompteurCandidature.etablissement_id == etablissement_id)
    return {statut: int(n) for statut, n in db.session.execute(query) if n}


def nombre(
    user, statut: str | None = None, actif: bool | None = None, etablissement_id: int | None = None
) -> int | None:
    counts = par_statut(user, actif, etablissement_id)
    if counts is None:
        return None
    return counts.get(statut, 0) if statut is not None else sum(counts.values())


def compacter() -> int:
    """Fold each key's +1 / -1 rows into one (daily job). Rows appended meanwhile by other transactions are not
    seen by the statement's snapshot and stay as they are. Returns the number of rows removed."""
    before = db.session.execute(select(func.count()).select_from(CompteurCandidature)).scalar() or 0
    key = "etablissement_id, organisme_id, certificateur_id, statut, actif"
    if db.engine.dialect.name == "postgresql":
        db.session.execute(
            text(
                f"WITH gone AS (DELETE FROM compteur_candidature RETURNING {key}, nombre) "
                f"INSERT INTO compteur_candidature ({key}, nombre) "
                f"SELECT {key}, sum(nombre) FROM gone GROUP BY {key} HAVING sum(nombre) <> 0"
            )
        )
    else:  # one writer at a time on SQLite: the transaction holds the database
        db.session.execute(
            text(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS compteur_plie AS SELECT {key}, nombre FROM compteur_candidature "
                "WHERE 0"
            )
        )
        db.session.execute(text("DELETE FROM compteur_plie"))
        db.session.execute(
            text(
                f"INSERT INTO compteur_plie SELECT {key}, sum(nombre) FROM compteur_candidature GROUP BY {key} "
                "HAVING sum(nombre) <> 0"
            )
        )
        db.session.execute(text("DELETE FROM compteur_candidature"))
        db.session.execute(
            text(f"INSERT INTO compteur_candidature ({key}, nombre) SELECT {key}, nombre FROM compteur_plie")
        )
    db.session.commit()
    after = db.session.execute(select(func.count()).select_from(CompteurCandidature)).scalar() or 0
    return before - after
