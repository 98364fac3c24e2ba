"""The platform in a real browser (quality.md "Checked in a real browser"): headless Chromium from Debian's
packages, driven by Playwright, against the test application served on a free local port.

For every demo profile: log in through the login form, then visit the home page, every top tab and every
entry of "Mon Réseau ▾" by clicking them, with a screenshot of each page in
test-artifacts/screenshots/<login>/<n>-<slug>.png (git-ignored). One scenario also clicks through the
establishment page down to « Faire une demande ».

Every page checked also fails on a JavaScript error or on anything the Content-Security-Policy refused (Chromium
reports it on the console only); two scenarios click through the behaviours that left inline scripts for
app/static/clea/clea.js, FAB's nonce-carrying blocks, and Swagger UI.

Chromium comes from Debian (`apt-get install chromium chromium-driver`), never from `playwright install`.
Without it the tests are skipped on a developer machine, and fail in CI (CI=true).
"""

import os
import re
import threading
import unicodedata
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.conftest import DEMO_PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# TEST_SCREENSHOTS: another folder (CI runs the SQLite and PostgreSQL suites at once, each with its own).
SCREENSHOTS = Path(
    os.environ.get("TEST_SCREENSHOTS") or Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
)

TOP_TABS = "nav.clea-navbar ul.nav.navbar-nav:first-of-type > li > a"
RESEAU_TOGGLE = "nav.clea-navbar .navbar-right > li.dropdown > a.dropdown-toggle:has-text('Mon Réseau')"
RESEAU_ITEMS = "nav.clea-navbar .navbar-right > li.dropdown:has(> a:has-text('Mon Réseau')) .dropdown-menu a"
USER_MENU = "nav.clea-navbar .navbar-right > li.dropdown:has(a:has-text('Déconnexion'))"

# What each profile must and must not find in the navigation (roles.md; guide §4–5). Only tabs whose page
# exists are shown at all, so "must see" lists tabs that have a page today; "must not see" is the matrix's "—".
EVERY_TAB = {"EVALUATIONS", "FORMATIONS", "CERTIFICATION", "STATS", "HABILITATIONS", "ADMINISTRATION"}
PROFILES = {
    #  login: (tabs it must see, tabs it must not see, "Mon Réseau" items it must see, items it must not see)
    "certifpro": (
        {"EVALUATIONS", "CERTIFICATION", "STATS", "HABILITATIONS", "ADMINISTRATION"},
        set(),
        {"Mes Organismes", "Mes Etablissements", "Mes Utilisateurs"},
        set(),
    ),
    "certif.idf": (
        {"EVALUATIONS", "CERTIFICATION", "STATS", "HABILITATIONS"},
        {"FORMATIONS", "ADMINISTRATION"},
        set(),
        {"Mes Organismes", "Mes Etablissements", "Mes Utilisateurs", "Mon Réseau"},
    ),
    "reseau.admin": (
        {"EVALUATIONS", "CERTIFICATION", "STATS", "HABILITATIONS"},
        {"ADMINISTRATION"},
        {"Mon Réseau", "Mes Organismes", "Mes Etablissements", "Mes Utilisateurs"},
        set(),
    ),
    "reseau.superviseur": (
        {"CERTIFICATION", "HABILITATIONS"},
        {"EVALUATIONS", "FORMATIONS", "STATS", "ADMINISTRATION"},
        {"Mon Réseau", "Mes Organismes", "Mes Etablissements", "Mes Utilisateurs"},
        set(),
    ),
    "org.admin": (
        {"EVALUATIONS", "CERTIFICATION", "STATS", "HABILITATIONS"},
        {"ADMINISTRATION"},
        {"Mes Organismes", "Mes Etablissements", "Mes Utilisateurs"},
        {"Mon Réseau"},
    ),
    "org.user": (
        {"EVALUATIONS", "CERTIFICATION", "HABILITATIONS"},
        {"STATS", "ADMINISTRATION"},
        {"Mes Organismes", "Mes Etablissements"},
        {"Mon Réseau", "Mes Utilisateurs"},
    ),
    "etab.admin": (
        {"EVALUATIONS", "CERTIFICATION", "HABILITATIONS"},
        {"STATS", "ADMINISTRATION"},
        {"Mes Etablissements", "Mes Utilisateurs"},
        {"Mon Réseau", "Mes Organismes"},
    ),
    "etab.user": (
        {"EVALUATIONS", "CERTIFICATION", "HABILITATIONS"},
        {"STATS", "ADMINISTRATION"},
        {"Mes Etablissements"},
        {"Mon Réseau", "Mes Organismes", "Mes Utilisateurs"},
    ),
    "reseau2.admin": (
        {"EVALUATIONS", "CERTIFICATION", "STATS", "HABILITATIONS"},
        {"ADMINISTRATION"},
        {"Mon Réseau", "Mes Organismes", "Mes Etablissements", "Mes Utilisateurs"},
        set(),
    ),
    "org2.admin": (
        {"EVALUATIONS", "CERTIFICATION", "STATS", "HABILITATIONS"},
        {"ADMINISTRATION"},
        {"Mes Organismes", "Mes Etablissements", "Mes Utilisateurs"},
        {"Mon Réseau"},
    ),
    "etab2.user": (
        {"EVALUATIONS", "CERTIFICATION", "HABILITATIONS"},
        {"STATS", "ADMINISTRATION"},
        {"Mes Etablissements"},
        {"Mon Réseau", "Mes Organismes", "Mes Utilisateurs"},
    ),
}
# What an error page or a leaked English/technical page would show.
ERROR_MARKERS = (
    "Page introuvable",
    "Accès refusé",
    "Internal Server Error",
    "Traceback",
    "Not Found",
    "Service indisponible",
    "Trop de tentatives",
)


