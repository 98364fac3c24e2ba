"""National scale (issue 13): what makes the lists fast must keep them right.

- the files' counters kept by the database equal a real count after every kind of change (concurrent ones on
  PostgreSQL), and the lists' and dashboard's numbers read from them are the real ones;
- the name search ignores accents and case, the status filter is an equality;
- a list page runs the same number of statements whatever its rows show (no query per row);
- `clea bench-data` generates a national-shaped set (and refuses a real database);
- on PostgreSQL, with 50,000 generated files, the main list, search and dashboard queries use their indexes.
"""

import collections
import re
import threading
from typing import Any

import pytest
from flask import g
from sqlalchemy import event, func, select, text

from app.domain import statuts
from app.extensions import db
from app.models import Candidature, CompteurCandidature, Etablissement, Utilisateur
from app.services import candidatures, compteurs, transitions
from tests.conftest import demo
from tests.test_candidatures import valeurs


def real_counts() -> dict:
    rows = db.session.execute(
        select(
            Candidature.etablissement_id,
            Candidature.organisme_id,
            Candidature.certificateur_id,
            Candidature.statut,
            Candidature.actif,
        )
    ).all()
    return dict(collections.Counter((e, o, c or 0, s, bool(a)) for e, o, c, s, a in rows))


def kept_counts() -> dict:
    sums: collections.Counter = collections.Counter()
    for row in db.session.execute(select(CompteurCandidature)).scalars():
        key = (row.etablissement_id, row.organisme_id, row.certificateur_id, row.statut, bool(row.actif))
        sums[key] += row.nombre
    return {key: n for key, n in sums.items() if n}


def assert_counters_right():
    db.session.flush()
    assert kept_counts() == real_counts()


def acting(login):
    user = demo(Utilisateur, username=login)
    g.user = user
    return user


def test_counters_follow_every_kind_of_change(ctx):
    assert_counters_right()
    user = acting("etab.user")
    paris = demo(Etablissement, nom="Avenir Paris République")
    created = candidatures.creer(user, valeurs(paris.id, nom_naissance="Compteur", prenom="Alix"))
    assert_counters_right()
    transitions.abandonner(user, created.id, "Abandon du candidat")
    assert_counters_right()
    transitions.reintegrer(user, created.id)
    assert_counters_right()
    candidatures.changer_actif(acting("certifpro"), created.id, False)
    assert_counters_right()
    transitions.supprimer(acting("etab.user"), created.id)
    assert_counters_right()
    # A change made outside the services (a bulk UPDATE, a transfer's new establishment) is counted too.
    lille = demo(Etablissement, nom="Avenir Paris Lille")
    first = db.session.execute(select(Candidature).where(Candidature.etablissement_id == paris.id)).scalars().first()
    db.session.execute(
        text("UPDATE candidature SET etablissement_id = :e WHERE id = :c"), {"e": lille.id, "c": first.id}
    )
    db.session.execute(
        text("UPDATE candidature SET statut = :s WHERE statut = :a"), {"s": "abandonnee", "a": "certifiee"}
    )
    assert_counters_right()
    removed = compteurs.compacter()
    assert removed > 0
    assert_counters_right()


def test_the_numbers_users_see_are_real_counts(app, as_user, api_as):
    from app.security import perimeter

    with app.app_context():
        for login in ("certifpro", "reseau.admin", "org.admin", "etab.user", "certif.idf"):
            user = demo(Utilisateur, username=login)
            g.user = user
            visible = db.session.execute(perimeter.restrict(select(Candidature), Candidature, user)).scalars().all()
            expected = collections.Counter(c.statut for c in visible)
            assert compteurs.par_statut(user) == dict(expected), login
        # a jury member's files are those of its certifier's sessions: not on the counters, counted by the caller
        assert compteurs.par_statut(demo(Utilisateur, username="jury.idf")) is None
    api = api_as("reseau.admin")
    listed = api.get("/api/v1/candidature/?q=(filters:!((col:statut,opr:eq,value:attente_jury)))").get_json()
    assert listed["count"] == len(listed["result"]) > 0
    assert {row["statut"] for row in listed["result"]} == {"attente_jury"}
    page = as_user("reseau.admin").get("/").get_data(as_text=True)
    with app.app_context():
        admin = demo(Utilisateur, username="reseau.admin")
        g.user = admin
        waiting = len(
            db.session.execute(
                perimeter.restrict(select(Candidature.id), Candidature, admin).where(
                    # « En attente d'affectation à un jury » counts the completed files too (issue 17)
                    Candidature.statut.in_(statuts.CANDIDATURE.group("a_affecter")),
                    Candidature.actif.is_(True),
                )
            ).all()
        )
    assert re.search(
        rf'<div class="value">{waiting}</div><div class="label-text">En attente d(?:\'|&#39;)affectation', page
    )


