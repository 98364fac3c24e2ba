"""French everywhere (quality.md "Language and interface"): every screen, for several profiles, is crawled and
nothing Flask-AppBuilder or WTForms says in English may reach a person — neither the visible text, nor the
texts people see in attributes (placeholder, title, button values…), nor the texts FAB's scripts put on the
page (search filters, delete confirmation). Dates are jj/mm/aaaa, booleans Oui/Non.

The French comes from app/translations (our catalogue overrides FAB's, see its header), from the template
overrides in app/templates/appbuilder/ and from app/web.py (_french_form_messages, _french_default_titles)."""

import datetime
import html as html_lib
import os
import re
import threading
from pathlib import Path

import pytest

from tests.conftest import DEMO_PASSWORD, page_text

PROFILES = (
    "certifpro",
    "certif.idf",
    "reseau.admin",
    "reseau.superviseur",
    "org.admin",
    "org.user",
    "etab.admin",
    "etab.user",
)
PAGES = (
    "/",
    "/organismes/list/",
    "/organismes/show/1",
    "/organismes/add",
    "/organismes/edit/1",
    "/etablissements/show/1",
    "/etablissements/add",
    "/etablissements/edit/1",
    "/etablissements/list/",
    "/habilitations/list/",
    "/habilitations/show/1",
    "/utilisateurs/list/",
    "/utilisateurs/add",
    "/certificateurs/list/",
    "/certificateurs/show/1",
    "/reseaux/list/",
    "/reseaux/show/1",
    "/administration/matrice",
    "/mon-profil/",
    "/aide/",
    "/candidatures/list/",
    "/listes/list/",
    "/domaines/show/1",
    # The candidate file, its evaluations, the certifier side, search, transfers, notifications.
    "/candidatures/show/1",
    "/candidatures/show/4",
    "/candidatures/show/8",
    "/candidatures/evaluations/1",
    "/candidatures/evaluations/candidature/1/nouvelle",
    "/formations/list/",
    "/candidatures-abandonnees/list/",
    "/certificateurs/jurys/list/",
    "/certificateurs/jurys/1",
    "/certificateurs/jurys/planifier",
    "/notifications/",
    "/recherche/",
    "/rattachements/list/",
    "/administration/recherches/list/",
    # A list with an active date filter (FAB's search widget, date picker) and a list with no result.
    "/habilitations/list/?_flt_1_date_demande=2020-01-01",
    "/organismes/list/?_flt_0_nom=zzz-aucun",
)
PUBLIC_PAGES = ("/login/", "/compte/mot-de-passe-oublie", "/compte/lien")

# English a person could read (case-sensitive, whole words: "List" does not match "Liste").
ENGLISH = [
    "Search",
    "Add Filter",
    "Record Count",
    "Page size",
    "Order by",
    "Cancel",
    "User confirmation",
    "Refresh",
    "No records",
    "Add a new record",
    "Edit record",
    "Show record",
    "Delete record",
    "Are you sure",
    "Back",
    "Save",
    "List",
    "Add",
    "Edit",
    "Show",
    "Delete",
    "Detail",
    "True",
    "False",
    "None",
    "Sign In",
    "Sign in",
    "Username",
    "User Name",
    "Password",
    "Starts with",
    "Start with",
    "Ends with",
    "Equal to",
    "Not Equal",
    "Contains",
    "Greater than",
    "Smaller than",
    "Not In",
    "Select Value",
    "Select a State",
    "Select",
    "This field is required",
    "Not a valid",
    "Already exists",
    "Invalid",
    "Please",
    "Added Row",
    "Changed Row",
    "Deleted Row",
    "Access is Denied",
    "Welcome",
    "Logout",
    "OK",
    "record",
    "filter",
    "__None",
    # FAB's own French catalogue, when it wins over ours: wrong or half-English.
    "Afficer",
    "Editer le registre",
    "nouvel article",
    "S'enregistrer",
    "Nombre de record",
]
ENGLISH_RE = re.compile(r"(?<![\w-])(" + "|".join(re.escape(w) for w in ENGLISH) + r")(?![\w-])")
# Inside FAB's inline scripts (filter names, confirmation of a delete), only FAB's phrases are looked for:
# the code itself is English by nature.
SCRIPT_ENGLISH = [
    "Add Filter",
    "Starts with",
    "Start with",
    "Ends with",
    "Equal to",
    "Not Equal",
    "Contains",
    "Greater than",
    "Smaller than",
    "Not In",
    "Relation",
    "Select Value",
    "Select a State",
    "Are you sure",
    "No row selected",
    "User confirmation",
    "Record Count",
    "No records",
]
SCRIPT_ENGLISH_RE = re.compile(r"\b(" + "|".join(re.escape(w) for w in SCRIPT_ENGLISH) + r")\b")
# Texts people see in attributes, and the label of <input type=submit|button|reset>.
ATTRIBUTES_RE = re.compile(
    r"\b(?:placeholder|data-placeholder|title|aria-label|alt|data-original-title|"
    r'data-text)="([^"]*)"'
)
BUTTON_VALUE_RE = re.compile(r'<input\b[^>]*\btype="(?:submit|button|reset)"[^>]*>', re.I)
SCRIPT_RE = re.compile(r"<script\b[^>]*>(.*?)</script>", re.S | re.I)