# A live server answers in threads of its own: real commits, and the demo data reloaded after the module.
pytestmark = pytest.mark.committing(reset="module")


# --- Fixtures -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium_path():
    if not os.path.exists(CHROMIUM):
        message = (
            f"{CHROMIUM} est absent : installez Chromium de Debian "
            "(apt-get install -y chromium chromium-driver), jamais `playwright install`."
        )
        if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


class QuietHandler(WSGIRequestHandler):
    """No access log on the console (one line per static file would drown pytest's report): each line it
    would write (request line and Referer, as a proxy's or gunicorn's log keeps them) is kept in `lines`."""

    lines: list[str] = []

    def log_request(self, code="-", size="-"):
        QuietHandler.lines.append(f"{self.requestline} {code} {self.headers.get('Referer', '-')}")


@pytest.fixture(scope="module")
def live_server(app):
    """The session's test application served by werkzeug on a free 127.0.0.1 port, in a thread."""
    # Let the browser keep FAB's ~25 static files instead of revalidating them on every page (speed only).
    previous = app.config.get("SEND_FILE_MAX_AGE_DEFAULT")
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 3600
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = previous


@pytest.fixture(scope="module")
def browser_context(chromium_path, live_server):
    """One browser context for the module (its cache is shared); every test starts with no cookie."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        context = chromium.new_context(base_url=live_server, viewport={"width": 1366, "height": 900}, locale="fr-FR")
        context.set_default_timeout(10_000)
        yield context
        context.close()
        chromium.close()


@pytest.fixture
def page(browser_context):
    browser_context.clear_cookies()
    tab = browser_context.new_page()
    tab.js_errors = []
    tab.on("pageerror", lambda error: tab.js_errors.append(str(error)))
    # A script, a handler or a style the Content-Security-Policy refuses is reported on the console only.
    tab.on("console", lambda message: csp_refusal(message.text) and tab.js_errors.append(f"CSP : {message.text}"))
    yield tab
    tab.close()


# --- Helpers ------------------------------------------------------------------------------------------------


def csp_refusal(text: str) -> bool:
    """Chromium's console line for what the Content-Security-Policy blocked ("Refused to execute inline
    script because it violates the following Content Security Policy directive…")."""
    return "Content Security Policy" in text or "Refused to" in text


def slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "page"


