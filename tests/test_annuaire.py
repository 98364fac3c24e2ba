"""« Annuaire des organismes habilités » (domain.md §10): public page and exports, read without login.

Every test adds its own establishments (new names, regions no other test filters on) instead of changing the
demo's, and computes what it expects from the database: the tests do not depend on each other's order."""

import csv
import datetime
import html
import io
import itertools
import re
from contextlib import contextmanager

import openpyxl
import pytest
from sqlalchemy import event, select

from app.demo import luhn_complete
from app.domain.regions import REGIONS
from app.extensions import db
from app.models import DemandeHabilitation, Etablissement, Organisme
from app.services import annuaire, habilitations
from tests.conftest import is_savepoint, page_text
from tests.test_french import english_in

TODAY = datetime.date.today()
DAY = datetime.timedelta(days=1)
HEADERS = [
    "Etablissement",
    "Organisme",
    "Contact public",
    "E-mail",
    "Téléphone",
    "Adresse",
    "Complément d'adresse",
    "Code postal",
    "Ville",
    "Région",
    "Site web",
    "Certification(s) habilitée(s)",
    "Fin d'habilitation",
]
DEMO_HABILITATED = {"Avenir Paris République", "Compétences Méditerranée Marseille", "Indépendant Lyon"}
DEMO_NOT_HABILITATED = {
    "Avenir Paris Lille",  # expired
    "Avenir Ouest Rennes",
    "Compétences Méditerranée Montpellier",  # pending
    "Avenir Ouest Nantes",
}  # rejected
_numbers = itertools.count(1)


# --- Data ---------------------------------------------------------------------------------------
def add_establishment(
    nom,
    region="Corse",
    habilitations_=(("accordee", TODAY - 10 * DAY, TODAY + 100 * DAY),),
    actif=True,
    organisme_actif=True,
    certification="clea",
    ville="Ajaccio",
    site_web=None,
    organisme=None,
):
    """A new organisation (unless given) and establishment, with private fields easy to look for, and its
    habilitation requests: (etat, date_debut, date_fin[, certification])."""
    n = next(_numbers)
    if organisme is None:
        organisme = Organisme(
            siren=luhn_complete(f"{70000000 + n:08d}"),
            nom=f"Organisme {nom}",
            adresse="1 place Privée",
            ville=ville,
            code_postal="20000",
            contact_nom="Secretorg",
            contact_prenom="Odile",
            contact_email=f"contact.prive{n}@organisme.example",
            email_facturation=f"facturation.prive{n}@organisme.example",
            actif=organisme_actif,
        )
        db.session.add(organisme)
    etab = Etablissement(
        organisme=organisme,
        nom=nom,
        siret=luhn_complete(organisme.siren + f"{n:04d}"),
        referent_nom=f"Referentnom{n}",
        referent_prenom="Rose",
        referent_email=f"referent.prive{n}@etab.example",
        public_nom="Accueil",
        public_prenom="Public",
        public_email=f"public{n}@etab.example",
        public_telephone="04 95 00 00 00",
        adresse=f"{n} cours Napoléon",
        complement_adresse="Bâtiment B",
        ville=ville,
        code_postal="20000",
        region=region,
        site_web=site_web,
        actif=actif,
    )
    db.session.add(etab)
    for etat, debut, fin, *cert in habilitations_:
        demande = DemandeHabilitation(
            organisme=organisme,
            certification=cert[0] if cert else certification,
            type="initiale",
            date_demande=(debut or TODAY) - 20 * DAY,
            etat=etat,
            date_debut=debut,
            date_fin=fin,
        )
        demande.etablissements = [etab]
        db.session.add(demande)
    db.session.commit()
    return etab


def expected_names(region=None) -> set[str]:
    """What the directory must list: active, organisation active, habilitated today (the one rule)."""
    query = (
        select(Etablissement.nom)
        .join(Organisme)
        .where(Etablissement.actif.is_(True), Organisme.actif.is_(True), habilitations.habilitee_clause())
    )
    if region:
        query = query.where(Etablissement.region == region)
    return set(db.session.execute(query).scalars())


