"""Background work (issue 12): mails and exports run on Celery, never in a request; nothing stuck, nothing lost.

The tests with a real worker start `celery -A app.tasks.worker worker -B` processes on the machine's Redis and on
the test database (they commit for real). Without Redis they are skipped — except in CI, where they fail.
"""

import datetime
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from app import tasks
from app.domain import access
from app.extensions import db, mail
from app.models import Candidature, FichierExport, MailSortant, Utilisateur
from app.models.base import utcnow
from app.services import notifications
from tests.conftest import demo, page_text
from tests.test_users import Sink, form as user_form, free_port, new_email, outbox, smtp_server

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def redis_or_skip() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        if os.environ.get("CI"):
            pytest.fail(f"Redis ne répond pas sur {REDIS_URL} ({exc}) : la CI a besoin de Redis.")
        pytest.skip(f"pas de Redis sur {REDIS_URL}")
    return REDIS_URL


class Worker:
    """One `celery worker -B` process (its own beat), logging to a file."""

    def __init__(self, app, tmp_path, queue, ready=True, **settings):
        self.log_path = tmp_path / f"worker-{uuid.uuid4().hex[:6]}.log"
        env = {
            **os.environ,
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": app.config["SECRET_KEY"],
            "PUBLIC_URL": app.config["PUBLIC_URL"],
            "CELERY_BROKER_URL": REDIS_URL,
            "TASKS_RUNNER": "celery",
            "CELERY_QUEUE": queue,
            "LOAD_DEMO_ON_EMPTY_DB": "0",
            "RATELIMIT_ENABLED": "0",
            **{key: str(value) for key, value in settings.items()},
        }
        if "MAIL_SERVER" not in settings:
            env.pop("MAIL_SERVER", None)
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "app.tasks.worker",
                "worker",
                "-B",
                "-s",
                str(tmp_path / f"beat-{uuid.uuid4().hex[:6]}"),
                "-Q",
                queue,
                "-c",
                "1",
                "-n",
                f"test-{uuid.uuid4().hex[:6]}@%h",
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killed with its pool and beat
        )
        if ready:  # ready=False: the caller waits (wait_for("ready.")), e.g. after starting a second one
            self.wait_for("ready.", 60)

    def output(self) -> str:
        return self.log_path.read_text()

    def wait_for(self, text, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return
            if self.process.poll() is not None:
                raise AssertionError("le worker s'est arrêté :\n" + self.output()[-3000:])
            time.sleep(0.2)
        raise AssertionError(f"« {text} » absent du journal du worker :\n" + self.output()[-3000:])

    def kill(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        """At the end of the test (its assertions are made): killed with its pool and beat at once — a warm
        shutdown (SIGTERM) took 3 to 4 s a worker, waiting for its beat and its current sweep."""
        if self.process.poll() is None:
            self.kill()
        self.log.close()


@pytest.fixture
def celery_queue(app):
    """The application queues to a real Redis (a queue of this test only), as a web server in production does."""
    redis_or_skip()
    queue = f"clea-test-{uuid.uuid4().hex[:8]}"
    saved = {k: app.config[k] for k in ("TASKS_RUNNER", "CELERY_QUEUE", "CELERY_BROKER_URL")}
    app.config.update(TASKS_RUNNER="celery", CELERY_QUEUE=queue, CELERY_BROKER_URL=REDIS_URL)
    tasks.celery_app.conf.broker_url = REDIS_URL
    try:
        yield queue
    finally:
        app.config.update(saved)


@pytest.fixture
def workers(app, tmp_path, celery_queue):
    started = []

    def start(ready=True, **settings):
        worker = Worker(app, tmp_path, celery_queue, ready, **settings)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def wait_until(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"attendu en {timeout} s : {what}")


def user_email(app, login):
    with app.app_context():
        return demo(Utilisateur, username=login).email


# --- Mail ------------------------------------------------------------------------------------------------------------
@pytest.mark.committing
def test_a_real_worker_sends_the_mail_a_request_queued(app, workers):
    port = free_port()
    address = user_email(app, "org.user")
    with smtp_server(port) as sink:
        workers(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        response = app.test_client().post("/compte/mot-de-passe-oublie", data={"login": "org.user"})
        assert response.status_code == 302
        ((subject, _body),) = wait_until(lambda: sink.to(address), 30, "le mail de réinitialisation")
    assert "Réinitialisation" in subject
    assert [row["statut"] for row in outbox(app, address)] == [MailSortant.ENVOYE]


class SilentServer:
    """Accepts connections and never answers (a hanging mail server); counts who connected."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(5)
        self.port = self.socket.getsockname()[1]
        self.connections = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.connections.append(connection)

    def close(self):
        for connection in self.connections:
            connection.close()
        self.socket.close()


@contextmanager
def mail_to(app, port, timeout=1):
    saved = {k: app.config.get(k) for k in ("MAIL_SERVER", "MAIL_PORT", "MAIL_TIMEOUT", "MAIL_SUPPRESS_SEND")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT=timeout, MAIL_SUPPRESS_SEND=False)
    mail.init_app(app)
    try:
        yield
    finally:
        app.config.update(saved)
        mail.init_app(app)


def test_a_hanging_mail_server_is_never_waited_for_by_a_request(app, as_user):
    """A new user and « Mot de passe oublié » (existing login or not) answer without talking to the mail server
    at all — so « Mot de passe oublié » takes the same time whether the login exists: the mails wait in the outbox
    for the background."""
    server = SilentServer()
    try:
        with mail_to(app, server.port):
            client = app.test_client()
            for login in ("org.user", "personne.inconnue"):
                response = client.post("/compte/mot-de-passe-oublie", data={"login": login}, follow_redirects=True)
                assert "Si cet identifiant correspond à un compte actif" in page_text(response)
            created = as_user("org.admin").post(
                "/utilisateurs/add", data=user_form(access.UTILISATEUR_ORGANISME, new_email()), follow_redirects=True
            )
            assert "il reçoit un email pour choisir son mot de passe" in page_text(created)
            assert server.connections == []  # nobody talked to the mail server
            with app.app_context():
                waiting = (
                    db.session.execute(select(MailSortant).where(MailSortant.statut == MailSortant.A_ENVOYER))
                    .scalars()
                    .all()
                )
                assert waiting and {row.tentatives for row in waiting} == {0}
            # The background then tries, times out (MAIL_TIMEOUT) and keeps the mails for later.
            assert tasks.run_pending() >= 1
            assert server.connections
            with app.app_context():
                rows = db.session.execute(select(MailSortant).where(MailSortant.id.in_([r.id for r in waiting])))
                assert {(r.statut, r.tentatives) for r in rows.scalars()} == {(MailSortant.A_ENVOYER, 1)}
    finally:
        server.close()


def test_a_mail_is_retried_for_three_days_then_failed_then_sent_again_exactly_once(app, as_user, monkeypatch):
    """A closed mail port for days (simulated clock): tried with a delay capped at an hour, still waiting after
    the 254 minutes that used to lose it, listed in « Mails en échec » after 3 days, sent once by « Renvoyer »."""
    closed_port = free_port()  # nothing listens there
    address = "destinataire.patient@exemple.fr"
    start = utcnow()
    clock = [start]
    monkeypatch.setattr(notifications, "utcnow", lambda: clock[0])
    with app.app_context():
        row = notifications.queue_mail(address, "Décision du jury", "Votre dossier a été examiné.")
        db.session.commit()
        pk = row.id
    tries = []
    with mail_to(app, closed_port), app.app_context():
        while clock[0] - start < datetime.timedelta(days=4):
            notifications.send_pending()
            row = db.session.get(MailSortant, pk)
            tries.append((clock[0], row.statut))
            if row.statut == MailSortant.ECHEC:
                break
            assert row.prochain_essai - clock[0] <= datetime.timedelta(minutes=60)
            clock[0] = row.prochain_essai
        db.session.remove()
    statut_at = lambda delay: [s for t, s in tries if t - start <= delay][-1]  # noqa: E731
    assert statut_at(datetime.timedelta(minutes=254)) == MailSortant.A_ENVOYER
    assert statut_at(datetime.timedelta(days=2, hours=23)) == MailSortant.A_ENVOYER
    failed_at = tries[-1][0] - start
    assert tries[-1][1] == MailSortant.ECHEC
    assert datetime.timedelta(days=3) <= failed_at <= datetime.timedelta(days=3, hours=1)
    assert len(tries) > 3 * 24  # at least one try an hour
    monkeypatch.setattr(notifications, "utcnow", utcnow)

    # Certif Pro sees it in ADMINISTRATION and sends it again; nobody else reaches the page.
    certifpro = as_user("certifpro")
    assert "Mails en échec" in page_text(certifpro.get("/administration/"))
    listed = page_text(certifpro.get("/administration/mails-en-echec"))
    assert address in listed and "Décision du jury" in listed and "Renvoyer" in listed
    assert "Votre dossier a été examiné." not in listed  # bodies may hold personal links: never shown
    assert as_user("org.admin").get("/administration/mails-en-echec").status_code in (302, 403)
    assert as_user("org.admin").post(f"/administration/mails-en-echec/{pk}/renvoyer").status_code in (302, 403)
    port = free_port()
    with smtp_server(port) as sink, mail_to(app, port):
        sent_again = certifpro.post(f"/administration/mails-en-echec/{pk}/renvoyer", follow_redirects=True)
        assert f"Le mail à {address} est remis en file d'envoi." in page_text(sent_again)
        again = certifpro.post(f"/administration/mails-en-echec/{pk}/renvoyer", follow_redirects=True)
        assert "Ce mail n'est plus en échec" in page_text(again)
        tasks.run_pending()
        assert len(Sink.to(sink, address)) == 1
    assert address not in page_text(certifpro.get("/administration/mails-en-echec"))
    (row,) = outbox(app, address)
    assert row["statut"] == MailSortant.ENVOYE


@pytest.mark.committing
def test_two_workers_with_their_beats_send_each_mail_once(app, workers):
    port = free_port()
    addresses = [f"balayage{i}@exemple.fr" for i in range(6)]
    with smtp_server(port) as sink:
        with app.app_context():
            for address in addresses:  # queued without any enqueue: only the beats' sweeps find them
                notifications.queue_mail(address, "Balayage", "Corps")
            db.session.commit()
        # Both started at once (each takes seconds to boot), then both ready before anything is awaited.
        started = [workers(False, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_BALAYAGE_SECONDES=1) for _ in range(2)]
        for worker in started:
            worker.wait_for("ready.", 60)
        wait_until(lambda: all(sink.to(a) for a in addresses), 60, "les six mails")
        time.sleep(3)  # several more sweeps of both beats
        assert [len(sink.to(a)) for a in addresses] == [1] * 6
    assert {row["statut"] for a in addresses for row in outbox(app, a)} == {MailSortant.ENVOYE}


# --- Exports ---------------------------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.committing
def test_an_export_whose_worker_is_killed_is_resumed_with_every_row_once(app, workers, as_user):
    from tests.test_export_volume import insert_files
    from tests.test_stats import sheet_rows

    with app.app_context():
        insert_files(40_000)
        db.session.remove()
    settings = {"EXPORT_REPRISE_SECONDES": 2, "EXPORT_BALAYAGE_SECONDES": 1}
    first = workers(**settings)
    client = as_user("reseau.admin")
    response = client.post("/stats/exporter", data={"type": "dossiers"})
    assert response.status_code == 302
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])

    def job():
        with app.app_context():
            found = db.session.get(FichierExport, job_id)
            state = (found.statut, found.lignes_faites, found.lignes_total)
            db.session.remove()
            return state

    wait_until(lambda: job()[0] == FichierExport.EN_COURS and job()[1] > 0, 60, "l'export en préparation")
    first.kill()  # mid-way: no acknowledgement, no heartbeat any more
    assert job()[0] == FichierExport.EN_COURS
    second = workers(**settings)
    wait_until(lambda: job()[0] == FichierExport.PRET, 240, "l'export repris puis prêt")
    second.wait_for("repris après la perte de leur worker", 5)
    second.wait_for(f"Export {job_id} repris après", 5)  # from its last checkpoint, not from the start
    _statut, done, total = job()
    assert done == total and total >= 40_000
    download = client.get(f"/exports/{job_id}/fichier")
    assert download.status_code == 200
    numbers = [row[0] for row in sheet_rows(download.data, "Dossiers")[1:]]
    assert len(numbers) == len(set(numbers)) == total
    with app.app_context():
        from app.security import perimeter

        owner = demo(Utilisateur, username="reseau.admin")
        in_perimeter = select(Candidature.numero_dossier).where(perimeter.clause(Candidature, owner))
        assert set(numbers) == set(db.session.scalars(in_perimeter))


def test_an_export_that_failed_is_started_again_with_relancer(app, as_user):
    client = as_user("reseau.admin")
    with app.app_context():
        owner = demo(Utilisateur, username="reseau.admin")
        failed = FichierExport(
            user_id=owner.id,
            type="dossiers",
            parametres="{}",
            nom_fichier="dossiers.xlsx",
            statut=FichierExport.ECHEC,
            erreur="L'export n'a pas pu être préparé. Veuillez le relancer.",
        )
        db.session.add(failed)
        db.session.commit()
        pk = failed.id
    page = client.get(f"/exports/{pk}")
    assert "n'a pas pu être préparé" in page_text(page) and "Relancer" in page_text(page)
    relaunched = client.post(f"/exports/{pk}/relancer", follow_redirects=True)
    assert "L'export est relancé" in page_text(relaunched) and "Préparation en cours" in page_text(relaunched)
    assert as_user("reseau2.admin").post(f"/exports/{pk}/relancer").status_code == 404
    again = client.post(f"/exports/{pk}/relancer", follow_redirects=True)
    assert "Cet export n'est pas en échec" in page_text(again)


# --- Health -----------------------------------------------------------------------------------------------------------
def test_sante_without_a_broker_says_the_tasks_run_in_the_web_process(app, client):
    with app.app_context():
        notifications.queue_mail("attente@exemple.fr", "Sujet", "Corps")
        db.session.commit()
    answer = client.get("/sante")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["base"] == "ok" and body["file_attente"] == "absente"
    assert body["mails_en_attente"] >= 1 and re.match(r"\d\d/\d\d/\d{4} \d\d:\d\d", body["plus_ancien_mail_en_attente"])
    assert set(body) >= {"mails_en_echec", "exports_en_cours"}


def test_sante_reports_the_queue_and_its_depth_then_a_broker_that_is_down(app, client, celery_queue):
    import redis

    try:
        assert client.get("/sante").get_json()["file_attente"] == "ok"
        with app.test_request_context():
            tasks.enqueue("clea.envoyer_mails")  # no worker listens: it waits in the queue
        body = client.get("/sante").get_json()
        assert body["file_attente"] == "ok" and body["taches_en_file"] == 1
        tasks.celery_app.conf.broker_url = f"redis://127.0.0.1:{free_port()}/0"
        down = client.get("/sante")
        assert down.status_code == 503 and down.get_json()["file_attente"] == "panne"
        assert down.get_json()["base"] == "ok"
    finally:
        tasks.celery_app.conf.broker_url = REDIS_URL
        redis.Redis.from_url(REDIS_URL).delete(celery_queue)


def asked_files_export() -> tuple[Utilisateur, int]:
    """9,000 more files and the network admin's export of its files, asked for (not prepared yet)."""
    from tests.test_export_volume import insert_files

    insert_files(9_000)
    owner = demo(Utilisateur, username="reseau.admin")
    job = FichierExport(user_id=owner.id, type="dossiers", parametres="{}", nom_fichier="dossiers.xlsx")
    db.session.add(job)
    db.session.commit()
    return owner, job.id


@pytest.mark.committing
def test_a_long_workbook_writing_keeps_its_worker_alive_for_the_sweep(app, monkeypatch):
    """Writing the workbook from the kept batches takes minutes at national scale (218 s for 1,000,000 files): the
    worker beats all along, so that the sweep never gives the job to a second worker meanwhile. Each batch read back
    stands for 30 s of writing (a clock of the test's own)."""
    from app.services import exports

    start = utcnow()
    elapsed = [datetime.timedelta(0)]
    monkeypatch.setattr(exports, "utcnow", lambda: start + elapsed[0])
    lost: list[int] = []
    unpack = exports._unpack

    def slow_writing(data):
        rows = unpack(data)
        elapsed[0] += datetime.timedelta(seconds=30)
        lost.extend(exports._rendre_les_perdus(10))  # the sweep, every 20 s in production
        return rows

    with app.app_context():
        _, pk = asked_files_export()
        monkeypatch.setattr(exports, "_unpack", slow_writing)
        exports.preparer(pk)
        db.session.expire_all()
        job = db.session.get(FichierExport, pk)
        assert elapsed[0] > datetime.timedelta(seconds=2 * app.config["EXPORT_REPRISE_SECONDES"])
        assert lost == [] and job.statut == FichierExport.PRET
        db.session.remove()


@pytest.mark.committing
def test_an_interrupted_export_resumes_after_its_last_checkpoint_with_every_row_once(app, monkeypatch):
    """The worker dies after two batches (a BaseException stands for the SIGKILL no code can catch): the two kept
    batches stay, the sweep gives the job back, and the next worker reads only the files after the checkpoint."""
    from app.models import MorceauExport
    from app.security import perimeter
    from app.services import exports
    from tests.test_stats import sheet_rows

    with app.app_context():
        owner, pk = asked_files_export()
        keep = exports._checkpoint

        def dies_after_two(job_id, numero, last, rows, done):
            keep(job_id, numero, last, rows, done)
            if numero == 2:
                raise KeyboardInterrupt("worker tué")

        monkeypatch.setattr(exports, "_checkpoint", dies_after_two)
        with pytest.raises(KeyboardInterrupt):
            exports.preparer(pk)
        db.session.rollback()
        monkeypatch.setattr(exports, "_checkpoint", keep)
        job = db.session.get(FichierExport, pk)
        kept = (
            db.session.execute(select(MorceauExport).where(MorceauExport.job_id == pk).order_by(MorceauExport.numero))
            .scalars()
            .all()
        )
        assert job.statut == FichierExport.EN_COURS and job.lignes_faites == 2 * exports.BATCH
        assert [m.numero for m in kept] == [1, 2]
        checkpoint = kept[-1].dernier_id
        job.battement_le = utcnow() - datetime.timedelta(minutes=5)  # silent since the death
        db.session.commit()
        assert exports._rendre_les_perdus(10) == [pk]
        db.session.commit()
        starts = []
        keyset = exports._keyset
        monkeypatch.setattr(
            exports,
            "_keyset",
            lambda query, after=0, size=exports.BATCH: starts.append(after) or keyset(query, after, size),
        )
        exports.preparer(pk)
        assert starts == [checkpoint]  # resumed after the last kept batch, not from the start
        db.session.expire_all()
        job = db.session.get(FichierExport, pk)
        assert job.statut == FichierExport.PRET and job.lignes_faites == job.lignes_total
        assert db.session.execute(select(MorceauExport).where(MorceauExport.job_id == pk)).first() is None
        numbers = [row[0] for row in sheet_rows(b"".join(exports.contenu(owner, pk)[0]), "Dossiers")[1:]]
        expected = set(
            db.session.scalars(select(Candidature.numero_dossier).where(perimeter.clause(Candidature, owner)))
        )
        assert len(numbers) == len(set(numbers)) == len(expected) and set(numbers) == expected
        db.session.remove()


# --- Exports: the writing phase shows its progress -----------------------------------------------------------------
def test_an_export_progress_reads_in_french_and_never_goes_back_when_the_writing_starts():
    """1,000,000 files: reading fills the bar's first 20 %, writing the rest; 100 only once the file is ready."""

    def seen(**state):
        job = FichierExport(statut=FichierExport.EN_COURS, lignes_total=1_000_000, **{"lignes_ecrites": 0, **state})
        return job.progression, job.avancement_label.replace("\u202f", " ").replace("\xa0", " ")

    steps = [
        seen(phase=FichierExport.LECTURE, lignes_faites=0),
        seen(phase=FichierExport.LECTURE, lignes_faites=12_000),
        seen(phase=FichierExport.LECTURE, lignes_faites=1_000_000),
        seen(phase=FichierExport.ECRITURE, lignes_faites=1_000_000),
        seen(phase=FichierExport.ECRITURE, lignes_faites=1_000_000, lignes_ecrites=400_000),
        seen(phase=FichierExport.ECRITURE, lignes_faites=1_000_000, lignes_ecrites=1_000_000),
    ]
    assert steps[1] == (0, "Lecture des dossiers : 12 000 / 1 000 000")
    assert steps[2] == (20, "Lecture des dossiers : 1 000 000 / 1 000 000")
    assert steps[3] == (20, "Écriture du classeur : 0 / 1 000 000")
    assert steps[4] == (52, "Écriture du classeur : 400 000 / 1 000 000")
    assert steps[5][0] == 99  # written, not yet kept: not ready
    progress = [p for p, _ in steps]
    assert progress == sorted(progress)
    # More rows read than counted when it was asked for (files created meanwhile): still within the reading share.
    assert seen(phase=FichierExport.LECTURE, lignes_faites=1_000_500)[0] == 20
    # A file written as it is read (the statistics, a ZIP): one phase, the whole bar.
    assert seen(phase=FichierExport.PREPARATION, lignes_faites=500_000) == (
        50,
        "Préparation du fichier : 500 000 / 1 000 000",
    )
    ready = FichierExport(statut=FichierExport.PRET, phase=FichierExport.ECRITURE, lignes_total=10, lignes_faites=10)
    assert ready.progression == 100


def _watch_export(app, monkeypatch, client, api, pk, also=None):
    """What the requester sees — the export's page and its API job — each time the worker records its progress
    (each batch read, each batch written): [(the API's JSON, the page's progress line)]. The requests run in a
    thread of their own, as the requester's browser would: not in the worker's application context (its session)."""
    from app.services import exports

    views = []

    def request():
        page = client.get(f"/exports/{pk}")
        assert page.status_code == 200
        line = re.search(r'id="export-avancement">([^<]*)<', page.get_data(as_text=True))
        views.append((api.get(f"/api/v1/export/{pk}").get_json(), _french(line.group(1)) if line else None))

    def look():
        browser = threading.Thread(target=request)
        browser.start()
        browser.join()
        if also is not None:
            also(views[-1][0])

    for name in ("_progress", "_ecriture"):
        original = getattr(exports, name)

        def spy(*args, _original=original):
            _original(*args)
            look()

        monkeypatch.setattr(exports, name, spy)
    return views


def _french(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


@pytest.mark.committing
def test_the_workbook_being_written_shows_its_rows_written_on_the_page_and_in_the_api(
    app, monkeypatch, as_user, api_as
):
    """Batches of 3 files: the written count moves between 0 and every row while the phase is the writing one, the
    bar between the reading share and 100, never back; the page says it in French next to the bar."""
    from app import tasks
    from app.services import exports

    monkeypatch.setattr(exports, "BATCH", 3)
    client, api = as_user("reseau.admin"), api_as("reseau.admin")
    response = client.post("/stats/exporter", data={"type": "dossiers"})
    assert response.status_code == 302
    pk = int(response.headers["Location"].rsplit("/", 1)[1])
    asked = api.get(f"/api/v1/export/{pk}").get_json()
    assert asked["statut"] == "en_attente" and asked["phase"] == "lecture" and asked["lignes_ecrites"] == 0
    views = _watch_export(app, monkeypatch, client, api, pk)
    tasks.run_pending()

    done = api.get(f"/api/v1/export/{pk}").get_json()
    total = done["lignes_total"]
    assert done["statut"] == "pret" and done["progression"] == 100 and total > 3 * 3
    assert done["lignes_faites"] == done["lignes_ecrites"] == total
    progress = [state["progression"] for state, _ in views] + [100]
    assert progress == sorted(progress), progress  # never back, not even when the writing starts
    assert all(state["statut"] == "en_cours" and state["progression"] < 100 for state, _ in views)
    reading = [(state, line) for state, line in views if state["phase"] == "lecture"]
    writing = [(state, line) for state, line in views if state["phase"] == "ecriture"]
    assert reading and writing and views.index(writing[0]) == len(reading)  # reading, then writing
    for state, line in reading:
        assert state["progression"] <= FichierExport.PART_LECTURE and state["lignes_ecrites"] == 0
        assert line == state["avancement"] == f"Lecture des dossiers : {state['lignes_faites']} / {total}"
    midway = [s for s, _ in writing if 0 < s["lignes_ecrites"] < total]
    assert len(midway) >= 2 and len({s["lignes_ecrites"] for s in midway}) == len(midway)  # it moves
    for state in midway:
        assert FichierExport.PART_LECTURE < state["progression"] < 100
        assert state["lignes_faites"] == total and state["phase_label"] == "Écriture du classeur"
    for state, line in writing:
        assert line == state["avancement"] == f"Écriture du classeur : {state['lignes_ecrites']} / {total}"
    stats_page = page_text(client.get("/stats/"))  # « Mes derniers exports »: ready now
    assert "Statistiques des dossiers" in stats_page and "Écriture du classeur" not in stats_page


@pytest.mark.committing
# The workbook's writer dies with its worker: openpyxl's generators complain when they are collected, unfinished.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_an_export_whose_worker_dies_while_writing_goes_back_to_its_rows_read_then_writes_them_all(
    app, monkeypatch, as_user, api_as
):
    """The worker dies mid-way through the workbook (a BaseException stands for the SIGKILL): its batches were all
    kept, what it wrote is lost with it. The sweep shows the job as read, not written; the next worker writes the
    workbook from its first row, the progress going on from the reading share."""
    from app.services import exports
    from tests.test_stats import sheet_rows

    monkeypatch.setattr(exports, "BATCH", 3)
    client, api = as_user("reseau.admin"), api_as("reseau.admin")
    with app.app_context():
        owner = demo(Utilisateur, username="reseau.admin")
        job = FichierExport(user_id=owner.id, type="dossiers", parametres="{}", nom_fichier="dossiers.xlsx")
        db.session.add(job)
        db.session.commit()
        pk = job.id
        db.session.remove()

    alive = [True]

    def dies_midway(state):
        if alive[0] and state["phase"] == "ecriture" and state["lignes_ecrites"] >= 6:
            alive[0] = False
            raise KeyboardInterrupt("worker tué")

    views = _watch_export(app, monkeypatch, client, api, pk, also=dies_midway)
    with app.app_context(), pytest.raises(KeyboardInterrupt):
        exports.preparer(pk)
    died = views[-1][0]
    total = died["lignes_total"]
    assert died["statut"] == "en_cours" and died["phase"] == "ecriture" and died["progression"] > 20
    views.clear()
    with app.app_context():
        found = db.session.get(FichierExport, pk)
        found.battement_le = utcnow() - datetime.timedelta(minutes=5)  # silent since its death
        db.session.commit()
        from app.services.exports import _rendre_les_perdus

        assert _rendre_les_perdus(10) == [pk]
        db.session.commit()
        db.session.remove()
    lost = api.get(f"/api/v1/export/{pk}").get_json()
    assert (lost["statut"], lost["phase"], lost["lignes_faites"], lost["lignes_ecrites"]) == (
        "en_attente",
        "lecture",
        total,
        0,
    )
    assert (
        lost["progression"] == FichierExport.PART_LECTURE
        and lost["avancement"] == f"Lecture des dossiers : {total} / {total}"
    )
    assert "En attente de traitement" in page_text(client.get(f"/exports/{pk}"))

    with app.app_context():
        exports.preparer(pk)
        db.session.remove()
    progress = [state["progression"] for state, _ in views]
    assert progress == sorted(progress) and progress[0] == FichierExport.PART_LECTURE
    written = [state["lignes_ecrites"] for state, _ in views if state["phase"] == "ecriture"]
    assert written[0] == 0 and written[-1] == total  # the workbook written again, from its first row
    done = api.get(f"/api/v1/export/{pk}").get_json()
    assert done["statut"] == "pret" and done["lignes_faites"] == done["lignes_ecrites"] == total
    numbers = [row[0] for row in sheet_rows(client.get(f"/exports/{pk}/fichier").data, "Dossiers")[1:]]
    assert len(numbers) == len(set(numbers)) == total
