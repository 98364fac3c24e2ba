"""The tasks (names are the contract between web servers, workers and beat: keep them stable)."""

from app.tasks import celery_app


@celery_app.task(name="clea.envoyer_mails")
def envoyer_mails(limit: int = 200) -> dict:
    """Send what the outbox holds and is due (after a commit, and every minute)."""
    from app.services.notifications import send_pending

    return send_pending(limit=limit)


@celery_app.task(name="clea.preparer_export")
def preparer_export(job_id: int) -> None:
    from app.services.exports import preparer

    preparer(job_id)


@celery_app.task(name="clea.reprendre_exports")
def reprendre_exports() -> int:
    """Every minute: exports waiting (a queue that was down) or whose worker stopped beating are queued again."""
    from app.services.exports import reprendre

    return reprendre()


@celery_app.task(name="clea.importer_candidats")
def importer_candidats(job_id: int) -> None:
    from app.services.import_candidats import executer

    executer(job_id)


@celery_app.task(name="clea.reprendre_imports")
def reprendre_imports() -> int:
    """Every minute: imports waiting (a queue that was down) are queued again, those of dead workers ended."""
    from app.services.import_candidats import reprendre

    return reprendre()


@celery_app.task(name="clea.quotidien")
def quotidien() -> dict:
    from app.services.quotidien import travaux_quotidiens

    return travaux_quotidiens()