def english_in(response) -> list[str]:
    """Every English word or phrase a person could see on the page, with where it was found."""
    html = response.get_data(as_text=True)
    found = [f"texte : {m}" for m in ENGLISH_RE.findall(html_lib.unescape(page_text(response)))]
    for value in ATTRIBUTES_RE.findall(html):
        found += [f"attribut « {value} »" for _ in ENGLISH_RE.findall(html_lib.unescape(value))]
    for tag in BUTTON_VALUE_RE.findall(html):
        value = re.search(r'\bvalue="([^"]*)"', tag)
        if value and ENGLISH_RE.search(html_lib.unescape(value.group(1))):
            found.append(f"bouton « {value.group(1)} »")
    for script in SCRIPT_RE.findall(html):
        # JSON in the script: "\u003cselect data-placeholder=\"Select Value\"\u003e…"
        decoded = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), script).replace('\\"', '"')
        found += [f"script : {m}" for m in SCRIPT_ENGLISH_RE.findall(html_lib.unescape(decoded))]
        found += [
            f"script (attribut) : {m}"
            for value in ATTRIBUTES_RE.findall(decoded)
            for m in ENGLISH_RE.findall(html_lib.unescape(value))
        ]
    return found


def test_the_checker_sees_what_fab_says_in_english(app):
    """The crawl below proves something only if the checker finds FAB's English where it hides."""
    sample = (
        "<html><title>Show Domaine</title><body><button>Cancel</button> Nombre de record: 4"
        '<a title="Edit record"><span class="sr-only">Modifier</span></a>'
        '<select data-placeholder="Select Value"><option value="__None">__None</option></select>'
        '<input type="submit" value="Save"> <td>True</td>'
        '<script>var f = new AdminFilters("#f", {"nom": "Nom"}, {"date": "\\u003cinput placeholder='
        '\\"Search\\"\\u003e"}, {"nom": [["Starts with", "fsw"]]}); '
        "x.execute_single_delete('/a/delete/1', 'Are you sure you want to delete this item?');</script>"
        "</body></html>"
    )
    found = " | ".join(english_in(app.response_class(sample)))
    for english in (
        "Show",
        "Cancel",
        "Nombre de record",
        "Edit record",
        "Select Value",
        "__None",
        "Save",
        "True",
        "Starts with",
        "Are you sure",
        "script (attribut) : Search",
    ):
        assert english in found, f"{english!r} n'est pas détecté : {found}"
    french = (
        '<html lang="fr"><title>Liste des organismes</title><body>Ajouter un filtre, Rechercher, Contient,'
        " Égal à, Oui, Non, Modifier, Supprimer, Voir le détail, Retour, Login de connexion, Liste, "
        "Listes de valeurs, Nombre de résultats : 4, back-office, 19/11/2026</body></html>"
    )
    assert english_in(app.response_class(french)) == []


def visit(client, who):
    """GET every page; 403/404 (out of the profile's rights or perimeter) are skipped."""
    seen, problems = 0, []
    for path in PAGES if who else PUBLIC_PAGES:
        response = client.get(path)
        if response.status_code in (403, 404):
            continue
        assert response.status_code == 200, f"{who or 'anonyme'} {path}: HTTP {response.status_code}"
        seen += 1
        html = response.get_data(as_text=True)
        if '<html lang="fr">' not in html:
            problems.append(f'{path}: <html> sans lang="fr"')
        if 'href="/lang/' in html:
            problems.append(f"{path}: sélecteur de langue")
        problems += [f"{path}: {english}" for english in english_in(response)]
    return seen, problems