def private_values() -> list[str]:
    """What must never be published: referent contact, SIRET, SIREN, the organisation's private contact."""
    values = []
    for etab in db.session.execute(select(Etablissement)).scalars():
        values += [etab.referent_email, etab.siret, f"{etab.referent_prenom} {etab.referent_nom}"]
        if etab.referent_nom.startswith("Referentnom"):
            values.append(etab.referent_nom)
    for org in db.session.execute(select(Organisme)).scalars():
        values += [org.siren, org.contact_email, org.email_facturation]
    return values


# --- Reading what a visitor gets ---------------------------------------------------------------------
ROW_RE = re.compile(r'<tr class="clea-annuaire-ligne">(.*?)</tr>', re.S)
NAME_RE = re.compile(r'<td class="clea-annuaire-etab">(.*?)</td>', re.S)
PAGE_RE = re.compile(r"Page (\d+) sur (\d+)")


def names_on(response) -> list[str]:
    return [html.unescape(n.strip()) for n in NAME_RE.findall(response.get_data(as_text=True))]


def link(response, label) -> str:
    found = re.search(
        r'<a [^>]*href="([^"]*)"[^>]*>(?:<i [^>]*></i> |« )?' + re.escape(label), response.get_data(as_text=True)
    )
    assert found, f"lien « {label} » absent"
    return html.unescape(found.group(1))


def all_pages(client, url="/annuaire/"):
    """Every page of the directory, following « Page suivante »."""
    responses = [client.get(url)]
    while True:
        assert responses[-1].status_code == 200
        page, pages = map(int, PAGE_RE.search(page_text(responses[-1])).groups())
        if page == pages:
            return responses
        responses.append(client.get(link(responses[-1], "Page suivante")))


def listed(client, url="/annuaire/") -> list[str]:
    return [name for response in all_pages(client, url) for name in names_on(response)]


def total_shown(response) -> int:
    return int(re.search(r"(\d+) établissement\(s\) habilité\(s\)", page_text(response)).group(1))


def xlsx_rows(response) -> list[list]:
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    data = response.data
    assert data.startswith("\ufeff".encode()), "UTF-8 avec BOM attendu"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


@contextmanager
def counting_queries():
    statements = []

    def count(conn, cursor, statement, *args):
        if not is_savepoint(statement):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


# --- Tests -----------------------------------------------------------------------------------------
def test_anonymous_sees_the_habilitated_establishments_and_only_them(client, ctx):
    excluded = [
        add_establishment("Annuaire Inactif Bastia", actif=False),
        add_establishment("Annuaire Organisme Inactif Corte", organisme_actif=False),
        add_establishment("Annuaire Expiré Calvi", habilitations_=(("accordee", TODAY - 900 * DAY, TODAY - DAY),)),
        add_establishment("Annuaire Futur Porto", habilitations_=(("accordee", TODAY + DAY, TODAY + 900 * DAY),)),
        add_establishment("Annuaire En attente Sartène", habilitations_=(("deposee", None, None),)),
        add_establishment("Annuaire Rejeté Propriano", habilitations_=(("refusee", None, None),)),
        add_establishment("Annuaire Sans habilitation Cargèse", habilitations_=()),
    ]
    included = add_establishment("Annuaire Habilité Bonifacio")
    # Ends today: still habilitated today.
    last_day = add_establishment("Annuaire Dernier jour Zonza", habilitations_=(("accordee", TODAY - 90 * DAY, TODAY),))

    response = client.get("/annuaire/")
    assert response.status_code == 200
    text = page_text(response)
    assert "Annuaire des organismes habilités" in text and "Connexion" not in text
    names = listed(client)
    assert len(names) == len(set(names)), "un établissement apparaît deux fois"
    assert set(names) == expected_names()
    assert DEMO_HABILITATED | {included.nom, last_day.nom} <= set(names)
    assert not (DEMO_NOT_HABILITATED | {e.nom for e in excluded}) & set(names)
    assert total_shown(response) == len(names)