class Visit:
    """One profile's visit: numbered screenshots, and the problems seen on the way (reported together at the
    end, so that one defect does not hide the pages after it)."""

    def __init__(self, page, name):
        self.page, self.name = page, name
        self.folder = SCREENSHOTS / name
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()
        self.count = 0
        self.problems = []

    def shot(self, label):
        path = self.folder / f"{self.count:02d}-{slug(label)}.png"
        self.count += 1
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def expect(self, condition, message):
        if not condition:
            self.problems.append(f"{message} ({self.page.url})")
        return condition

    def click(self, locator):
        """Click a link and wait for the new page; returns its HTTP status."""
        with self.page.expect_navigation() as navigation:
            locator.click()
        response = navigation.value
        return response.status if response else None

    def check_page(self, status, where, active_tab=None):
        """A normal page of the platform: no error page, a readable breadcrumb starting with « Tableau de
        bord », the user menu, « Besoin d'aide ? », only the current tab highlighted, no JavaScript error."""
        page = self.page
        # Not an error page: these are hard failures, there is nothing more to look at.
        assert status is not None and status < 400, f"{self.name} {where}: HTTP {status} ({page.url})"
        assert page.locator(".clea-error").count() == 0, f"{self.name} {where}: page d'erreur ({page.url})"
        body = page.inner_text("body")
        for marker in ERROR_MARKERS:
            assert marker not in body, f"{self.name} {where}: « {marker} » ({page.url})"
        assert page.locator("h1", has_text=re.compile(r"^\s*Erreur\s*$")).count() == 0, f"{where}: Erreur"

        crumbs = page.locator("ol.clea-breadcrumb li")
        if self.expect(crumbs.count() >= 1, f"{where}: pas de fil d'Ariane"):
            first = crumbs.first
            self.expect(
                first.inner_text().strip() == "Tableau de bord",
                f"{where}: le fil d'Ariane ne commence pas par « Tableau de bord »",
            )
            self.expect(readable(first), f"{where}: « Tableau de bord » illisible (même couleur que son fond)")
        user_menu = page.locator(USER_MENU)
        self.expect(
            user_menu.count() == 1 and user_menu.locator("a", has_text="Mon profil").count() == 1,
            f"{where}: pas de menu utilisateur (Mon profil, Déconnexion)",
        )
        self.expect(
            page.locator("a.clea-help", has_text="Besoin d'aide ?").count() == 1, f"{where}: pas de « Besoin d'aide ? »"
        )
        active = [t.strip() for t in page.locator(TOP_TABS_ACTIVE).all_inner_texts()]
        expected = [active_tab] if active_tab else []
        self.expect(active == expected, f"{where}: onglets en surbrillance {active}, attendu {expected}")
        self.expect(not page.js_errors, f"{where}: erreurs JavaScript {page.js_errors}")
        page.js_errors.clear()

    def finish(self):
        assert not self.problems, f"{self.name}: {len(self.problems)} problème(s) :\n" + "\n".join(
            f"  - {problem}" for problem in self.problems
        )


TOP_TABS_ACTIVE = "nav.clea-navbar ul.nav.navbar-nav:first-of-type > li.active > a"