@pytest.mark.parametrize("login", PROFILES)
def test_every_screen_is_in_french(as_user, login):
    seen, problems = visit(as_user(login), login)
    assert seen >= 8, f"{login} n'a vu que {seen} pages : la visite ne prouve rien"
    assert not problems, f"Anglais visible pour {login} :\n" + "\n".join(problems)


def test_public_screens_are_in_french(client):
    seen, problems = visit(client, None)
    assert seen == len(PUBLIC_PAGES)
    assert not problems, "Anglais visible sans connexion :\n" + "\n".join(problems)
    login_page = page_text(client.get("/login/"))
    assert login_page.startswith("Connexion — Plateforme CléA")


def test_there_is_no_other_language(as_user):
    """French only, no switcher: FAB's /lang/<locale> knows no other language, nor does its ?_l_= argument."""
    client = as_user("certifpro")
    assert client.get("/lang/en").status_code == 404
    response = client.get("/organismes/list/?_l_=en")
    assert "Ajouter un filtre" in page_text(response) and not english_in(response)


def test_login_errors_are_in_french(client):
    empty = client.post("/login/", data={})
    assert "Ce champ est requis." in page_text(empty) and not english_in(empty)
    wrong = client.post("/login/", data={"username": "certifpro", "password": "pas-le-bon"}, follow_redirects=True)
    assert "Identifiant ou mot de passe incorrect" in page_text(wrong) and not english_in(wrong)
    anonymous = client.get("/organismes/list/", follow_redirects=True)
    assert "Accès refusé" in page_text(anonymous) and not english_in(anonymous)


def test_empty_form_errors_are_in_french(as_user):
    client = as_user("certifpro")
    response = client.post("/organismes/add", data={})
    assert response.status_code == 200
    text = page_text(response)
    assert "Ce champ est obligatoire." in text
    assert "This field is required" not in text
    assert not english_in(response), english_in(response)


def test_fab_field_errors_are_in_french(as_user):
    """Messages of FAB's own fields and validators (not in WTForms' catalogue): a network that does not exist;
    a SIREN already used gets the rule's own message in place of FAB's generic « Cette valeur existe déjà. »."""
    client = as_user("certifpro")
    response = client.post("/organismes/add", data={"reseau": "999999", "siren": "800000010"})
    text = page_text(response)
    assert "Ce choix n'est pas valide." in text
    assert "Un organisme avec ce SIREN existe déjà." in text and "Cette valeur existe déjà." not in text
    assert "Not a valid choice" not in text and "Already exists" not in text
    assert not english_in(response), english_in(response)


def test_empty_choice_of_a_dropdown_is_french(app, as_user):
    """FAB's empty choice of a dropdown says « — Aucun — » (no page shows one today: the relations with many
    records are quick pickers, whose empty choice is select2's French placeholder, static/clea/clea.js)."""
    from flask_appbuilder.fields import QuerySelectField
    from wtforms import Form

    class Formulaire(Form):
        reseau = QuerySelectField(query_func=list, get_pk_func=lambda o: o, allow_blank=True)

    with app.test_request_context():
        assert re.search(r'<option[^>]*value="__None"[^>]*>— Aucun —</option>', Formulaire().reseau())
    html = as_user("certifpro").get("/organismes/add").get_data(as_text=True)
    picker = r'<select[^>]*data-clea-picker="/organismes/choix/reseau"[^>]*><option value=""></option></select>'
    assert re.search(picker, html)
    assert "__None" not in html


def test_lists_show_dates_jj_mm_aaaa(as_user):
    text = page_text(as_user("certifpro").get("/habilitations/list/"))
    assert re.search(r"\b\d{2}/\d{2}/\d{4}\b", text)
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", text)


def test_fab_show_page_says_oui_non(as_user):
    text = page_text(as_user("certifpro").get("/reseaux/show/1"))
    assert re.search(r"Notifier lors de la création d'une candidature (Oui|Non)\b", text)


def test_fab_widgets_show_values_the_french_way(app):
    """FAB's list and show widgets, for a column without formatter: Oui/Non, nothing for None, jj/mm/aaaa."""
    with app.test_request_context():
        render = app.jinja_env.from_string("{{ v|valeur_fr }}").render
        assert render(v=True) == "Oui" and render(v=False) == "Non" and render(v=None) == ""
        assert render(v=datetime.date(2026, 3, 9)) == "09/03/2026"
        assert render(v=datetime.datetime(2026, 3, 9, 8, 5)) == "09/03/2026 08:05"
        assert render(v=2.5) == "2,5" and render(v=0) == "0" and render(v="<b>") == "&lt;b&gt;"