def test_each_row_shows_the_public_contact_certifications_and_end_of_habilitation(client, ctx):
    etab = add_establishment(
        "Annuaire Deux certifications Ghisonaccia",
        region="Guyane",
        ville="Cayenne",
        site_web="https://www.organisme-guyane.example/clea",
        habilitations_=(
            ("accordee", TODAY - 50 * DAY, TODAY + 30 * DAY, "clea"),
            ("accordee", TODAY - 5 * DAY, TODAY + 400 * DAY, "clea_numerique"),
            # An old period does not count, nor a pending one.
            ("accordee", TODAY - 2000 * DAY, TODAY - 1000 * DAY, "clea"),
            ("deposee", None, None, "clea"),
        ),
    )
    response = client.get("/annuaire/?region=Guyane")
    rows = ROW_RE.findall(response.get_data(as_text=True))
    assert len(rows) == 1
    row = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", rows[0])))
    for value in (
        etab.nom,
        etab.organisme.nom,
        "Public Accueil",
        etab.public_email,
        "04 95 00 00 00",
        etab.adresse,
        "Bâtiment B",
        "20000 Cayenne",
        "Guyane",
        "CléA, CléA numérique",
        (TODAY + 400 * DAY).strftime("%d/%m/%Y"),
    ):
        assert value in row, value
    assert (TODAY + 30 * DAY).strftime("%d/%m/%Y") not in row
    assert '<a href="https://www.organisme-guyane.example/clea" rel="noopener nofollow"' in rows[0]

    demo_row = list(ROW_RE.findall(client.get("/annuaire/?q=Paris+République").get_data(as_text=True)))
    fin = max(
        d.date_fin
        for d in db.session.execute(
            select(DemandeHabilitation).where(
                DemandeHabilitation.etablissements.any(nom="Avenir Paris République"),
                DemandeHabilitation.etat == "accordee",
            )
        ).scalars()
    )
    assert len(demo_row) == 1 and fin.strftime("%d/%m/%Y") in demo_row[0] and "CléA" in demo_row[0]


def test_only_http_addresses_become_links(client, ctx):
    add_establishment("Annuaire Lien douteux Mamoudzou", region="Martinique", site_web="javascript:alert(1)")
    add_establishment(
        "Annuaire Lien simple Fort-de-France", region="Martinique", site_web="http://of-martinique.example"
    )
    page = client.get("/annuaire/?region=Martinique").get_data(as_text=True)
    assert 'href="javascript:' not in page and "javascript:alert(1)" in page
    assert '<a href="http://of-martinique.example" rel="noopener nofollow"' in page


def test_no_private_field_in_the_page_nor_the_exports(client, ctx):
    add_establishment("Annuaire Données privées Corte", region="Corse")
    secrets = private_values()
    assert secrets
    pages = " ".join(r.get_data(as_text=True) for r in all_pages(client))
    exported = " ".join(str(v) for row in xlsx_rows(client.get("/annuaire/export")) for v in row)
    exported_csv = client.get("/annuaire/export.csv").get_data(as_text=True)
    for where, content in (("page", pages), ("xlsx", exported), ("csv", exported_csv)):
        leaked = [s for s in secrets if s in content]
        assert not leaked, f"{where} : {leaked}"
        assert "Referentnom" not in content and "Secretorg" not in content


def test_region_filter_narrows_the_page_and_both_exports(client, ctx, monkeypatch):
    add_establishment("Annuaire Normandie Caen", region="Normandie", ville="Caen")
    add_establishment("Annuaire Normandie Rouen", region="Normandie", ville="Rouen")
    add_establishment("Annuaire Bretagne Brest", region="Bretagne", ville="Brest")
    expected = expected_names("Normandie")
    assert expected == {"Annuaire Normandie Caen", "Annuaire Normandie Rouen"}

    response = client.get("/annuaire/?region=Normandie")
    assert set(names_on(response)) == expected and total_shown(response) == 2
    assert '<option value="Normandie" selected>' in response.get_data(as_text=True)

    # The export buttons carry the filter.
    rows = xlsx_rows(client.get(link(response, "Exporter (.xlsx)")))
    assert rows[0] == HEADERS
    assert sorted(r[0] for r in rows[1:]) == sorted(expected)
    assert {r[9] for r in rows[1:]} == {"Normandie"}
    assert all(isinstance(r[12], datetime.datetime) for r in rows[1:])  # a real date cell, shown jj/mm/aaaa

    lines = csv_rows(client.get(link(response, "Exporter (.csv)")))
    assert lines[0] == HEADERS
    assert sorted(line[0] for line in lines[1:]) == sorted(expected)
    assert all(re.fullmatch(r"\d\d/\d\d/\d{4}", line[12]) for line in lines[1:])

    # Without filter, the exports hold the whole directory, in the page's order (région, then name), even when
    # they read it by small batches.
    everything = listed(client)
    regions = [r[9] for r in xlsx_rows(client.get("/annuaire/export"))[1:]]
    assert [REGIONS.index(r) for r in regions] == sorted(REGIONS.index(r) for r in regions)
    monkeypatch.setattr(annuaire, "EXPORT_LOT", 2)
    assert [r[0] for r in xlsx_rows(client.get("/annuaire/export"))[1:]] == everything
    assert [line[0] for line in csv_rows(client.get("/annuaire/export.csv"))[1:]] == everything


