"""« Page suivante », « Page précédente » and « Dernière page » of the CANDIDATURE list (issue 13): in the default
order (« Dernière modification ») they read by cursor, without OFFSET, and show exactly the rows of the numbered
pages — ties on the date included, with filters, with a name search — while the page number stays right. A cursor
that was tampered with, or made for another list or another user, gives the page of that number, never a 500 and
never a file outside the perimeter."""

import datetime
import html
import re

import pytest
from flask import g
from itsdangerous import URLSafeSerializer
from sqlalchemy import event, select, text, update

from app.extensions import db
from app.models import Candidature, Etablissement, Utilisateur
from app.security import perimeter
from app.services import candidatures, listes
from tests.conftest import demo
from tests.test_candidatures import valeurs

LISTE = "/candidatures/list/"
PARIS = "Avenir Paris République"


def numeros(page: str) -> list[str]:
    """The « Numéro de dossier » of each row of the list, in the order shown."""
    rows = re.findall(r"<tr>(.*?)</tr>", page.split("<tbody", 1)[-1] if "<tbody" in page else page, flags=re.S)
    shown = []
    for row in rows:
        if 'name="rowid"' in row:
            shown.append(re.findall(r"<td>([^<]*)</td>", row)[0].strip())
    return shown


def lien(page: str, label: str) -> str | None:
    """The address of the pagination's link named `label` (« Page suivante »…); None when it is not a link."""
    found = re.search(r'<a href="([^"]*)" aria-label="' + label + '"', page)
    return html.unescape(found.group(1)) if found else None


def page_affichee(page: str) -> int:
    found = re.search(r'<span class="sr-only">Page </span>(\d+)<span class="sr-only"> \(page affichée\)', page)
    return int(found.group(1)) if found else 1


def attendus(app, login: str, *conditions, ordre: str = "desc") -> list[str]:
    """Every file of the user's list, in the list's order (by date and id, as Python compares them), straight from
    the database."""
    with app.app_context():
        user = demo(Utilisateur, username=login)
        g.user = user
        query = perimeter.restrict(
            select(Candidature.updated_at, Candidature.id, Candidature.numero_dossier), Candidature, user
        ).where(*conditions)
        rows = sorted(db.session.execute(query).all(), key=lambda r: (r[0], r[1]), reverse=ordre == "desc")
        return [numero for _, _, numero in rows]


def par_pages(rows: list[str], taille: int) -> list[list[str]]:
    return [rows[i : i + taille] for i in range(0, len(rows), taille)]


def memes_dates(app, login: str, combien: int, depuis: int = 2, *conditions) -> None:
    """Gives `combien` files of the list one and the same « Dernière modification », across page boundaries: half
    of them written by SQLAlchemy, half by plain SQL (on SQLite, the same instant as another text)."""
    with app.app_context():
        user = demo(Utilisateur, username=login)
        g.user = user
        query = perimeter.restrict(select(Candidature.id), Candidature, user).where(*conditions)
        ids = list(db.session.execute(query.order_by(Candidature.updated_at.desc(), Candidature.id.desc())).scalars())
        chosen = ids[depuis : depuis + combien]
        moment = datetime.datetime(2026, 6, 15, 9, 30)
        db.session.execute(update(Candidature).where(Candidature.id.in_(chosen[::2])).values(updated_at=moment))
        for pk in chosen[1::2]:
            db.session.execute(
                text("UPDATE candidature SET updated_at = '2026-06-15 09:30:00' WHERE id = :pk"), {"pk": pk}
            )
        db.session.commit()


@pytest.fixture
def sql(app):
    """The SELECT statements of the list's rows that one request runs (an OFFSET of 0 left out)."""
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, *args):
        flat = " ".join(statement.split())
        # Not the read of what the page's files show (listes.precharger: their establishments… a LIMIT inside).
        page_rows = not flat.startswith("SELECT candidature.id, etablissement.")
        if flat.startswith("SELECT candidature.") and "FROM candidature" in flat and "LIMIT" in flat and page_rows:
            # SQLite's dialect always writes « OFFSET ? »: there, an offset of 0 is none.
            if flat.endswith("OFFSET ?") and isinstance(parameters, tuple | list) and parameters[-1] == 0:
                flat = flat[: -len(" OFFSET ?")]
            seen.append(flat)

    def run(client, path):
        seen.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            response = client.get(path)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert response.status_code == 200, path
        return response.get_data(as_text=True), list(seen)

    return run


