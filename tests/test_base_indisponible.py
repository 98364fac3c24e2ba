"""PostgreSQL that stops answering (issue 12): a TCP proxy between a real web server (gunicorn) and PostgreSQL is cut,
then black-holed. Every page — the login page and logged-in pages — answers the French 503 page, the API its French
503 JSON, `/sante` says the database is down, nothing is half-written, and everything works again once the database
answers, without a restart. PostgreSQL only (the proxy sits on its TCP port)."""

import contextlib
import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from app.extensions import db
from app.models import AuditLog, Candidature
from tests.conftest import DEMO_PASSWORD, demo

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Proxy:
    """Forwards 127.0.0.1:<port> to PostgreSQL; `cut()` closes every connection and refuses new ones, `blackhole()`
    keeps them open and swallows every byte (a frozen server or a dropped network), `restore()` forwards again."""

    def __init__(self, host, port):
        self.target = (host, port)
        self.mode = "pass"
        self.sockets = []
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(50)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.mode == "cut":
                client.close()
                continue
            self.sockets.append(client)
            if self.mode == "blackhole":
                continue  # accepted, never answered
            upstream = socket.create_connection(self.target)
            self.sockets.append(upstream)
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump(self, source, destination):
        try:
            while True:
                data = source.recv(65536)
                if not data or self.mode == "cut":
                    break
                if self.mode == "blackhole":
                    continue
                destination.sendall(data)
        except OSError:
            pass
        for sock in (source, destination):
            with contextlib.suppress(OSError):
                sock.close()

    def _close_all(self):
        for sock in self.sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            except OSError:
                pass
        self.sockets = []

    def cut(self):
        self.mode = "cut"
        self._close_all()

    def blackhole(self):
        self.mode = "blackhole"

    def restore(self):
        self._close_all()
        self.mode = "pass"

    def close(self):
        self.cut()
        self.listener.close()


class Browser:
    """Cookies kept, redirects followed, HTTP errors returned as answers."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def request(self, path, data=None, headers=None, method=None, body=None):
        if data is not None:
            body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(self.base + path, data=body, headers=headers or {}, method=method)
        try:
            with self.opener.open(request, timeout=20) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def csrf(self, path):
        _status, html = self.request(path)
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server_behind_proxy(app, tmp_path):
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "postgresql":
        pytest.skip("le proxy TCP se place devant PostgreSQL (CI : passage sur PostgreSQL)")
    proxy = Proxy(url.host or "127.0.0.1", url.port or 5432)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False),
        "SECRET_KEY": app.config["SECRET_KEY"],
        "TASKS_RUNNER": "manual",
        "RATELIMIT_ENABLED": "0",
        "LOAD_DEMO_ON_EMPTY_DB": "0",
        "DB_CONNECT_TIMEOUT": "3",
        "DB_STATEMENT_TIMEOUT": "3",
    }
    log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "1", "--timeout", "60", "-b", f"127.0.0.1:{port}", "run:app"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    browser = Browser(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 60
    while True:
        try:
            if browser.request("/login/")[0] == 200:
                break
        except OSError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            log.close()
            raise AssertionError("gunicorn n'a pas démarré :\n" + (tmp_path / "gunicorn.log").read_text()[-3000:])
        time.sleep(0.3)
    try:
        yield proxy, browser
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(20)
        log.close()
        proxy.close()
        print((tmp_path / "gunicorn.log").read_text()[-20000:])  # shown by pytest when the test failed


def french_503(status, html):
    return status == 503 and "Service momentanément indisponible" in html and "Aucune modification" in html


def api(browser, path, payload, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    status, body = browser.request(path, body=json.dumps(payload).encode(), headers=headers, method="POST")
    return status, json.loads(body)


@pytest.mark.committing
def test_pages_and_api_answer_a_french_503_while_postgresql_is_cut_or_black_holed(app, server_behind_proxy):
    proxy, browser = server_behind_proxy
    with app.app_context():
        target = demo(Candidature, numero_dossier="2026000002")
        pk, statut = target.id, target.statut
        audit_lines = db.session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.entity_type == "Candidature")
        )
        db.session.remove()
    status, body = api(
        browser, "/api/v1/security/login", {"username": "etab.admin", "password": DEMO_PASSWORD, "provider": "db"}
    )
    assert status == 200, body
    token = body["access_token"]
    csrf = browser.csrf("/login/")
    status, html = browser.request(
        "/login/", data={"username": "etab.admin", "password": DEMO_PASSWORD, "csrf_token": csrf}
    )
    assert status == 200 and "Tableau de bord" in html

    for trouble in (proxy.cut, proxy.blackhole):
        trouble()
        for path in ("/", "/candidatures/list/", f"/candidatures/show/{pk}"):
            assert french_503(*browser.request(path)), (trouble.__name__, path)
        anonymous = Browser(browser.base)
        assert french_503(*anonymous.request("/login/")), trouble.__name__
        status, body = api(
            browser, "/api/v1/security/login", {"username": "etab.admin", "password": DEMO_PASSWORD, "provider": "db"}
        )
        assert status == 503 and "momentanément indisponible" in body["message"]
        status, body = api(browser, f"/api/v1/candidature/{pk}/abandonner", {"motif": "Abandon du candidat"}, token)
        assert status == 503 and "Aucune modification n'a été enregistrée" in body["message"]
        status, body = browser.request("/sante")
        assert status == 503 and json.loads(body)["base"] == "panne"
        proxy.restore()
        # Back without a restart: the pool drops the dead connections and opens new ones.
        deadline = time.monotonic() + 30
        while browser.request("/")[0] != 200:
            assert time.monotonic() < deadline, f"pas de retour après {trouble.__name__}"
            time.sleep(0.5)
        assert "Tableau de bord" in browser.request("/")[1]
        assert json.loads(browser.request("/sante")[1])["base"] == "ok"

    # Nothing half-written: the refused transition left the file and its trail as they were.
    with app.app_context():
        assert db.session.get(Candidature, pk).statut == statut
        assert audit_lines == db.session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.entity_type == "Candidature")
        )