def test_text_search_ignores_case_and_accents(client, ctx):
    add_establishment("Annuaire Saint-Étienne Œuvre", region="Auvergne-Rhône-Alpes", ville="Saint-Étienne")
    cases = {
        "competences MEDITERRANEE": {"Compétences Méditerranée Marseille"},
        "LYON": {"Indépendant Lyon"},  # also the city
        "saint etienne oeuvre": {"Annuaire Saint-Étienne Œuvre"},
        "ŒUVRE": {"Annuaire Saint-Étienne Œuvre"},
        "avenir paris": {"Avenir Paris République"},  # the organisation's name: Lille is not habilitated
        "%": set(),
        "_": set(),
        "zzz introuvable": set(),
    }
    for texte, names in cases.items():
        response = client.get("/annuaire/", query_string={"q": texte})
        assert set(names_on(response)) == names, texte
        assert f'value="{html.escape(texte, quote=True)}"' in response.get_data(as_text=True).replace("&#34;", "&quot;")
    empty = client.get("/annuaire/", query_string={"q": "zzz introuvable"})
    assert "Aucun établissement habilité ne correspond à votre recherche." in page_text(empty)
    assert total_shown(empty) == 0
    # Region and text together; the exports honour the text too.
    both = client.get("/annuaire/", query_string={"q": "lyon", "region": "Île-de-France"})
    assert names_on(both) == []
    rows = xlsx_rows(client.get("/annuaire/export", query_string={"q": "saint etienne"}))
    assert [r[0] for r in rows[1:]] == ["Annuaire Saint-Étienne Œuvre"]


@pytest.mark.parametrize(
    "query",
    [
        {"region": "Atlantide"},
        {"region": "x" * 5000},
        {"page": "abc"},
        {"page": "-3"},
        {"page": "0"},
        {"page": "1.5"},
        {"page": "999999"},
        {"page": "9" * 40},
        {"q": "é" * 5000},
        {"q": "a " * 2500},
        {"q": "'; DROP TABLE etablissement; --"},
        {"q": "😀 ﷽ \u202e"},
    ],
)
def test_bad_input_never_gives_a_500(client, ctx, query):
    response = client.get("/annuaire/", query_string=query)
    assert response.status_code == 200
    text = page_text(response)
    assert "établissement(s) habilité(s)" in text and PAGE_RE.search(text)
    if "region" in query:
        assert "Cette région n'existe pas : choisissez une région de la liste." in text
    if "page" in query:
        # Clamped to a page that exists.
        page, pages = map(int, PAGE_RE.search(text).groups())
        assert 1 <= page <= pages
    for export in ("/annuaire/export", "/annuaire/export.csv"):
        answer = client.get(export, query_string=query)
        if "region" in query:
            assert answer.status_code == 400
            assert "Cette région n'existe pas : choisissez une région de la liste." in page_text(answer)
        else:
            assert answer.status_code == 200 and answer.get_data()
        answer.close()


@pytest.mark.parametrize("query", [{"region": "Île-de-France\x00"}, {"q": "\x00'; DROP TABLE etablissement; --"}])
def test_a_nul_character_is_refused_in_french(client, ctx, query):
    """PostgreSQL cannot take a NUL character: every request carrying one is refused (app/entrees.py)."""
    for path in ("/annuaire/", "/annuaire/export"):
        response = client.get(path, query_string=query)
        assert response.status_code == 400 and "La requête contient un caractère nul" in page_text(response)


