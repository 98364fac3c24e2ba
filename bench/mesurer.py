"""The national-scale benchmark (issue 13): times the pages national users click all day.

For each page and profile (Certif Pro, a certifier, a network admin, an establishment user) it measures, interleaved
round after round so that a noisy neighbour weighs on all alike:
- the page through HTTP, on the platform served by gunicorn (2 workers, as in production);
- the raw SQL the page needs (its rows and its count, written by hand with the profile's perimeter), via psycopg2;
- the same list through a stock Flask-AppBuilder `ModelView` over the same tables (bench/stock_fab.py);
and the number of SQL statements the page runs (in-process, the platform's own test client).

Usage (a database filled by `flask --app run clea bench-data --fichiers N`):

    DATABASE_URL=postgresql://postgres@127.0.0.1/clea_bench python bench/mesurer.py [--tours 20] [--json]

The script starts both gunicorn servers itself (ports 8700 and 8701) and stops them at the end; `--url` and
`--url-fab` measure servers already running instead.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "Clea-demo-2026!"
PROFILES = {
    "Certif Pro": "certifpro",
    "certificateur": "certif.idf",
    "admin réseau": "reseau.admin",
    "utilisateur établissement": "etab.user",
}


@dataclass
class Page:
    name: str
    path: str
    # (rows SQL, count SQL) with {perimetre} for the profile's WHERE clause; None: no raw SQL for this page.
    sql: tuple[str, ...] | None = None
    stock: str | None = None  # the same list on the stock FAB app
    method: str = "GET"
    data: dict | None = None
    profiles: tuple[str, ...] = tuple(PROFILES)


TAILLE, PROFONDEUR = 20, 999  # the list's page size; « page 1 000 » is page 999 counted from 0
LIST_SQL = (
    "SELECT c.id, c.numero_dossier, c.nom_naissance, c.prenom, c.nom_usage, c.statut, c.session_jury_id, c.actif, "
    "e.nom FROM candidature c JOIN etablissement e ON e.id = c.etablissement_id WHERE {perimetre} {extra} "
    "ORDER BY c.updated_at DESC, c.id DESC LIMIT 20 OFFSET {offset}",
    "SELECT count(*) FROM candidature c WHERE {perimetre} {extra}",
)


def pages() -> list[Page]:
    def list_sql(extra="", offset=0):
        return tuple(s.replace("{extra}", extra).replace("{offset}", str(offset)) for s in LIST_SQL)

    status = "certifiee"
    return [
        Page("tableau de bord", "/", None),
        Page("CANDIDATURE, page 1", "/candidatures/list/", list_sql(), "/candidatures/list/"),
        Page(
            "filtrée par statut",
            f"/candidatures/list/?_flt_0_statut={status}",
            list_sql(f"AND c.statut = '{status}'"),
            f"/candidatures/list/?_flt_0_statut={status}",
        ),
        Page(
            "recherche par nom",
            "/candidatures/list/?_flt_0_nom_naissance=lefevre",
            list_sql("AND c.nom_recherche LIKE 'LEFEVRE%'"),
            "/candidatures/list/?_flt_0_nom_naissance=lef%C3%A8vre",
        ),
        Page(
            "page 1 000",
            f"/candidatures/list/?page_CandidatureView={PROFONDEUR}",
            list_sql(offset=PROFONDEUR * TAILLE),
            f"/candidatures/list/?page_CandidatureView={PROFONDEUR}",
        ),
        # The same page reached by « Page suivante » from page 999: the cursor of the row before it, no OFFSET
        # (app/services/listes.py); the stock FAB app has no such link.
        Page(
            "page profonde (suivante)",
            f"/candidatures/list/?page_CandidatureView={PROFONDEUR}&suite={{suite}}",
            (
                LIST_SQL[0].replace("{extra}", "AND (c.updated_at, c.id) < {curseur}").replace(" OFFSET {offset}", ""),
                LIST_SQL[1].replace("{extra}", ""),
            ),
        ),
        Page("STATS", "/stats/", None, profiles=("Certif Pro", "certificateur", "admin réseau")),
        Page("page d'un candidat", "/candidatures/show/{candidat}", None),
        Page("notifications", "/notifications/", None),
        # The magnifier's national search (posted: names stay out of URLs), a name's accent-free prefix.
        Page("recherche nationale", "/recherche/", None, method="POST", data={"nom": "lefevre"}),
        Page("API, liste", "/api/v1/candidature/", None),
    ]


def fill(text: str, values: dict) -> str:
    """A page's path or SQL with the profile's values: {candidat}, {suite}, {curseur}, {perimetre}."""
    for key, value in values.items():
        text = text.replace("{" + key + "}", str(value))
    return text


def deep_cursor(cursor, user: dict) -> dict:
    """The cursor of the row just before page 1 000 of the profile's list (offset 19,979 in the default order), as
    « Page suivante » of page 999 carries it (`suite`, signed with the platform's key) and as raw SQL; a list too
    short for that page gets an empty one (the plain page, empty) and a cursor no row passes. The key is the
    platform's SECRET_KEY (config.py) as the servers this script starts read it; a server given by --url with
    another key takes the cursor for a foreign one and serves the page by its OFFSET."""
    from app.services import listes
    from config import Config

    cursor.execute(
        f"SELECT c.updated_at, c.id FROM candidature c WHERE {perimeter_sql(user)} "
        f"ORDER BY c.updated_at DESC, c.id DESC LIMIT 1 OFFSET {PROFONDEUR * TAILLE - 1}"
    )
    row = cursor.fetchone()
    if row is None:
        return {"suite": "", "curseur": "(NULL::timestamp, 0)"}
    updated_at, pk = row
    suite = listes.curseur(
        listes.SUIVANTE,
        PROFONDEUR,
        TAILLE,
        "desc",
        listes.empreinte(None),
        user["id"],
        updated_at,
        pk,
        Config.SECRET_KEY,
    )
    return {"suite": suite, "curseur": f"('{updated_at.isoformat(sep=' ')}'::timestamp, {pk})"}


def perimeter_sql(user: dict) -> str:
    """The profile's perimeter in plain SQL (roles.md), as the raw queries need it."""
    if user["profil"] == "certif_pro":
        return "true"
    if user["certificateur_id"]:
        chez = "'attente_jury','attente_certification','attente_complement','candidature_completee','certifiee',"
        chez += "'non_certifiee'"
        return f"c.certificateur_id = {user['certificateur_id']} AND c.statut IN ({chez})"
    if user["reseau_id"]:
        return f"c.organisme_id IN (SELECT id FROM organisme WHERE reseau_id = {user['reseau_id']})"
    if user["organisme_id"]:
        return f"c.organisme_id = {user['organisme_id']}"
    return f"c.etablissement_id = {user['etablissement_id']}"


@dataclass
class Serie:
    times: list[float] = field(default_factory=list)

    def add(self, seconds: float) -> None:
        self.times.append(seconds * 1000)

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times else None

    @property
    def p95(self) -> float | None:
        if not self.times:
            return None
        ordered = sorted(self.times)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def csrf_token(html: str) -> str:
    """The token of the page's form (Flask-WTF), empty when the page has none."""
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    return found.group(1) if found else ""


def login(base: str, username: str) -> requests.Session:
    session = requests.Session()
    html = session.get(f"{base}/login/", timeout=30).text
    response = session.post(
        f"{base}/login/",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_token(html)},
        allow_redirects=False,
        timeout=30,
    )
    if response.status_code != 302:
        raise SystemExit(f"Connexion impossible pour {username} ({response.status_code}).")
    api = session.post(
        f"{base}/api/v1/security/login",
        json={"username": username, "password": PASSWORD, "provider": "db"},
        timeout=30,
    )
    session.bearer = api.json().get("access_token") if api.ok else None  # type: ignore[attr-defined]
    session.csrf = csrf_token(session.get(f"{base}/recherche/", timeout=30).text)  # type: ignore[attr-defined]
    return session