def suivre(client, sql, path: str, label: str = "Page suivante"):
    """The pages met by following the link `label` from `path` until it is no longer a link: (page number shown,
    rows) of each, and the list's statements of the pages reached by the link."""
    pages, statements = [], []
    page, _ = sql(client, path)
    pages.append((page_affichee(page), numeros(page)))
    while (target := lien(page, label)) is not None:
        page, seen = sql(client, target)
        pages.append((page_affichee(page), numeros(page)))
        statements.append((target, seen))
    return pages, statements


def assert_par_curseur(statements, sans_offset: bool = True) -> None:
    for target, seen in statements:
        if "page_CandidatureView=0" in target:
            continue  # page 1 is read by its number
        assert "suite=" in target, target
        assert seen and all("OFFSET" not in s for s in seen) == sans_offset, (target, seen)


def test_next_page_follows_the_cursor_through_every_file_ties_included(app, as_user, sql):
    # The cursor's columns are never NULL (TimestampMixin, and the migration's NOT NULL).
    assert not Candidature.__table__.c.updated_at.nullable and not Candidature.__table__.c.id.nullable
    memes_dates(app, "certifpro", 8)  # 8 files of one date: over three pages of 3
    expected = attendus(app, "certifpro")
    client = as_user("certifpro")
    pages, statements = suivre(client, sql, f"{LISTE}?psize_CandidatureView=3")
    assert pages == list(enumerate(par_pages(expected, 3), start=1))
    shown = [n for _, rows in pages for n in rows]
    assert len(shown) == len(set(shown)) == len(expected) > 9
    assert_par_curseur(statements)
    # The numbered pages (FAB's offsets) show the same rows.
    for number, rows in pages:
        page, _ = sql(client, f"{LISTE}?psize_CandidatureView=3&page_CandidatureView={number - 1}")
        assert numeros(page) == rows


def test_a_file_changed_while_paging_does_not_show_a_row_again(app, as_user, sql):
    """The cursor continues after the last row seen: a file further down the list modified meanwhile (now the
    newest, at the top) does not push that row onto the next page again, as an OFFSET would."""
    expected = attendus(app, "certifpro")
    client = as_user("certifpro")
    second, _ = sql(client, f"{LISTE}?psize_CandidatureView=3&page_CandidatureView=1")
    assert numeros(second) == expected[3:6]
    with app.app_context():
        db.session.execute(
            update(Candidature)
            .where(Candidature.numero_dossier == expected[10])
            .values(updated_at=datetime.datetime(2099, 1, 1))
        )
        db.session.commit()
    third, _ = sql(client, lien(second, "Page suivante"))
    assert page_affichee(third) == 3
    assert numeros(third) == expected[6:9]
    plain, _ = sql(client, f"{LISTE}?psize_CandidatureView=3&page_CandidatureView=2")
    assert numeros(plain) == expected[5:8]  # the offset page: one row of the previous page again


def test_next_page_keeps_the_status_and_establishment_filters(app, as_user, sql):
    with app.app_context():
        paris = demo(Etablissement, nom=PARIS)
        ids = (
            db.session.execute(
                select(Candidature.id).where(Candidature.etablissement_id == paris.id).order_by(Candidature.id)
            )
            .scalars()
            .all()
        )
        statut = db.session.get(Candidature, ids[0]).statut
        # four files of the establishment in one status (the counters' trigger follows the UPDATE)
        db.session.execute(update(Candidature).where(Candidature.id.in_(ids[:4])).values(statut=statut))
        db.session.commit()
        paris_id = paris.id
    memes_dates(app, "reseau.admin", 4, 1, Candidature.etablissement_id == paris_id)
    client = as_user("reseau.admin")
    for query, conditions in (
        (f"_flt_0_etablissement={paris_id}", [Candidature.etablissement_id == paris_id]),
        (f"_flt_0_statut={statut}", [Candidature.statut == statut]),
        (
            f"_flt_0_etablissement={paris_id}&_flt_0_statut={statut}",
            [Candidature.etablissement_id == paris_id, Candidature.statut == statut],
        ),
    ):
        expected = attendus(app, "reseau.admin", *conditions)
        pages, statements = suivre(client, sql, f"{LISTE}?{query}&psize_CandidatureView=1")
        assert pages == list(enumerate(par_pages(expected, 1), start=1)), query
        assert len(expected) > 2, query
        assert_par_curseur(statements)
        assert all(query.split("&")[0] in target for target, _ in statements)