def test_name_search_ignores_accents_and_case_and_status_filter_is_exact(app, as_user):
    client = as_user("certifpro")
    with app.app_context():
        paris = demo(Etablissement, nom="Avenir Paris République")
        g.user = demo(Utilisateur, username="etab.user")
        candidatures.creer(
            g.user, valeurs(paris.id, nom_naissance="Lefèvre", prenom="Noé", date_naissance="1991-02-03")
        )
        db.session.commit()
    for typed in ("lefevre", "LEFÈVRE", "Lefe"):
        page = client.get(f"/candidatures/list/?_flt_0_nom_naissance={typed}").get_data(as_text=True)
        assert "Lefèvre Noé" in page, typed
    assert "Lefèvre Noé" not in client.get("/candidatures/list/?_flt_0_nom_naissance=efevre").get_data(as_text=True)
    # The status filter compares the code: a status's prefix finds nothing, the code finds exactly that status.
    exact = client.get("/candidatures/list/?_flt_0_statut=attente_jury").get_data(as_text=True)
    assert shown_statuses(exact) == {"En attente de jury"}
    assert shown_statuses(client.get("/candidatures/list/?_flt_0_statut=attente").get_data(as_text=True)) == set()


def shown_count(page: str) -> int:
    """The list's « Nombre total d'élément » (French digits grouped by spaces)."""
    found = re.search(r"Nombre total d(?:'|&#39;)élément\s*:?\s*</strong>\s*([\d\s\u202f\xa0]+)", page)
    assert found, "no count on the page"
    return int(re.sub(r"\D", "", found.group(1)))


def test_filtered_lists_take_their_count_from_the_counters(app, as_user, statements):
    """A status or establishment filter of the page counts through the counters, as the unfiltered list does: no
    count(*) over the files (at 1,000,000 files, 16 ms of a 40 ms page); the number is the real one."""
    client = as_user("reseau.admin")
    with app.app_context():
        admin = acting("reseau.admin")
        paris = demo(Etablissement, nom="Avenir Paris République")
        visible = perimeter_files(admin)
    cases = {
        "/candidatures/list/?_flt_0_statut=attente_jury": [c for c in visible if c.statut == "attente_jury"],
        f"/candidatures/list/?_flt_0_etablissement={paris.id}": [c for c in visible if c.etablissement_id == paris.id],
    }
    for path, expected in cases.items():
        assert expected, path
        seen = statements(client, path)
        assert not [s for s in seen if s.startswith("SELECT count(*)") and "candidature" in s], (path, seen)
        assert shown_count(client.get(path).get_data(as_text=True)) == len(expected), path


def perimeter_files(user) -> list:
    from app.security import perimeter

    return list(db.session.execute(perimeter.restrict(select(Candidature), Candidature, user)).scalars())


def shown_statuses(page: str) -> set[str]:
    """The status labels in the list's table cells (not in the filter's dropdown)."""
    cells = {cell.strip() for cell in re.findall(r"<td[^>]*>([^<]*)</td>", page)}
    return cells & set(statuts.LABELS.values())


@pytest.fixture
def statements(app):
    from app.extensions import db as database

    with app.app_context():
        engine = database.engine
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(" ".join(statement.split())[:160])

    def measure(client, path):
        client.get(path)
        seen.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get(path).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return list(seen)

    return measure


def test_a_list_page_runs_the_same_statements_whatever_its_rows(app, as_user, statements):
    """Guard against a query per row: the list of 20 files (certified ones with mailings, sessions, several
    establishments) runs as many statements as a list of 1."""
    client = as_user("certifpro")
    full = statements(client, "/candidatures/list/")
    one = statements(client, "/candidatures/list/?_flt_0_numero_dossier=2026000018")
    assert len(full) == len(one), "\n".join(full) + "\n---\n" + "\n".join(one)
    assert len(statements(client, "/")) <= 30