def test_fifty_per_page_and_no_query_per_row(client, ctx, monkeypatch):
    for n in range(55):
        add_establishment(f"Annuaire Mayotte {n:02d}", region="Mayotte", ville="Mamoudzou")
    add_establishment("Annuaire Réunion seul", region="La Réunion", ville="Saint-Denis")

    with counting_queries() as many:
        first = client.get("/annuaire/?region=Mayotte")
    with counting_queries() as one:
        single = client.get("/annuaire/?region=La+Réunion")
    assert len(names_on(single)) == 1
    assert len(many) == len(one), "le nombre de requêtes dépend du nombre de lignes"
    # a count, the page's rows, their habilitations, the calendars (campaigns, meetings), the public decisions
    assert len(many) <= 10, many

    assert len(names_on(first)) == 50 and total_shown(first) == 55
    assert "Page 1 sur 2" in page_text(first) and "Page précédente" not in page_text(first)
    second = client.get(link(first, "Page suivante"))
    assert len(names_on(second)) == 5 and "Page 2 sur 2" in page_text(second)
    assert "Page suivante" not in page_text(second)
    assert names_on(client.get(link(second, "Page précédente"))) == names_on(first)
    assert names_on(first) + names_on(second) == [f"Annuaire Mayotte {n:02d}" for n in range(55)]
    # A page beyond the last shows the last one.
    assert names_on(client.get("/annuaire/?region=Mayotte&page=999999")) == names_on(second)

    # The exports read the directory by batches: none lost or repeated across batches.
    monkeypatch.setattr(annuaire, "EXPORT_LOT", 7)
    rows = xlsx_rows(client.get("/annuaire/export?region=Mayotte"))
    assert [r[0] for r in rows[1:]] == [f"Annuaire Mayotte {n:02d}" for n in range(55)]
    response = client.get("/annuaire/export.csv?region=Mayotte")
    assert response.is_streamed
    assert [line[0] for line in csv_rows(response)[1:]] == [f"Annuaire Mayotte {n:02d}" for n in range(55)]


def test_spreadsheet_formulas_are_not_exported_as_formulas(client, ctx):
    add_establishment('=HYPERLINK("http://pirate.example","Cliquez")', region="Grand Est", ville="Metz")
    # The .xlsx keeps the name as typed, in a text cell (every export of the platform writes « = » as text).
    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/annuaire/export?region=Grand+Est").data)).active
    assert sheet["A2"].value == '=HYPERLINK("http://pirate.example","Cliquez")'
    assert sheet["A2"].data_type == "s"
    lines = csv_rows(client.get("/annuaire/export.csv?region=Grand+Est"))
    assert lines[1][0].startswith("'=") and lines[1][4] == "04 95 00 00 00"


def test_logged_in_users_see_the_same_directory_in_french(client, as_user, ctx):
    anonymous = client.get("/annuaire/")
    assert english_in(anonymous) == []
    for login in ("org.admin", "certifpro"):
        response = as_user(login).get("/annuaire/")
        assert response.status_code == 200
        assert names_on(response) == names_on(anonymous)
        assert "Tableau de bord" in page_text(response) and english_in(response) == []
    assert '<html lang="fr">' in anonymous.get_data(as_text=True)
    select_html = re.search(r'<select[^>]*name="region"[^>]*>(.*?)</select>', anonymous.get_data(as_text=True), re.S)
    options = [html.unescape(v) for v in re.findall(r'<option value="([^"]*)"', select_html.group(1))]
    assert options == [""] + REGIONS


def test_login_page_links_to_the_directory(client):
    response = client.get("/login/")
    assert link(response, "Annuaire des organismes habilités") == "/annuaire/"


def test_nothing_private_opens_without_login(client):
    for path in ("/candidatures/list/", "/etablissements/list/", "/organismes/show/1", "/utilisateurs/list/"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
    for path in ("/api/v1/etablissement/", "/api/v1/candidature/"):
        assert client.get(path).status_code == 401, path
