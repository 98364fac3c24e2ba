"""`flask clea daily`: automatic abandon after 5 years (guide §7), exactly once."""

import datetime

from sqlalchemy import select

from app.domain import statuts
from app.extensions import db
from app.models import AuditLog, Candidature
from app.services.transitions import abandons_automatiques, limite_abandon_automatique


def set_prealable(numero, date, statut=None):
    c = db.session.execute(select(Candidature).where(Candidature.numero_dossier == numero)).scalar_one()
    c.date_evaluation_prealable = date
    if statut:
        c.statut = statut
    db.session.commit()
    return c.id


def test_five_years_limit_including_leap_day():
    assert limite_abandon_automatique(datetime.date(2026, 11, 22)) == datetime.date(2021, 11, 22)
    assert limite_abandon_automatique(datetime.date(2028, 2, 29)) == datetime.date(2023, 2, 28)


def test_old_files_are_abandoned_once_and_files_at_jury_are_kept(ctx):
    today = datetime.date(2026, 11, 22)
    old = set_prealable("2026000002", datetime.date(2021, 11, 21))  # attente évaluation finale
    limit_day = set_prealable("2026000003", datetime.date(2021, 11, 22))  # exactly 5 years: kept
    at_jury = set_prealable("2026000004", datetime.date(2019, 1, 1))  # en attente de jury: kept
    assert abandons_automatiques(today) == 1
    assert abandons_automatiques(today) == 0  # twice: nothing more
    c = db.session.get(Candidature, old)
    assert (c.statut, c.statut_avant_abandon, c.motif_abandon) == (
        statuts.ABANDONNEE,
        statuts.ATTENTE_EVALUATION_FINALE,
        "Évaluation préalable de plus de 5 ans",
    )
    assert db.session.get(Candidature, limit_day).statut == statuts.A_ENVOYER_CERTIFICATION
    assert db.session.get(Candidature, at_jury).statut == statuts.ATTENTE_JURY
    line = (
        db.session.execute(
            select(AuditLog)
            .where(AuditLog.entity_type == "Candidature", AuditLog.entity_id == old)
            .order_by(AuditLog.id)  # the newest last: a table's rows come in no order without it
        )
        .scalars()
        .all()[-1]
    )
    assert line.libelle == "Abandon automatique (évaluation préalable de plus de 5 ans)"
    assert line.user_name == "Système"


def test_daily_command_runs(app):
    result = app.test_cli_runner().invoke(args=["clea", "daily"])
    assert result.exit_code == 0, result.output
    assert "abandonné(s) automatiquement" in result.output