def test_a_list_page_draws_its_rows_and_search_form_once_not_once_per_row(app, as_user, monkeypatch):
    """The rows' « Voir » buttons are drawn once per page (20 rows ask no more addresses than 1, each row still
    links its own file), the static files' and the tabs' addresses once, and the search form's fixed fields once
    per view (a later page draws only the picker, which shows the records filtered on); the page is the same."""
    from wtforms.meta import DefaultMeta

    client = as_user("certifpro")
    addresses: list[str] = []
    ask_address = app.url_for
    monkeypatch.setattr(
        app, "url_for", lambda endpoint, **kw: addresses.append(endpoint) or ask_address(endpoint, **kw)
    )
    drawn: list[str] = []
    draw_field = DefaultMeta.render_field
    monkeypatch.setattr(
        DefaultMeta, "render_field", lambda meta, f, kw: drawn.append(f.name) or draw_field(meta, f, kw)
    )

    def page(path):
        addresses.clear(), drawn.clear()
        html = client.get(path).get_data(as_text=True)
        return html, list(addresses), list(drawn)

    page("/candidatures/list/")
    full, full_addresses, full_fields = page("/candidatures/list/")
    one, one_addresses, _ = page("/candidatures/list/?_flt_0_numero_dossier=2026000018")
    shown = re.findall(r'href="/candidatures/show/(\d+)"[^>]*title="([^"]+)"', full)
    assert len(shown) == 20 and len({pk for pk, _ in shown}) == 20 and {t for _, t in shown} == {"Voir le détail"}
    assert len(re.findall(r'href="/candidatures/show/(\d+)"[^>]*title=', one)) == 1
    assert len(full_addresses) == len(one_addresses), collections.Counter(full_addresses) - collections.Counter(
        one_addresses
    )
    assert not [e for e in full_addresses if e.endswith("static")], full_addresses  # the 23 files' addresses too
    assert not {"FormationsView.list", "StatsView.index", "AdministrationView.index"} & set(full_addresses)  # tabs
    assert full_fields == ["etablissement"]  # the picker; the text, date, choice and check box fields are kept
    assert '"nom_naissance": "\\u003cinput' in full and '"statut": "\\u003cselect' in full


@pytest.mark.parametrize(
    ("login", "expected"),
    [("certifpro", 4), ("certif.idf", 4), ("reseau.admin", 5), ("org.admin", 5), ("etab.user", 5)],
)
def test_every_page_reads_its_user_and_bell_in_few_statements(as_user, statements, login, expected):
    """The fixed cost of every request: the user with its roles and groups and the revocation check in one
    statement (no lazy load of either), the bell's count and newest rows in one (+ for a network's or organisation's
    profiles, the tabs' « is an establishment of mine habilitated? »); the notifications page adds its own count
    and rows. The dashboard's four habilitation counters are one statement."""
    client = as_user(login)
    seen = [s for s in statements(client, "/notifications/") if s.startswith("SELECT")]  # not the test's SAVEPOINTs
    assert not [s for s in seen if s.startswith(("SELECT ab_role", "SELECT ab_group"))], "\n".join(seen)
    assert len(seen) == expected, "\n".join(seen)
    dashboard = statements(client, "/")
    assert len([s for s in dashboard if "demande_habilitation" in s]) <= 1, "\n".join(dashboard)


def test_a_files_page_reads_the_file_once(app, as_user, statements):
    """The route's perimeter check (a read) and the page share the file they read: one statement for it."""
    with app.app_context():
        pk = demo(Candidature, numero_dossier="2026000018").id
    client = as_user("certifpro")
    seen = statements(client, f"/candidatures/show/{pk}")
    reads = [s for s in seen if s.startswith("SELECT candidature.id, candidature.numero_dossier")]
    assert len(reads) == 1, "\n".join(reads)


def test_the_api_list_runs_the_same_statements_whatever_its_rows(app, api_as, statements):
    """The API's list reads its own columns only: no query per file (it ran one per row for the unloaded jury
    session), 20 files as many statements as 1."""
    api = api_as("certifpro")
    full = statements(api, "/api/v1/candidature/")
    one = statements(api, "/api/v1/candidature/?q=(filters:!((col:numero_dossier,opr:eq,value:'2026000018')))")
    assert len(full) == len(one), "\n".join(full) + "\n---\n" + "\n".join(one)
    assert len(full) <= 12, "\n".join(full)


