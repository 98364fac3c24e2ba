"""The consultation journal of candidate files (donnees-personnelles.md §3): who opened which file's page, tab,
document, PDF or API record, and when.

What is journaled is one table, `ENDPOINTS` (the route → what it shows and which file): one `after_request` hook
records the successful answers of those routes, so no view has to remember it. Entries are written in batches,
never in the request's own work: a process keeps them in memory and a writer thread inserts them every
`CONSULTATIONS_ECRITURE_SECONDES` (or as soon as `CONSULTATIONS_LOT` are waiting, and when the process exits);
with 0 seconds (the tests) each request's entries are inserted at its end, in its session. Reading the journal
first writes what the process still holds, so a page always shows its own latest entries."""

import atexit
import logging
import threading
from collections.abc import Callable

from flask import Flask, current_app, g, request
from sqlalchemy import delete, insert, select

from app.domain import access
from app.domain.errors import Forbidden
from app.extensions import db
from app.models import Candidature, Consultation, Document, Evaluation, Formation
from app.models.base import utcnow

log = logging.getLogger(__name__)


def _pk(args) -> int | None:
    return args.get("pk")


def _of(model) -> Callable[[dict], int | None]:
    """The file of a record named by the route (already loaded by the view: no query)."""

    def candidature_of(args) -> int | None:
        record = db.session.get(model, args.get("pk") or args.get("document_id"))
        return getattr(record, "candidature_id", None)

    return candidature_of


def _document(args) -> str | None:
    record = db.session.get(Document, args.get("pk") or args.get("document_id"))
    return record.nom if record is not None else None


# endpoint → (what, the file's id from the route's arguments, the detail shown in the journal)
ENDPOINTS: dict[str, tuple[str, Callable[[dict], int | None], Callable[[dict], str | None]]] = {
    "CandidatureView.show": ("page", _pk, lambda args: None),
    "CandidatureView.fiche": ("pdf", _pk, lambda args: "Fiche candidat"),
    "CandidatureView.telecharger": ("document", _of(Document), _document),
    "CandidatureView.donnees": ("donnees", _pk, lambda args: "Archive ZIP"),
    "CandidatureView.dossier_complet": ("dossier", _pk, lambda args: "Dossier complet (ZIP)"),
    "EvaluationView.fiche": ("evaluation", _of(Evaluation), lambda args: f"Evaluation n°{args.get('pk')}"),
    "EvaluationView.matrice": ("tableur", _pk, lambda args: "Matrice d'évaluation"),
    "CandidatureApi.get": ("api", _pk, lambda args: "Fiche"),
    "CandidatureApi.fiche": ("pdf", _pk, lambda args: "Fiche candidat (API)"),
    "CandidatureApi.donnees": ("donnees", _pk, lambda args: "Archive ZIP (API)"),
    "CandidatureApi.dossier_complet": ("dossier", _pk, lambda args: "Dossier complet (ZIP, API)"),
    "DocumentApi.download": ("document", _of(Document), _document),
    "EvaluationApi.get": ("api", _of(Evaluation), lambda args: f"Evaluation n°{args.get('pk')}"),
    "FormationApi.get": ("api", _of(Formation), lambda args: f"Formation n°{args.get('pk')}"),
}

_lock = threading.Lock()
_pending: list[dict] = []
_writer: threading.Thread | None = None
_writer_app: Flask | None = None
_wake = threading.Event()


def _entry(user, candidature_id: int, quoi: str, detail: str | None) -> dict:
    return {
        "created_at": utcnow(),
        "candidature_id": candidature_id,
        "user_id": getattr(user, "id", None),
        "user_name": f"{user.first_name} {user.last_name}"[:200] if user is not None else "Système",
        "quoi": quoi,
        "detail": (detail or None) and detail[:250],
    }