def test_previous_and_last_pages_give_the_numbered_pages_rows(app, as_user, sql):
    memes_dates(app, "certifpro", 5, 3)
    expected = par_pages(attendus(app, "certifpro"), 2)
    assert len(expected) > 8  # « Dernière page » is a link when the last page number is not shown
    client = as_user("certifpro")
    first, _ = sql(client, f"{LISTE}?psize_CandidatureView=2")
    last, seen = sql(client, lien(first, "Dernière page"))
    assert page_affichee(last) == len(expected) and numeros(last) == expected[-1]
    assert seen and all("OFFSET" not in s for s in seen), seen  # read from the end
    pages, statements = suivre(client, sql, lien(first, "Dernière page"), "Page précédente")
    assert pages == list(reversed(list(enumerate(expected, start=1))))
    assert_par_curseur(statements)
    # A page of the list's second half, by its number: read from the end too, the same rows.
    page, _ = sql(client, f"{LISTE}?psize_CandidatureView=2&page_CandidatureView={len(expected) - 2}")
    assert numeros(page) == expected[-2]


def test_a_page_read_by_its_number_skips_ids_not_whole_rows(app, as_user, sql):
    """A numbered page of the list's first half is read by its OFFSET, over the rows' ids alone (then its 20 rows
    by id): skipping 20,000 whole rows cost a network admin's page 1 000 630 ms of SQL, its ids 33 ms. The rows are
    the numbered page's, with filters too."""
    memes_dates(app, "certifpro", 5, 3)
    expected = par_pages(attendus(app, "certifpro"), 2)
    client = as_user("certifpro")
    for path, rows in [
        (f"{LISTE}?psize_CandidatureView=2&page_CandidatureView=2", expected[2]),
        (f"{LISTE}?psize_CandidatureView=2&page_CandidatureView=1&_flt_0_actif=y", None),
    ]:
        page, seen = sql(client, path)
        assert len(seen) == 1 and "OFFSET" in seen[0], seen
        outer, _, inner = seen[0].partition("(SELECT candidature.id AS id FROM candidature ")
        assert "OFFSET" not in outer and "OFFSET" in inner and "candidature.nom_naissance" not in inner, seen[0]
        if rows is not None:
            assert numeros(page) == rows


def test_the_cursor_follows_the_name_search_and_the_ascending_order(app, as_user, sql):
    with app.app_context():
        user = demo(Utilisateur, username="etab.user")
        g.user = user
        paris = demo(Etablissement, nom=PARIS)
        for k in range(5):
            candidatures.creer(
                user,
                valeurs(paris.id, nom_naissance="Curseur", prenom=f"Alix{k}", date_naissance=f"1985-03-{k + 1:02d}"),
            )
        db.session.commit()
    memes_dates(app, "etab.user", 3, 1, Candidature.nom_recherche.startswith("CURSEUR"))
    client = as_user("etab.user")
    expected = attendus(app, "etab.user", Candidature.nom_recherche.startswith("CURSEUR"))
    assert len(expected) == 5
    pages, statements = suivre(client, sql, f"{LISTE}?_flt_0_nom_naissance=curseur&psize_CandidatureView=2")
    assert pages == list(enumerate(par_pages(expected, 2), start=1))
    assert_par_curseur(statements)
    ascending = "_oc_CandidatureView=updated_at&_od_CandidatureView=asc&psize_CandidatureView=3"
    pages, statements = suivre(client, sql, f"{LISTE}?{ascending}")
    assert pages == list(enumerate(par_pages(attendus(app, "etab.user", ordre="asc"), 3), start=1))
    assert_par_curseur(statements)
    # Another order: the numbered pages' offsets, no cursor.
    by_number = f"{LISTE}?_oc_CandidatureView=numero_dossier&_od_CandidatureView=asc&psize_CandidatureView=3"
    page, _ = sql(client, by_number)
    plain_next = lien(page, "Page suivante")
    assert plain_next and "suite=" not in plain_next