def test_bench_data_generates_a_national_shaped_set_and_refuses_a_real_base(app):
    from app.bench_data import DonneesReelles, Generateur

    with app.app_context():
        Generateur(2000, echo=lambda *_: None).run(analyse=False)
        generated = db.session.execute(select(Candidature).where(Candidature.numero_dossier.like("0%"))).scalars().all()
        assert len(generated) == 2000
        assert len({c.cle_personne for c in generated}) == 2000
        assert {c.statut for c in generated} == set(statuts.STATUTS)
        reseau_a = demo(Utilisateur, username="reseau.admin")
        g.user = reseau_a
        assert compteurs.nombre(reseau_a) > 100  # a share lies under the demo network A
        assert_counters_right()
        g.user = demo(Utilisateur, username="etab.user")
        candidatures.creer(g.user, valeurs(demo(Etablissement, nom="Avenir Paris République").id))
        with pytest.raises(DonneesReelles, match="ni de démonstration ni générés"):
            Generateur(10, echo=lambda *_: None).run(analyse=False)
        db.session.rollback()


@pytest.mark.committing(reset="module")
def test_counters_stay_right_under_concurrent_changes(app):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("concurrent writers: PostgreSQL (SQLite has one writer at a time)")
    with app.app_context():
        user = demo(Utilisateur, username="etab.user")
        paris = demo(Etablissement, nom="Avenir Paris République")
        g.user = user
        ids = [
            candidatures.creer(
                user, valeurs(paris.id, nom_naissance=f"Course{k}", prenom="Zoé", date_naissance=f"1980-01-{k + 1:02d}")
            ).id
            for k in range(8)
        ]
    errors = []

    def work(candidature_id):
        try:
            with app.app_context():
                g.user = demo(Utilisateur, username="etab.user")
                for _ in range(5):
                    transitions.abandonner(g.user, candidature_id, "Abandon du candidat")
                    transitions.reintegrer(g.user, candidature_id)
                    db.session.remove()
                    g.user = demo(Utilisateur, username="etab.user")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=work, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        assert_counters_right()


@pytest.mark.committing(reset="module")
def test_fifty_thousand_files_are_read_through_their_indexes(app):
    """EXPLAIN of the main list's first page (each perimeter level), name search, status filter, « Page suivante »
    (by cursor), a deep page by its number and dashboard queries over 50,000 generated files: no sequential scan
    of `candidature` (their times: the benchmark)."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("the query plans are PostgreSQL's")
    from app.bench_data import Generateur
    from app.security import perimeter

    with app.app_context():
        Generateur(50_000, echo=lambda *_: None).run(force=True)
        plans = {}
        for login in ("certifpro", "reseau.admin", "org.admin", "etab.user", "certif.idf"):
            user = demo(Utilisateur, username=login)
            g.user = user
            base = perimeter.restrict(select(Candidature), Candidature, user)
            latest = base.order_by(Candidature.updated_at.desc(), Candidature.id.desc()).limit(20)
            plans[f"liste {login}"] = latest
            plans[f"dernières certifiées {login}"] = (
                base.where(Candidature.statut.in_(statuts.CANDIDATURE.group("certifiee")))
                .order_by(Candidature.updated_at.desc(), Candidature.id.desc())
                .limit(5)
            )
            plans[f"statut {login}"] = latest.where(Candidature.statut == statuts.CERTIFIEE)
            plans[f"nom {login}"] = latest.where(Candidature.nom_recherche.like("LEFEVRE%"))
        for name, query in plans.items():
            compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
            plan = "\n".join(row[0] for row in db.session.execute(text(f"EXPLAIN {compiled}")))
            assert "Seq Scan on candidature" not in plan, f"{name}:\n{plan}"
    # « Page suivante » (a cursor, no OFFSET: app/services/listes.py), the statement each profile's list sends:
    # requested outside the app context above, so that each request has its own `g` (its own logged-in user).
    logins = ("certifpro", "reseau.admin", "org.admin", "etab.user", "certif.idf")
    sent = {login: keyset_statement(app, login) for login in logins}
    with app.app_context():
        for login, (statement, parameters) in sent.items():
            rows = db.session.connection().exec_driver_sql("EXPLAIN " + statement, parameters)
            plan = "\n".join(row[0] for row in rows)
            assert "Seq Scan on candidature" not in plan, f"page suivante {login}:\n{plan}"
    # A deep page by its number (OFFSET): the rows skipped are index entries only (an index-only scan of the
    # default order's index, the perimeter's columns in it: a certifier's status included), then 20 rows by id.
    for login in ("certifpro", "reseau.admin", "certif.idf"):
        statement, parameters = offset_statement(app, login, page=30)
        with app.app_context():
            rows = db.session.connection().exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters)
            nodes = [n for n in plan_nodes(rows.scalar()[0]["Plan"]) if n.get("Relation Name") == "candidature"]
        assert nodes and all(n["Node Type"] != "Seq Scan" for n in nodes), (login, nodes)
        assert any(n["Node Type"] == "Index Only Scan" for n in nodes), (login, nodes)
    # The national search of a common name: through the name's index, and the planner expecting about as many
    # files as bear it (a range added to the LIKE made it expect 1 and join the establishments row by row).
    searched = {login: search_statement(app, login) for login in ("certifpro", "reseau.admin")}
    with app.app_context():
        bearing = db.session.scalar(
            select(func.count()).select_from(Candidature).where(Candidature.nom_recherche.like("LEFEVRE%"))
        )
        assert bearing >= 100
        for login, (statement, parameters) in searched.items():
            rows = db.session.connection().exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters)
            plan = rows.scalar()
            scans = [node for node in plan_nodes(plan[0]["Plan"]) if node.get("Relation Name") == "candidature"]
            assert scans and all(node["Node Type"] != "Seq Scan" for node in scans), (login, plan)
            if login == "certifpro":  # the whole country: every file bearing the name is a result
                assert sum(node["Plan Rows"] for node in scans) >= bearing / 10, (login, bearing, plan)


def plan_nodes(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from plan_nodes(child)


def sent_statement(app, username: str, ask, marked) -> tuple[str, Any]:
    """The one statement (and its parameters) that `ask(client)`, a request of `username`, sends and `marked`
    recognises."""
    from tests.conftest import login

    client = login(app.test_client(), username)
    sent = []

    def keep(conn, cursor, statement, parameters, *args):
        if marked(statement):
            sent.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        assert ask(client).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert len(sent) == 1, (username, sent)
    return sent[0]


def search_statement(app, username: str) -> tuple[str, Any]:
    """The statement of the magnifier's national search for « lefevre », as the page sends it."""
    return sent_statement(
        app,
        username,
        lambda client: client.post("/recherche/", data={"nom": "lefevre"}),
        lambda statement: "nom_recherche" in statement and "AS visible" in statement,
    )