def noter(user, candidature_id: int, quoi: str, detail: str | None = None) -> None:
    """Journal one consultation (written in a batch, see the module's docstring)."""
    entry = _entry(user, candidature_id, quoi, detail)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config["CONSULTATIONS_ECRITURE_SECONDES"]:
        g.setdefault("clea_consultations", []).append(entry)
        return
    with _lock:
        _pending.append(entry)
        full = len(_pending) >= app.config["CONSULTATIONS_LOT"]
    _start_writer(app)
    if full:
        _wake.set()


def _write_request_entries() -> None:
    """Immediate mode: the request's entries, in one INSERT at its end."""
    entries = g.pop("clea_consultations", None)
    if entries:
        db.session.execute(insert(Consultation.__table__), entries)
        db.session.commit()


def _start_writer(app: Flask) -> None:
    global _writer, _writer_app
    with _lock:
        if _writer is not None and _writer.is_alive():
            return
        _writer_app = app
        _writer = threading.Thread(target=_write_forever, args=(app,), name="journal-consultations", daemon=True)
        _writer.start()


def _write_forever(app: Flask) -> None:
    while True:
        seconds = app.config["CONSULTATIONS_ECRITURE_SECONDES"]
        if seconds:
            _wake.wait(seconds)
            _wake.clear()
        try:
            with app.app_context():
                ecrire_en_attente()
        except Exception:  # a database hiccup must not kill the writer: the entries are tried again next time
            log.exception("Journal des consultations : écriture différée")
        if not seconds:  # the immediate mode again (a test, a setting changed): nothing left for the thread
            return


def ecrire_en_attente() -> int:
    """Insert what this process holds (one INSERT of many rows, its own short transaction)."""
    with _lock:
        rows = list(_pending)
        _pending.clear()
    if not rows:
        return 0
    try:
        with db.engine.begin() as conn:
            conn.execute(insert(Consultation.__table__), rows)
    except Exception:
        with _lock:  # kept for the next try
            _pending[:0] = rows
        raise
    return len(rows)


@atexit.register
def _at_exit() -> None:
    if _pending and _writer_app is not None:
        with _writer_app.app_context():
            ecrire_en_attente()


def _after_request(response):
    user = getattr(g, "user", None)
    if (
        response.status_code == 200
        and request.endpoint in ENDPOINTS
        and user is not None
        and getattr(user, "is_authenticated", False)
    ):
        quoi, candidature_of, detail_of = ENDPOINTS[request.endpoint]
        args = request.view_args or {}
        candidature_id = candidature_of(args)
        if candidature_id is not None:
            noter(user, candidature_id, quoi, detail_of(args))
    _write_request_entries()  # also what a service noted (e.g. an archive asked for in the background)
    return response


def install(app: Flask) -> None:
    """Its settings are config.py's (CONSULTATIONS_ECRITURE_SECONDES, CONSULTATIONS_LOT)."""
    app.after_request(_after_request)


def onglet(user, candidature_id: int, nom: str) -> None:
    """A tab of the candidate page opened (the page posts it; the page itself was journaled when loaded)."""
    from app.security import perimeter

    perimeter.get_visible(Candidature, candidature_id)
    noter(user, candidature_id, "onglet", nom[:100])
    _write_request_entries()


def journal(user, candidature_id: int, limite: int | None = 200) -> list[Consultation]:
    """The file's journal, latest first (Certif Pro)."""
    if not access.may(user, "voir_consultations"):
        raise Forbidden("Votre profil ne permet pas de consulter le journal des consultations.")
    ecrire_en_attente()
    query = (
        select(Consultation)
        .where(Consultation.candidature_id == candidature_id)
        .order_by(Consultation.created_at.desc(), Consultation.id.desc())
    )
    if limite:
        query = query.limit(limite)
    return list(db.session.execute(query).scalars())


def purger(avant) -> int:
    """Delete the entries older than the retention period (the daily job)."""
    ecrire_en_attente()
    result = db.session.execute(delete(Consultation).where(Consultation.created_at < avant))
    return result.rowcount or 0  # type: ignore[attr-defined]  # a CursorResult for a DELETE