def test_a_tampered_or_foreign_cursor_gives_the_plain_page_within_the_perimeter(app, as_user, sql):
    visible = attendus(app, "etab.user")
    plain_pages = par_pages(visible, 2)
    client = as_user("etab.user")
    first, _ = sql(client, f"{LISTE}?psize_CandidatureView=2")
    target = lien(first, "Page suivante")
    token = re.search(r"suite=([^&]+)", target).group(1)
    base = f"{LISTE}?psize_CandidatureView=2&page_CandidatureView=1&suite="
    with app.app_context():
        other = (
            db.session.execute(
                select(Candidature).where(
                    Candidature.etablissement_id != demo(Utilisateur, username="etab.user").etablissement_id
                )
            )
            .scalars()
            .first()
        )
        etab_user = demo(Utilisateur, username="etab.user")
        signed = URLSafeSerializer(app.config["SECRET_KEY"], salt="clea.liste.suite")
        contexte = ["suivante", 1, 2, "desc", listes.empreinte(None), etab_user.id]
        malformed = [  # signed, but not a cursor: a bad date, an aware date, a pk that is no integer, too long…
            signed.dumps([*contexte, "pas une date", other.id]),
            signed.dumps([*contexte, "2026-01-01T00:00:00+02:00", other.id]),
            signed.dumps([*contexte, other.updated_at.isoformat(), str(other.id)]),
            signed.dumps([*contexte, other.updated_at.isoformat(), 2**70]),
            signed.dumps([*contexte, other.updated_at.isoformat(), other.id, "de trop"]),
            signed.dumps({"suite": other.id}),
            signed.dumps(["arriere", *contexte[1:], other.updated_at.isoformat(), other.id]),
        ]
        forged = [  # signed with the application's key, but naming another page, list or user
            listes.curseur("suivante", 5, 2, "desc", listes.empreinte(None), etab_user.id, other.updated_at, other.id),
            listes.curseur("suivante", 1, 2, "desc", "0" * 16, etab_user.id, other.updated_at, other.id),
            listes.curseur("suivante", 1, 2, "desc", listes.empreinte(None), etab_user.id + 1000, other.updated_at, 1),
        ]
    reseau_token = re.search(
        r"suite=([^&]+)",
        lien(as_user("reseau.admin").get(f"{LISTE}?psize_CandidatureView=2").get_data(as_text=True), "Page suivante"),
    ).group(1)
    tampered = [
        token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"),
        token.replace(".", "x", 1),
        "%%%",
        "a" * 5000,
        "",
        "WyJzdWl2YW50ZSJd",  # a readable list, unsigned
        reseau_token,  # another user's cursor
        *malformed,
        *forged,
    ]
    for suite in tampered:
        page, _ = sql(client, base + suite)
        assert numeros(page) == plain_pages[1], suite
        assert page_affichee(page) == 2
    # A signed cursor of this very page pointing anywhere still shows only the perimeter's files.
    with app.app_context():
        etab_user = demo(Utilisateur, username="etab.user")
        anywhere = listes.curseur(
            "suivante", 1, 2, "desc", listes.empreinte(None), etab_user.id, datetime.datetime(2100, 1, 1), 2**62
        )
    page, _ = sql(client, base + anywhere)
    assert set(numeros(page)) <= set(visible) and numeros(page) == plain_pages[0]
    # The cursor of « Page suivante » on another page number, or with another page size: the plain page.
    page, _ = sql(client, f"{LISTE}?psize_CandidatureView=2&page_CandidatureView=3&suite={token}")
    assert numeros(page) == plain_pages[3] and page_affichee(page) == 4
    page, _ = sql(client, f"{LISTE}?psize_CandidatureView=3&page_CandidatureView=1&suite={token}")
    assert numeros(page) == visible[3:6]