def offset_statement(app, username: str, page: int) -> tuple[str, Any]:
    """The rows' statement of the list's page `page` asked by its number, as the page sends it."""
    return sent_statement(
        app,
        username,
        lambda client: client.get(f"/candidatures/list/?page_CandidatureView={page}"),
        lambda statement: "OFFSET" in statement and "FROM candidature" in statement,
    )


def keyset_statement(app, username: str) -> tuple[str, Any]:
    """The rows' statement of the list's second page reached by « Page suivante », as the page sends it."""
    import html

    def next_page(client):
        first = client.get("/candidatures/list/").get_data(as_text=True)
        target = html.unescape(re.search(r'<a href="([^"]*)" aria-label="Page suivante"', first).group(1))
        assert "suite=" in target, username
        return client.get(target)

    return sent_statement(
        app, username, next_page, lambda statement: "(candidature.updated_at, candidature.id) <" in statement
    )


def test_the_establishment_filter_is_a_picker_over_the_perimeter(as_user):
    """The list page no longer carries every establishment: the filter asks the `choix` route as one types."""
    client = as_user("reseau.admin")
    page = client.get("/candidatures/list/").get_data(as_text=True)
    assert "data-clea-picker" in page and "Compétences Méditerranée Marseille" not in page
    found = client.get("/candidatures/choix/etablissement?q=avenir").get_json()
    names = {row["text"] for row in found["results"]}
    assert "Avenir Paris République" in names and found["pagination"] == {"more": False}
    # Network B's establishments stay out of network A's picker, whatever is typed.
    assert client.get("/candidatures/choix/etablissement?q=Marseille").get_json()["results"] == []
    assert client.get("/candidatures/choix/statut").status_code == 404
    # A filter already chosen shows its establishment (and only it) in the page.
    chosen = client.get("/candidatures/list/?_flt_0_etablissement=1").get_data(as_text=True)
    assert chosen.count("data-clea-picker") == 1