def fetch(session: requests.Session, url: str, api: bool = False, page: Page | None = None) -> tuple[float, int]:
    headers = {"Authorization": f"Bearer {session.bearer}"} if api else {}  # type: ignore[attr-defined]
    started = time.perf_counter()
    if page is not None and page.method == "POST":
        data = {**(page.data or {}), "csrf_token": session.csrf}  # type: ignore[attr-defined]
        response = session.post(url, data=data, headers=headers, timeout=120)
    else:
        response = session.get(url, headers=headers, timeout=120)
    return time.perf_counter() - started, response.status_code


def start(command: list[str], env: dict, port: int) -> subprocess.Popen:
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            requests.get(f"http://127.0.0.1:{port}/login/", timeout=30)
            return process
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"Le serveur du port {port} n'a pas démarré : {' '.join(command)}")


CHARGE_LUA = """
-- Mixed load: every request takes the next (cookie, path) pair, profiles and pages interleaved.
local pairs_ = {PAIRS}
local n = 0
request = function()
  n = n + 1
  local p = pairs_[(n % #pairs_) + 1]
  return wrk.format("GET", p[2], {["Cookie"] = p[1]})
end
"""


def charge(base: str, sessions: dict, samples: dict, page_list: list[Page], seconds: int) -> dict:
    """A sustained mixed load with `wrk` (2 threads, 8 connections: a light client that leaves the two cores to
    the server): requests per second and errors."""
    import shutil
    import tempfile

    if not shutil.which("wrk"):
        raise SystemExit("--charge demande wrk (paquet Debian « wrk »).")
    entries = []
    for page in page_list:
        if page.path.startswith("/api/") or page.method != "GET":  # wrk's script sends GETs with a cookie
            continue
        for label in page.profiles:
            cookie = "; ".join(f"{k}={v}" for k, v in sessions[label].cookies.items())
            path = fill(page.path, samples[label])
            entries.append("{" + json.dumps(cookie) + ", " + json.dumps(path) + "}")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(CHARGE_LUA.replace("{PAIRS}", "{" + ", ".join(entries) + "}"))
    out = subprocess.run(
        ["wrk", "-t2", "-c8", f"-d{seconds}s", "--timeout", "10s", "-s", script.name, base],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(script.name)
    rate = re.search(r"Requests/sec:\s*([0-9.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    socket_errors = re.search(r"Socket errors:(.*)", out)
    return {
        "requetes_par_seconde": float(rate.group(1)) if rate else None,
        "reponses_en_erreur": int(errors.group(1)) if errors else 0,
        "erreurs_reseau": socket_errors.group(1).strip() if socket_errors else "",
        "pages": len(entries),
    }


def statements_per_page(database_url: str, users: dict, page_list: list[Page], samples: dict) -> dict:
    """SQL statements of each page, counted in-process with the platform's own test client."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["TASKS_RUNNER"] = "manual"  # no background thread of ours touching the benchmark's data
    from sqlalchemy import event

    from app import create_app
    from app.extensions import db

    # Posted pages without their form's token; the search's per-user limit off (as for the servers).
    app = create_app({"WTF_CSRF_ENABLED": False, "RECHERCHE_PAR_MINUTE": 1_000_000})
    counts: dict = {}
    seen = [0]

    def count(*_args, **_kwargs):
        seen[0] += 1

    # The requests outside any application context of ours: each has its own (its own `g` and database
    # session), as on the servers — inside one, Flask reuses it and the user, the bell… were read once for all.
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    for label, username in PROFILES.items():
        client = app.test_client()
        client.post(
            "/login/",
            data={"username": username, "password": PASSWORD, "csrf_token": csrf_token(client.get("/login/").text)},
        )
        for page in page_list:
            if label not in page.profiles or page.path.startswith("/api/"):
                continue
            path = fill(page.path, samples[label])

            def ask(path=path, page=page, client=client):
                if page.method == "POST":
                    return client.post(path, data=page.data)
                return client.get(path)

            ask()  # warm caches the way a second click would
            seen[0] = 0
            if ask().status_code == 200:
                counts[(page.name, label)] = seen[0]
    event.remove(engine, "before_cursor_execute", count)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tours", type=int, default=20, help="requêtes chronométrées par page (après échauffement)")
    parser.add_argument("--url", help="plateforme déjà démarrée (sinon gunicorn sur le port 8700)")
    parser.add_argument("--url-fab", help="application FAB de référence déjà démarrée (sinon port 8701)")
    parser.add_argument("--json", action="store_true", help="résultats en JSON")
    parser.add_argument("--pages", help="ne mesurer que les pages dont le nom contient ce texte")
    parser.add_argument("--sans", action="append", default=[], help="pages laissées de côté (nom contenant ce texte)")
    parser.add_argument("--charge", type=int, default=0, help="puis N secondes de charge mixte avec wrk (0 : aucune)")
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgresql"):
        raise SystemExit("DATABASE_URL doit désigner la base PostgreSQL remplie par `clea bench-data`.")

    import psycopg2

    raw = psycopg2.connect(database_url)
    raw.autocommit = True
    cursor = raw.cursor()
    users, samples = {}, {}
    for label, username in PROFILES.items():
        cursor.execute(
            "SELECT u.id, r.name, u.reseau_id, u.organisme_id, u.etablissement_id, u.certificateur_id FROM ab_user u "
            "JOIN ab_user_role ur ON ur.user_id = u.id JOIN ab_role r ON r.id = ur.role_id WHERE u.username = %s",
            (username,),
        )
        uid, role, reseau, organisme, etab, certif = cursor.fetchone()
        profil = "certif_pro" if username == "certifpro" else role
        users[label] = {
            "id": uid,
            "profil": profil,
            "reseau_id": reseau,
            "organisme_id": organisme,
            "etablissement_id": etab,
            "certificateur_id": certif,
        }
        cursor.execute(f"SELECT c.id FROM candidature c WHERE {perimeter_sql(users[label])} ORDER BY c.id LIMIT 1")
        samples[label] = {"candidat": cursor.fetchone()[0], **deep_cursor(cursor, users[label])}
    cursor.execute("SELECT count(*) FROM candidature")
    files = cursor.fetchone()[0]

    page_list = [
        p
        for p in pages()
        if (not args.pages or args.pages.lower() in p.name.lower())
        and not any(left_out.lower() in p.name.lower() for left_out in args.sans)
    ]
    servers = []
    env = {**os.environ, "DATABASE_URL": database_url, "BENCH_DATABASE_URL": database_url, "TASKS_RUNNER": "manual"}
    # The STATS cache as in production (config.ProductionConfig): one Redis cache for both workers, emptied first so
    # that the warm-up rounds compute the figures.
    env.setdefault("RECHERCHE_PAR_MINUTE", "1000000")  # the search's per-user limit is a policy, not a speed
    env.setdefault("CACHE_TYPE", "RedisCache")
    env.setdefault("CACHE_REDIS_URL", "redis://127.0.0.1:6379/3")
    if env["CACHE_TYPE"] == "RedisCache":
        import redis

        redis.Redis.from_url(env["CACHE_REDIS_URL"]).flushdb()
    gunicorn = [sys.executable, "-m", "gunicorn", "-w", "2", "--timeout", "120"]
    base, stock = args.url, args.url_fab
    try:
        if not base:
            servers.append(start([*gunicorn, "-b", "127.0.0.1:8700", "run:app"], env, 8700))
            base = "http://127.0.0.1:8700"
        if not stock:
            servers.append(start([*gunicorn, "-b", "127.0.0.1:8701", "bench.stock_fab:create_app()"], env, 8701))
            stock = "http://127.0.0.1:8701"
        sessions = {label: login(base, username) for label, username in PROFILES.items()}
        stock_session = requests.Session()
        series: dict[tuple, Serie] = {}
        errors: list[str] = []
        plan = []
        for page in page_list:
            for label in PROFILES:
                if label in page.profiles:
                    plan.append((page, label))
            if page.stock:
                plan.append((page, "FAB"))

        def one_round(timed: bool) -> None:
            for page, label in plan:
                if label == "FAB":
                    seconds, status = fetch(stock_session, stock + page.stock)
                    kind = "fab"
                else:
                    path = fill(page.path, samples[label])
                    seconds, status = fetch(sessions[label], base + path, api=path.startswith("/api/"), page=page)
                    kind = "page"
                if status != 200:
                    errors.append(f"{page.name} / {label}: HTTP {status}")
                if timed:
                    series.setdefault((page.name, label, kind), Serie()).add(seconds)
                if label != "FAB" and page.sql and timed:
                    values = {**samples[label], "perimetre": perimeter_sql(users[label])}
                    started = time.perf_counter()
                    for statement in page.sql:
                        cursor.execute(fill(statement, values))
                        cursor.fetchall()
                    series.setdefault((page.name, label, "sql"), Serie()).add(time.perf_counter() - started)

        for _ in range(2):
            one_round(timed=False)
        for _ in range(args.tours):
            one_round(timed=True)
        load = charge(base, sessions, samples, page_list, args.charge) if args.charge else None
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
        for server in servers:
            server.wait(timeout=30)
    counts = statements_per_page(database_url, users, page_list, samples)

    results = []
    for page in page_list:
        for label in page.profiles:
            page_serie = series.get((page.name, label, "page"))
            sql_serie = series.get((page.name, label, "sql"))
            fab_serie = series.get((page.name, "FAB", "fab"))
            results.append(
                {
                    "page": page.name,
                    "profil": label,
                    "median_ms": page_serie.median if page_serie else None,
                    "p95_ms": page_serie.p95 if page_serie else None,
                    "sql_median_ms": sql_serie.median if sql_serie else None,
                    "fab_median_ms": fab_serie.median if fab_serie else None,
                    "fab_p95_ms": fab_serie.p95 if fab_serie else None,
                    "requetes_sql": counts.get((page.name, label)),
                }
            )
    if args.json:
        print(
            json.dumps(
                {"dossiers": files, "tours": args.tours, "resultats": results, "erreurs": errors, "charge": load},
                indent=1,
            )
        )
        return

    def ms(value):
        return "—" if value is None else f"{value:,.0f}".replace(",", " ")

    print(
        f"{files:,} dossiers, {args.tours} requêtes chronométrées par page et profil (médiane / p95, ms)".replace(
            ",", " "
        )
    )
    print(
        f"{'page':<22} {'profil':<26} {'page':>13} {'SQL':>7} {'/ SQL':>6} {'FAB stock':>13} {'/ FAB':>6} "
        f"{'requêtes':>8}"
    )
    for row in results:
        ratio_sql = row["median_ms"] / row["sql_median_ms"] if row["sql_median_ms"] else None
        ratio_fab = row["median_ms"] / row["fab_median_ms"] if row["fab_median_ms"] else None
        print(
            f"{row['page']:<22} {row['profil']:<26} {ms(row['median_ms']):>6} / {ms(row['p95_ms']):>5} "
            f"{ms(row['sql_median_ms']):>7} {'' if ratio_sql is None else f'{ratio_sql:.1f}':>6} "
            f"{ms(row['fab_median_ms']):>6} / {ms(row['fab_p95_ms']):>5} "
            f"{'' if ratio_fab is None else f'{ratio_fab:.2f}':>6} {row['requetes_sql'] or '—':>8}"
        )
    if load:
        print(
            f"\nCharge mixte ({load['pages']} pages et profils, wrk 2 threads, 8 connexions, {args.charge} s) : "
            f"{load['requetes_par_seconde']} requêtes/s, {load['reponses_en_erreur']} réponse(s) en erreur"
            + (f", réseau : {load['erreurs_reseau']}" if load["erreurs_reseau"] else "")
        )
    if errors:
        print(f"\n{len(errors)} réponse(s) en erreur, dont : " + " ; ".join(sorted(set(errors))[:10]))


if __name__ == "__main__":
    main()