def readable(locator) -> bool:
    """The text's colour differs clearly from what is really painted under it: the first opaque background
    among the elements stacked at the text's centre (so a block drawn over the text by a float counts)."""
    colours = locator.evaluate("""element => {
        const rgb = value => (value.match(/[\\d.]+/g) || []).map(Number);
        const target = element.querySelector('a') || element;
        const box = target.getBoundingClientRect();
        const x = box.left + box.width / 2, y = box.top + box.height / 2;
        let background = [255, 255, 255];
        for (const node of document.elementsFromPoint(x, y)) {
            const c = rgb(getComputedStyle(node).backgroundColor);
            if (c.length >= 3 && (c.length < 4 || c[3] > 0.5)) { background = c; break; }
        }
        return [rgb(getComputedStyle(target).color), background];
    }""")
    text, background = colours

    def luminance(c):
        channels = []
        for value in c[:3]:
            value /= 255
            channels.append(value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4)
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]

    light, dark = sorted((luminance(text), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05) >= 3  # WCAG contrast for large/bold text, a low bar


def log_in(page, login):
    page.goto("/login/")
    page.fill("#username", login)
    page.fill("#password", DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").click()
    assert "/login" not in page.url, f"{login}: la connexion a échoué ({page.url})"


# --- Tests --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("login", list(PROFILES))
def test_every_tab_of_every_profile(page, login):
    must_tabs, no_tabs, must_items, no_items = PROFILES[login]
    visit = Visit(page, login)
    log_in(page, login)
    visit.check_page(200, "accueil")
    visit.expect(
        page.locator("ol.clea-breadcrumb").inner_text().strip() == "Tableau de bord",
        "accueil: fil d'Ariane autre que « Tableau de bord »",
    )
    visit.shot("tableau-de-bord")

    # The user menu opens (Bootstrap's JavaScript works under the CSP) and shows the guide's entries.
    page.locator(USER_MENU + " > a.dropdown-toggle").click()
    assert page.locator(USER_MENU + " .dropdown-menu a", has_text="Mon profil").is_visible(), "menu utilisateur"
    assert page.locator(USER_MENU + " .dropdown-menu a", has_text="Déconnexion").is_visible(), "menu utilisateur"
    page.keyboard.press("Escape")

    tabs = [text.strip() for text in page.locator(TOP_TABS).all_inner_texts()]
    assert len(tabs) == len(set(tabs)), f"{login}: onglets en double {tabs}"
    assert set(tabs) <= EVERY_TAB, f"{login}: onglets inattendus {set(tabs) - EVERY_TAB}"
    assert must_tabs <= set(tabs), f"{login}: onglets manquants {must_tabs - set(tabs)}"
    assert not (no_tabs & set(tabs)), f"{login}: onglets interdits visibles {no_tabs & set(tabs)}"

    for label in tabs:
        status = visit.click(page.locator(TOP_TABS, has_text=label))
        visit.check_page(status, f"onglet {label}", active_tab=label)
        visit.shot(label)

    toggle = page.locator(RESEAU_TOGGLE)
    items = [text.strip() for text in page.locator(RESEAU_ITEMS).all_inner_texts()] if toggle.count() else []
    assert must_items <= set(items), f"{login}: Mon Réseau sans {must_items - set(items)}"
    assert not (no_items & set(items)), f"{login}: Mon Réseau montre {no_items & set(items)}"
    assert toggle.count() == 0 or items, f"{login}: menu Mon Réseau vide"
    for number, label in enumerate(items):
        page.locator(RESEAU_TOGGLE).click()
        item = page.locator(RESEAU_ITEMS).nth(number)
        assert item.is_visible(), f"{login}: le menu Mon Réseau ne s'ouvre pas"
        assert item.inner_text().strip() == label
        if number == 0:
            visit.shot("menu-mon-reseau")
        status = visit.click(item)
        visit.check_page(status, f"Mon Réseau > {label}")
        visit.shot(f"mon-reseau-{label}")

    # Log out through the user menu.
    page.locator(USER_MENU + " > a.dropdown-toggle").click()
    visit.click(page.locator(USER_MENU + " .dropdown-menu a", has_text="Déconnexion"))
    assert page.locator(USER_MENU).count() == 0, f"{login}: toujours connecté après Déconnexion"
    visit.finish()


def test_org_admin_asks_for_a_habilitation_from_the_establishment_page(page):
    visit = Visit(page, "scenario-org.admin")
    log_in(page, "org.admin")
    page.locator(RESEAU_TOGGLE).click()
    visit.check_page(visit.click(page.locator(RESEAU_ITEMS, has_text="Mes Organismes")), "Mes Organismes")
    visit.shot("mes-organismes")

    # Its organisation, the only one of its perimeter → its page.
    links = page.locator("table a[href*='/organismes/show/']")
    assert links.count() == 1, "org.admin ne doit voir que son organisme"
    visit.check_page(visit.click(links.first), "organisme")
    assert page.locator("h1.clea-title").text_content().strip().startswith("Organisme — ")
    visit.shot("organisme")

    # One of its establishments → the establishment page, then the tab « Habilitation(s) en cours ».
    visit.check_page(visit.click(page.locator("a[href*='/etablissements/show/']").first), "établissement")
    assert page.locator("h1.clea-title").text_content().strip().startswith("Visualiser l'établissement")
    visit.shot("etablissement")
    informations = page.locator("#informations")
    request_button = page.get_by_role("link", name="Déposer un dossier d'habilitation")
    visit.expect(
        informations.is_visible() and not request_button.is_visible(),
        "page établissement : les trois onglets sont affichés l'un sous l'autre au lieu du seul "
        "onglet « Informations Etablissement » (.tab-pane pas enfant direct de .tab-content)",
    )
    page.get_by_role("tab", name="Habilitation(s) en cours").click()
    assert request_button.is_visible(), (
        "« Déposer un dossier d'habilitation » absent de l'onglet Habilitation(s) en cours"
    )
    visit.expect(
        not informations.is_visible(),
        "page établissement : l'onglet « Informations Etablissement » reste affiché après le clic "
        "sur « Habilitation(s) en cours »",
    )
    visit.shot("etablissement-habilitations")

    visit.check_page(visit.click(request_button), "Déposer un dossier d'habilitation", active_tab="HABILITATIONS")
    assert page.locator("form").count() >= 1, "pas de formulaire de dossier d'habilitation"
    branches = page.locator("#bloc-branches")  # shown for a request to a CPNE only (data-clea-show-when)
    visit.expect(not branches.is_visible(), "choix des branches affiché pour une demande au CERTIF PRO")
    page.locator("input[name='aupres'][value='branche']").check()
    visit.expect(branches.is_visible(), "choix des branches caché pour une demande à une CPNE")
    page.locator("input[name='aupres'][value='certif_pro']").check()
    visit.shot("faire-une-demande")
    visit.finish()


def test_etab_user_evaluates_a_candidate_from_the_candidate_page(page):
    """The candidate page's tabs and the evaluation form (guide §17), clicked as a person would."""
    visit = Visit(page, "scenario-evaluation")
    log_in(page, "etab.user")
    visit.check_page(
        visit.click(page.locator(TOP_TABS, has_text="EVALUATIONS")), "EVALUATIONS", active_tab="EVALUATIONS"
    )
    row = page.locator("table tr", has_text="2026000001")
    assert row.count() == 1, "le dossier 2026000001 n'est pas dans la liste CANDIDATURE"
    visit.check_page(
        visit.click(row.locator("a[href*='/candidatures/show/']").first), "page candidat", active_tab="EVALUATIONS"
    )
    assert page.locator("h1.clea-title").text_content().strip().startswith("Candidat - ")
    for tab in ("Fiche individu", "Parcours", "Formations CléA", "Documents", "Evaluations"):
        link = page.locator("ul.nav-tabs a", has_text=tab)
        assert link.count() == 1, f"onglet « {tab} » absent de la page candidat"
        link.click()
        visit.expect(page.locator(link.get_attribute("href")).is_visible(), f"onglet « {tab} » ne s'affiche pas")
        visit.shot(f"candidat-{tab}")
    visit.check_page(
        visit.click(page.get_by_role("link", name="Ajouter une évaluation")),
        "nouvelle évaluation",
        active_tab="EVALUATIONS",
    )
    page.fill("#evaluateur_nom", "Durand")
    page.fill("#evaluateur_prenom", "Alice")
    page.fill("#evaluateur_email", "alice.durand@of.example")
    page.fill("#date_evaluation", "12/11/2025")
    # « Afficher tous les commentaires » (data-clea-open-all) opens every domain and comment.
    page.get_by_role("button", name="Afficher tous les commentaires").click()
    closed = page.locator("details.clea-domaine:not([open]), details.clea-commentaire:not([open])")
    visit.expect(closed.count() == 0, f"« Afficher tous les commentaires » laisse {closed.count()} bloc(s) fermé(s)")
    first_row = page.locator("details.clea-domaine").first.locator("tr").first
    first_row.get_by_label("acquis", exact=True).check()
    page.locator("details.clea-domaine").first.locator("tr").nth(1).get_by_label("non acquis").check()
    visit.shot("formulaire-evaluation")
    visit.check_page(
        visit.click(page.get_by_role("button", name="Enregistrer et reprendre plus tard")),
        "évaluation enregistrée",
        active_tab="EVALUATIONS",
    )
    assert "L'évaluation est enregistrée" in page.inner_text("body")
    visit.shot("evaluation-enregistree")
    visit.check_page(
        visit.click(page.get_by_role("link", name="Retourner à la liste des évaluations")),
        "liste des évaluations",
        active_tab="EVALUATIONS",
    )
    visit.expect(
        page.get_by_role("link", name="Continuer l'évaluation en cours").is_visible(),
        "« Continuer l'évaluation en cours » absent après l'enregistrement",
    )
    visit.shot("evaluations-brouillon")
    visit.finish()


def test_certifier_plans_a_jury_and_assigns_waiting_files(page):
    """The CERTIFICATION tab of a certifier (guide §7, §20): calendar, a new session, bulk assignment."""
    visit = Visit(page, "scenario-certificateur")
    log_in(page, "certif.idf")
    visit.check_page(
        visit.click(page.locator(TOP_TABS, has_text="CERTIFICATION")), "CERTIFICATION", active_tab="CERTIFICATION"
    )
    visit.expect("Prochains jurys" in page.inner_text("body"), "colonne « Prochains jurys » absente")
    visit.shot("dates-des-jurys")
    visit.check_page(
        visit.click(page.get_by_role("link", name="SESSIONS DE JURY")), "sessions de jury", active_tab="CERTIFICATION"
    )
    visit.check_page(
        visit.click(page.get_by_role("link", name="Planifier un jury")), "planifier", active_tab="CERTIFICATION"
    )
    import datetime

    page.fill("#date", (datetime.date.today() + datetime.timedelta(days=14)).strftime("%d/%m/%Y"))
    page.fill("#libelle", "Jury - navigateur - Certifications CLEA")
    visit.shot("planifier-un-jury")
    visit.check_page(visit.click(page.get_by_role("button", name="Planifier")), "session", active_tab="CERTIFICATION")
    waiting = page.locator("input[name='candidatures']")
    visit.expect(waiting.count() >= 1, "aucun dossier en attente d'affectation proposé")
    if waiting.count():
        # « Tout sélectionner » (data-clea-check-all, static/clea/clea.js) ticks and unticks every file.
        page.locator("#tout").check()
        visit.expect(all(box.is_checked() for box in waiting.all()), "« Tout sélectionner » sans effet")
        page.locator("#tout").uncheck()
        visit.expect(not any(box.is_checked() for box in waiting.all()), "« Tout sélectionner » ne décoche pas")
        waiting.first.check()
        visit.shot("session-a-affecter")
        visit.check_page(
            visit.click(page.get_by_role("button", name="Affecter à ce jury")),
            "affectation",
            active_tab="CERTIFICATION",
        )
        visit.expect("affecté" in page.inner_text("body"), "pas de confirmation d'affectation")
    visit.shot("session-affectee")
    visit.finish()


def test_network_admin_reads_stats_and_downloads_the_files_export(page):
    """STATS (guide §7): counters and charts, then « Télécharger les statistiques des dossiers » prepared in
    the background, followed on its page and downloaded."""
    visit = Visit(page, "scenario-stats")
    log_in(page, "reseau.admin")
    visit.check_page(visit.click(page.locator(TOP_TABS, has_text="STATS")), "STATS", active_tab="STATS")
    body = page.inner_text("body")
    visit.expect("Date de génération des statistiques" in body, "date de génération absente")
    visit.expect(page.locator("svg.clea-chart rect").count() >= 24, "graphique mensuel absent")
    visit.expect(int(page.inner_text("#stat-dossiers")) > 0, "aucun dossier compté")
    visit.shot("statistiques")
    visit.click(page.get_by_role("button", name="Télécharger les statistiques des dossiers"))
    visit.shot("export-en-preparation")
    from app import tasks

    tasks.run_pending()  # the background task (a Celery worker in production) prepares the file
    page.get_by_role("link", name="Télécharger le fichier").wait_for(timeout=60_000)
    visit.check_page(200, "export prêt", active_tab=None)
    visit.expect("Votre fichier est prêt" in page.inner_text("body"), "export non prêt")
    visit.shot("export-pret")
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger le fichier").click()
    visit.expect(download.value.suggested_filename.startswith("statistiques-dossiers-"), "nom du fichier")
    visit.finish()


def test_anyone_consults_the_public_directory_without_logging_in(page):
    visit = Visit(page, "scenario-annuaire")
    page.goto("/login/")
    with page.expect_navigation():
        page.get_by_role("link", name="Annuaire des organismes habilités").click()
    body = page.inner_text("body")
    visit.expect("annuaire des organismes habilités" in body.lower(), "titre absent")
    visit.expect("établissement(s) habilité(s)" in body, "nombre d'établissements absent")
    visit.expect(not page.js_errors, f"erreurs JavaScript {page.js_errors}")
    visit.shot("annuaire")
    page.select_option("select[name='region']", "Île-de-France")
    with page.expect_navigation():
        page.locator("form button[type='submit']").first.click()
    visit.expect("Île-de-France" in page.inner_text("body"), "filtre région sans effet")
    visit.shot("annuaire-ile-de-france")
    visit.finish()


def test_certif_pro_publishes_news_and_reads_the_quarterly_fees(page):
    visit = Visit(page, "scenario-certifpro-pilotage")
    log_in(page, "certifpro")
    visit.expect(page.locator(".clea-actualites").count() == 1, "pas d'Actualités au tableau de bord")
    visit.check_page(visit.click(page.get_by_role("link", name="Gérer les actualités")), "actualités")
    visit.shot("actualites")
    visit.check_page(
        visit.click(page.locator(TOP_TABS, has_text="ADMINISTRATION")), "administration", active_tab="ADMINISTRATION"
    )
    visit.check_page(visit.click(page.locator("a.list-group-item[href='/redevances/']")), "redevances")
    visit.expect("Total" in page.inner_text("body"), "relevé sans total")
    visit.shot("redevances")
    visit.check_page(
        visit.click(page.locator(TOP_TABS, has_text="ADMINISTRATION")), "administration", active_tab="ADMINISTRATION"
    )
    visit.check_page(visit.click(page.locator("a.list-group-item", has_text="Barème des redevances")), "barème")
    visit.shot("bareme")
    visit.finish()


# --- Content-Security-Policy (issue 11 point 9): no inline script may run but those with the page's nonce ----


def no_csp_refusal(visit, where):
    """Nothing refused by the policy (nor any JavaScript error) since the last check."""
    visit.expect(not visit.page.js_errors, f"{where}: {visit.page.js_errors}")
    visit.page.js_errors.clear()


def test_org_admin_pages_work_under_the_content_security_policy(page):
    """The behaviours moved out of inline scripts and handlers (static/clea/clea.js) and FAB's nonce-carrying
    blocks, clicked as a person would: menus, list filters, tabs, a confirmation, conditional form blocks,
    the « tout sélectionner » boxes."""
    visit = Visit(page, "csp-org.admin")
    log_in(page, "org.admin")
    visit.check_page(200, "accueil")

    # The bell and the user menu open (Bootstrap's dropdowns).
    page.locator("li.clea-bell > a.dropdown-toggle").click()
    bell_all = page.locator("li.clea-bell .dropdown-menu a", has_text="Voir toutes les notifications")
    assert bell_all.is_visible(), "la cloche des notifications ne s'ouvre pas"
    visit.shot("cloche")
    page.keyboard.press("Escape")
    page.locator(USER_MENU + " > a.dropdown-toggle").click()
    assert page.locator(USER_MENU + " .dropdown-menu a", has_text="Mon profil").is_visible(), "menu utilisateur"
    page.keyboard.press("Escape")

    # CANDIDATURE list: FAB's search filters (its nonce-carrying AdminFilters block) add a filter and filter.
    visit.check_page(
        visit.click(page.locator(TOP_TABS, has_text="EVALUATIONS")), "EVALUATIONS", active_tab="EVALUATIONS"
    )
    page.locator("a.accordion-toggle", has_text="Rechercher").click()
    page.locator("#filter_form button.dropdown-toggle", has_text="Ajouter un filtre").click()
    page.locator("#filter_form a.filter[name='numero_dossier']").click()
    value = page.locator("#filter_form table.filters input[name^='_flt_']")
    assert value.count() == 1, "« Ajouter un filtre » n'ajoute pas de ligne de filtre"
    value.fill("2026000001")
    visit.shot("liste-filtre")
    with page.expect_navigation():
        page.locator("#filter_form button[type='submit']").click()
    assert "_flt_" in page.url, f"le filtre n'est pas envoyé ({page.url})"
    rows = page.locator("table tr:has(a[href*='/candidatures/show/'])")
    assert rows.count() == 1 and "2026000001" in rows.first.inner_text(), "le filtre n'a pas filtré la liste"
    visit.check_page(200, "liste filtrée", active_tab="EVALUATIONS")
    visit.shot("liste-filtree")

    # The candidate page: the tabs switch, « Désactiver » asks first (data-confirm), « Annuler » keeps the page.
    visit.check_page(
        visit.click(rows.first.locator("a[href*='/candidatures/show/']").first),
        "page candidat",
        active_tab="EVALUATIONS",
    )
    page.locator("ul.nav-tabs a", has_text="Parcours").click()
    assert page.locator("#parcours").is_visible() and not page.locator("#fiche").is_visible(), "onglet Parcours"
    page.locator("ul.nav-tabs a", has_text="Fiche individu").click()
    assert page.locator("#fiche").is_visible(), "onglet Fiche individu"
    questions = []

    def dismiss(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    shown = page.url
    page.get_by_role("button", name="Désactiver").click()
    assert questions == ["Désactiver cette candidature ?"], f"pas de confirmation avant Désactiver : {questions}"
    still = page.url == shown and page.get_by_role("button", name="Désactiver").is_visible()
    assert still, "candidature désactivée malgré « Annuler »"
    no_csp_refusal(visit, "page candidat")
    visit.shot("page-candidat")

    # « Editer la fiche »: the blocks shown by a list or a radio button (data-clea-show-when).
    visit.check_page(visit.click(page.get_by_role("link", name="Editer la fiche")), "fiche", active_tab="EVALUATIONS")
    salarie = page.locator("#bloc-salarie")
    page.select_option("#statut_inscription", "Salarié")
    assert salarie.is_visible(), "bloc « Salarié » caché pour un salarié"
    page.select_option("#statut_inscription", index=0)
    assert not salarie.is_visible(), "bloc « Salarié » affiché sans statut salarié"
    page.locator("input[name='ne_etranger'][value='1']").check()
    assert page.locator("#bloc-etranger").is_visible() and not page.locator("#bloc-france").is_visible()
    page.locator("input[name='ne_etranger'][value='']").check()
    assert not page.locator("#bloc-etranger").is_visible() and page.locator("#bloc-france").is_visible()
    no_csp_refusal(visit, "fiche candidat")
    visit.shot("fiche-candidat")

    # Notifications: « Tout sélectionner » ticks every box, and its twin at the bottom (the same behaviour,
    # data-clea-check-all, is clicked on a jury's page in test_certifier_plans_a_jury_and_assigns_waiting_files).
    page.locator("li.clea-bell > a.dropdown-toggle").click()
    visit.check_page(visit.click(bell_all), "notifications")
    boxes = page.locator("#notifications-form .clea-selection")
    if boxes.count():  # the demo has no notification for org.admin; tests that create some may run before
        page.locator("#tout-selectionner").check()
        assert all(boxes.nth(i).is_checked() for i in range(boxes.count())), "« Tout sélectionner » sans effet"
        assert page.locator("#tout-selectionner-bas").is_checked(), "le « Tout sélectionner » du bas ne suit pas"
    no_csp_refusal(visit, "notifications")
    visit.finish()


def test_certif_pro_forms_dialogs_and_swagger_work_under_the_content_security_policy(page):
    """FAB's pages under the policy: a list's delete button opens FAB's confirmation dialog, the date picker
    opens in French, a select2 dropdown opens and searches, « Retour » goes back; and Swagger UI renders."""
    visit = Visit(page, "csp-certifpro")
    log_in(page, "certifpro")
    visit.check_page(visit.click(page.get_by_role("link", name="Gérer les actualités")), "actualités")
    page.locator("a.confirm[id^='btn-delete-']").first.click()
    dialog = page.locator("#modal-confirm")
    dialog.wait_for(state="visible")
    assert "Confirmer" in dialog.inner_text(), "la confirmation de suppression de FAB ne s'ouvre pas"
    visit.shot("confirmation-suppression")
    dialog.get_by_role("button", name="Annuler").click()
    dialog.wait_for(state="hidden")
    no_csp_refusal(visit, "actualités")

    # FAB's add form: the date picker, in French, and the date typed jj/mm/aaaa.
    page.goto("/actualites/add")
    visit.check_page(200, "nouvelle actualité")
    date = page.locator("#date_publication")
    shown_date = date.input_value()
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4}", shown_date), f"date non affichée jj/mm/aaaa : {shown_date}"
    date.click()
    picker = page.locator(".datepicker-dropdown")
    picker.wait_for(state="visible")
    assert "lu" in picker.inner_text().split(), "le calendrier n'est pas en français"
    visit.shot("calendrier")
    page.keyboard.press("Escape")

    # A select2 dropdown: opens, searches, says « Aucun résultat » in French.
    page.goto("/organismes/add")
    visit.check_page(200, "nouvel organisme")
    page.locator("#reseau + .select2-container, #s2id_reseau").first.click()
    search = page.locator(".select2-search__field, .select2-input").last
    search.fill("zzzz")
    # The network is a quick picker: the server's answer comes a moment after the typing.
    page.locator(".select2-results", has_text="Aucun résultat").first.wait_for(state="visible")
    assert page.locator(".select2-results", has_text="Aucun résultat").first.is_visible(), "select2 ne s'ouvre pas"
    visit.shot("select2")
    page.keyboard.press("Escape")
    # « Retour » (data-clea-back): the previous page of the browser.
    with page.expect_navigation():
        page.get_by_role("link", name="Retour").click()
    assert page.url.endswith("/actualites/add"), f"« Retour » ne revient pas à la page précédente ({page.url})"
    no_csp_refusal(visit, "formulaires")

    # Swagger UI, served from FAB's own files, under the same policy with its nonce.
    response = page.goto("/swagger/v1")
    assert response.status == 200
    csp = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0], csp
    page.locator("#swagger-ui .info .title").wait_for(state="visible", timeout=30_000)
    assert page.locator("#swagger-ui .opblock").count() > 10, "Swagger UI n'affiche pas les opérations de l'API"
    # « Try it out » → « Execute »: Swagger UI calls the API from the page (connect-src 'self').
    path = "/api/v1/actualite/{pk}"
    operation = page.locator(f"#swagger-ui .opblock-get:has(.opblock-summary-path[data-path='{path}'])")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.locator(".parameters input[placeholder='pk']").fill("1")
    operation.get_by_role("button", name="Execute").click()
    status = operation.locator(".live-responses-table .response .response-col_status").first
    status.wait_for(state="visible")
    assert status.inner_text().strip() == "200", f"Swagger UI : l'appel de l'API répond {status.inner_text()}"
    visit.shot("swagger")
    no_csp_refusal(visit, "swagger")


def test_a_mailed_reset_link_leaves_its_code_in_no_access_log_line(app, page):
    """issue 11: the link carries its code after « # »; the page's script posts it and clears the address bar,
    so no request line or Referer the server (or a proxy) logs ever holds it."""
    from tests.test_users import link_in, mails

    visit = Visit(page, "scenario-lien-mot-de-passe")
    QuietHandler.lines.clear()
    with mails(app) as sink:
        page.goto("/compte/mot-de-passe-oublie")
        page.fill("#login", "etab2.user")
        with page.expect_navigation():
            page.get_by_role("button", name="Envoyer").click()
    ((_subject, body),) = sink.to("etab2.user@demo.clea.example", "Réinitialisation")
    code = link_in(body)
    link = re.search(r"http://clea\.test(/\S+)", body).group(1)
    with page.expect_navigation(url=re.compile(r"/compte/mot-de-passe$")):
        page.goto(link)
    visit.expect("Choisir votre mot de passe" in page.inner_text("body"), "formulaire du mot de passe absent")
    visit.expect(code not in page.url, "le code du lien reste dans la barre d'adresse")
    visit.shot("choisir-mot-de-passe")
    page.fill("#password", "Nouveau-mot-2026")
    page.fill("#confirmation", "Nouveau-mot-2026")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer le mot de passe").click()
    visit.expect("Votre mot de passe est enregistré" in page.inner_text("body"), "mot de passe non enregistré")
    visit.expect(not page.js_errors, f"erreurs JavaScript {page.js_errors}")
    logged = list(QuietHandler.lines)
    visit.expect(any(line.startswith("POST /compte/lien ") for line in logged), f"code non envoyé : {logged}")
    leaks = [line for line in logged if code in line]
    visit.expect(not leaks, f"le code du lien figure dans le journal d'accès : {leaks}")
    visit.finish()