def test_stats_are_computed_once_per_period_and_say_when(app, as_user, monkeypatch):
    from app.extensions import cache

    monkeypatch.setitem(app.config, "STATS_CACHE_SECONDES", 600)
    cache.clear()
    client = as_user("certifpro")
    first = client.get("/stats/").get_data(as_text=True)
    when = re.search(r"Date de génération des statistiques : <b>([^<]+)</b> à ([0-9h:]+)", first).groups()
    with app.app_context():
        g.user = demo(Utilisateur, username="etab.user")
        candidatures.creer(
            g.user, valeurs(demo(Etablissement, nom="Avenir Paris République").id, nom_naissance="Stats", prenom="Ugo")
        )
        db.session.commit()
    again = client.get("/stats/").get_data(as_text=True)
    # The same figures and the same « Date de génération »: the page says they were computed then.
    assert re.search(r"Date de génération des statistiques : <b>([^<]+)</b> à ([0-9h:]+)", again).groups() == when
    assert re.search(r'id="stat-dossiers">([^<]+)<', again).group(1) == re.search(
        r'id="stat-dossiers">([^<]+)<', first
    ).group(1)
    cache.clear()
    fresh = client.get("/stats/").get_data(as_text=True)
    total = int(re.search(r'id="stat-dossiers">([^<]+)<', fresh).group(1).replace("\u202f", "").replace(" ", ""))
    before = int(re.search(r'id="stat-dossiers">([^<]+)<', first).group(1).replace("\u202f", "").replace(" ", ""))
    assert total == before + 1


@pytest.mark.committing  # exports.preparer records its progress through connections of its own
def test_a_big_api_export_is_prepared_in_the_background(app, api_as, monkeypatch):
    """Beyond EXPORT_API_DIRECT_MAX rows the API does not build the file in the request: 202, then the job's
    progress and its file at /api/v1/export/<id>, for its requester only."""
    from app import tasks

    monkeypatch.setitem(app.config, "EXPORT_API_DIRECT_MAX", 3)
    api = api_as("reseau.admin")
    small = api.get("/api/v1/candidature/export?q=(filters:!((col:numero_dossier,opr:eq,value:'2026000001')))")
    assert small.status_code == 200 and small.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    big = api.get("/api/v1/candidature/export")
    assert big.status_code == 202, big.get_data(as_text=True)
    job = big.get_json()
    assert big.headers["Location"] == f"/api/v1/export/{job['id']}"
    assert job["statut"] == "en_attente" and "préparé en arrière-plan" in job["message"] and job["fichier"] is None
    assert api.get(f"/api/v1/export/{job['id']}/fichier").status_code == 404
    assert api_as("org.admin").get(f"/api/v1/export/{job['id']}").status_code == 404
    tasks.run_pending()
    done = api.get(f"/api/v1/export/{job['id']}").get_json()
    assert done["statut"] == "pret" and done["lignes_faites"] == done["lignes_total"] == job["lignes_total"] > 3
    file = api.get(done["fichier"])
    assert file.status_code == 200 and file.data[:2] == b"PK"


@pytest.mark.committing  # exports.preparer records its progress through connections of its own
def test_a_prepared_file_is_kept_and_sent_part_after_part(app, as_user, monkeypatch):
    """Whatever its size, an export never sits whole in memory: kept in parts of PartieExport.TAILLE bytes,
    downloaded part after part — the same bytes, a valid workbook."""
    import io

    from openpyxl import load_workbook

    from app import tasks
    from app.models.exports import FichierExport, PartieExport

    monkeypatch.setattr(PartieExport, "TAILLE", 4096)
    client = as_user("certifpro")
    asked = client.post("/candidatures/exporter", data={"filtres": ""})
    assert asked.status_code == 302
    tasks.run_pending()
    with app.app_context():
        job = db.session.execute(select(FichierExport).order_by(FichierExport.id.desc())).scalars().first()
        parts = (
            db.session.execute(
                select(PartieExport.donnees).where(PartieExport.job_id == job.id).order_by(PartieExport.numero)
            )
            .scalars()
            .all()
        )
        job_id, size = job.id, job.taille
    assert len(parts) == -(-size // 4096) > 1 and all(len(p) == 4096 for p in parts[:-1])
    download = client.get(f"/exports/{job_id}/fichier")
    assert download.status_code == 200 and download.headers["Content-Length"] == str(size)
    assert download.data == b"".join(parts)
    assert load_workbook(io.BytesIO(download.data), read_only=True).sheetnames