def test_our_catalogue_overrides_fab_french(app):
    """Every entry of app/translations is what the application says (the compiled .mo is up to date and comes
    after FAB's catalogue), e.g. « Ajouter un filtre » and not FAB's « Ajouter un filter »."""
    from babel.messages.pofile import read_po
    from flask_babel import gettext

    po = Path(app.root_path) / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as handle:
        catalogue = read_po(handle)
    entries = [(m.id, m.string) for m in catalogue if m.id and m.string]
    assert len(entries) > 100
    with app.test_request_context():
        for msgid, msgstr in entries:
            assert gettext(msgid) == msgstr, msgid
        assert gettext("Add Filter") == "Ajouter un filtre"
        assert gettext("Added Row") == "Enregistrement créé."


def test_default_titles_of_fab_are_french(app):
    from flask_appbuilder.baseviews import BaseCRUDView

    for view in app.appbuilder.baseviews:
        if isinstance(view, BaseCRUDView):
            for title in (view.list_title, view.show_title, view.add_title, view.edit_title):
                assert not re.match(r"(List|Show|Add|Edit) ", str(title)), f"{type(view).__name__}: {title}"


# --- In a real browser: what FAB's scripts show ---------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser_page(app):
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
            pytest.fail(f"{CHROMIUM} est absent (apt-get install -y chromium)")
        pytest.skip(f"{CHROMIUM} est absent (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):
            pass

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
            )
            page = chromium.new_page(base_url=f"http://127.0.0.1:{server.server_port}", locale="en-US")
            page.set_default_timeout(10_000)
            page.js_errors = []
            page.on("pageerror", lambda error: page.js_errors.append(str(error)))
            page.goto("/login/")
            page.fill("#username", "certifpro")
            page.fill("#password", DEMO_PASSWORD)
            with page.expect_navigation():
                page.click("form button[type=submit], form input[type=submit]")
            yield page
            chromium.close()
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.mark.committing(reset="module")  # a live server, in threads of its own
def test_browser_date_filter_is_jj_mm_aaaa_and_french(browser_page):
    """FAB's date filter: shown jj/mm/aaaa, French calendar, typed jj/mm/aaaa and read right by the server."""
    page = browser_page
    page.goto("/habilitations/list/?_flt_1_date_demande=2020-01-01")
    page.click("a:has-text('Rechercher') >> nth=0")
    field = page.locator("#filter_form input[name$='date_demande']")
    field.wait_for(state="visible")
    assert field.input_value() == "01/01/2020"
    field.click()
    calendar = page.locator(".datepicker-days").inner_text()
    assert "janvier 2020" in calendar and re.search(r"\blu\b", calendar), calendar
    assert not re.search(r"January|\bSu\b|\bMo\b", calendar), calendar
    field.fill("")
    field.type("18/11/2026")
    page.keyboard.press("Escape")
    with page.expect_navigation():
        page.click("#filter_form button[type=submit]")
    assert "_flt_1_date_demande=2026-11-18" in page.url
    assert page.locator("#filter_form input[name$='date_demande']").input_value() == "18/11/2026"
    assert not page.js_errors, page.js_errors


@pytest.mark.committing(reset="module")  # a live server, in threads of its own
def test_browser_dropdown_search_and_confirmation_are_french(browser_page):
    page = browser_page
    page.goto("/organismes/add")
    page.click("#select2-reseau-container")
    page.fill(".select2-search__field", "zzzz")
    # The network is a quick picker: the answer comes from the server a moment after the typing.
    from playwright.sync_api import expect

    expect(page.locator(".select2-results")).to_have_text("Aucun résultat")
    page.keyboard.press("Escape")

    page.goto("/organismes/list/")
    page.click("a.confirm >> nth=0")
    modal = page.locator("#modal-confirm")
    modal.wait_for(state="visible")
    text = modal.inner_text()
    assert "Supprimer définitivement cet enregistrement ?" in text
    assert "Annuler" in text and "Confirmer" in text and "Cancel" not in text
    page.click("#modal-confirm button:has-text('Annuler')")

    page.click("a:has-text('Rechercher') >> nth=0")
    page.click("text=Ajouter un filtre")
    page.click("#filter_form .dropdown-menu a[name=nom]")
    operations = page.locator("#filter_form table").inner_text()
    assert "Commence par" in operations and "Contient" in operations
    assert not re.search(r"Starts with|Contains|Equal", operations), operations
    assert not page.js_errors, page.js_errors
