"""Accessibility and layout in a real browser (quality.md "Accessibility: WCAG 2.1 AA, checked with axe-core";
issue 17 items 7 and 8), on the infrastructure of tests/test_browser.py (live server, headless Chromium).

For every demo profile: the login page, the home page, every top tab, every entry of "Mon Réseau ▾", a list, a
candidate page (each of its tabs), « Proposer une candidature », an evaluation form and, for Certif Pro, every
page of ADMINISTRATION. On each page axe-core (node_modules/axe-core, `npm ci`) must find no violation of impact
serious or critical, and the page has exactly one <main> and one <h1>. Screenshots go to
test-artifacts/screenshots/accessibilite/<login>/.

Layout: at 1366×768 the navbar holds on one line for every profile; at 375×667 it folds into its burger menu and
no page scrolls sideways (a table scrolls inside its own container). Keyboard focus is visible.

axe-core is read from node_modules (package.json at the repository's root, `npm ci`): without it the tests are
skipped on a developer machine, and fail in CI (CI=true), like Chromium in tests/test_browser.py.
"""

import os
from pathlib import Path

import pytest

from tests.test_browser import (  # noqa: F401  (the module's fixtures)
    PROFILES,
    RESEAU_ITEMS,
    RESEAU_TOGGLE,
    SCREENSHOTS,
    TOP_TABS,
    browser_context,
    chromium_path,
    live_server,
    log_in,
    page,
    slug,
)

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
FOLDER = SCREENSHOTS / "accessibilite"
# The demo accounts (README « Comptes de démonstration »): the navigation's profiles and two certifier profiles.
LOGINS = [*PROFILES, "jury.idf", "branche.commerce"]
BLOCKING = {"serious", "critical"}

pytestmark = pytest.mark.committing(reset="module")


@pytest.fixture(scope="module")
def axe_source():
    if not AXE.exists():
        message = f"{AXE} est absent : lancez `npm ci` à la racine du dépôt (axe-core, package.json)."
        if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
    return AXE.read_text(encoding="utf-8")


class Audit:
    """One profile's walk: each page audited by axe, a screenshot, the problems gathered and reported at the end."""

    def __init__(self, tab, axe_source, name):
        self.page, self.axe, self.name = tab, axe_source, name
        self.folder = FOLDER / name
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()
        self.count = 0
        self.problems: list[str] = []
        self.seen: dict[str, int] = {}

    def check(self, label, landmarks=True):
        """axe-core on the page as shown (hidden tabs and closed menus are not painted, so not judged)."""
        tab = self.page
        path = self.folder / f"{self.count:02d}-{slug(label)}.png"
        self.count += 1
        tab.screenshot(path=str(path), full_page=True)
        # Evaluated through the DevTools protocol: the page's Content-Security-Policy does not apply to it (an
        # injected <script> tag would be refused, as any inline script).
        if not tab.evaluate("() => typeof window.axe !== 'undefined'"):
            tab.evaluate(self.axe)
        violations = tab.evaluate("""async () => {
            const results = await axe.run(document, {resultTypes: ['violations']});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map(n => {
                    const data = (n.any[0] || {}).data || {};
                    const detail = data.contrastRatio
                        ? ` (${data.fgColor} sur ${data.bgColor} : ${data.contrastRatio}:1,`
                          + ` attendu ${data.expectedContrastRatio})`
                        : ` ${n.html.slice(0, 120)}`;
                    return n.target.join(' ') + detail;
                }),
            }));
        }""")
        for v in violations:
            if v["impact"] in BLOCKING:
                self.seen[v["id"]] = self.seen.get(v["id"], 0) + len(v["targets"])
                targets = "\n      ".join(v["targets"][:8]) + ("\n      …" if len(v["targets"]) > 8 else "")
                where = f"{label} ({tab.url}): [{v['impact']}] {v['id']} — {v['help']}"
                self.problems.append(f"{where} :\n      {targets}")
        if landmarks:
            mains = tab.locator("main, [role='main']").count()
            if mains != 1:
                self.problems.append(f"{label} ({tab.url}): {mains} <main> au lieu d'un seul")
            titles = tab.locator("h1").count()
            if titles != 1:
                self.problems.append(f"{label} ({tab.url}): {titles} <h1> au lieu d'un seul")

    def goto_link(self, locator, label):
        with self.page.expect_navigation():
            locator.click()
        self.check(label)

    def finish(self):
        summary = ", ".join(f"{rule} ×{n}" for rule, n in sorted(self.seen.items()))
        assert not self.problems, f"{self.name}: {len(self.problems)} problème(s) ({summary}) :\n" + "\n".join(
            f"  - {problem}" for problem in self.problems
        )


def candidate_pages(audit):
    """A file of the CANDIDATURE list, one waiting for its evaluation when there is one (its page shows
    « Abandonner » and « Ajouter une évaluation »): its page and each of its tabs, then its evaluation form."""
    tab = audit.page
    rows = tab.locator("table tr:has(a[href*='/candidatures/show/'])")
    if not rows.count():
        return
    row = rows.first
    for status in ("En attente d'évaluation préalable", "En attente d'évaluation"):
        if rows.filter(has_text=status).count():
            row = rows.filter(has_text=status).first
            break
    audit.goto_link(row.locator("a[href*='/candidatures/show/']").first, "page candidat")
    tabs = tab.locator("ul.nav-tabs > li > a[data-toggle='tab']")
    for number in range(tabs.count()):
        tab = tabs.nth(number)
        if tab.is_visible():
            label = tab.inner_text().strip()
            tab.click()
            audit.check(f"page candidat - {label}")
    evaluations = tab.locator("ul.nav-tabs a[href='#evaluations']")
    if evaluations.count():
        evaluations.click()
    add = tab.get_by_role("link", name="Ajouter une évaluation")
    if add.count() and add.first.is_visible():
        audit.goto_link(add.first, "nouvelle évaluation")
        # Every domain opened: its sub-domains' « acquis / non acquis » choices are painted, so judged.
        tab.get_by_role("button", name="Afficher tous les commentaires").click()
        audit.check("nouvelle évaluation - tous les domaines ouverts")


@pytest.mark.parametrize("login", LOGINS)
def test_every_main_page_of_every_profile_passes_axe(page, axe_source, login):  # noqa: F811
    audit = Audit(page, axe_source, login)
    page.goto("/login/")
    audit.check("connexion")
    log_in(page, login)
    audit.check("tableau de bord")
    tabs = [text.strip() for text in page.locator(TOP_TABS).all_inner_texts()]
    for label in tabs:
        audit.goto_link(page.locator(TOP_TABS, has_text=label), f"onglet {label}")
        if label == "EVALUATIONS":
            # A list of several pages (three rows a page): its pagination.
            page.goto("/candidatures/list/?psize_CandidatureView=3&page_CandidatureView=1")
            if page.locator(".pagination").count():
                audit.check("liste paginée")
            page.go_back()
            propose = page.get_by_role("link", name="Proposer une candidature")
            if propose.count():
                audit.goto_link(propose.first, "proposer une candidature")
                page.go_back()
            candidate_pages(audit)
        if label == "ADMINISTRATION":
            entries = page.locator("a.list-group-item")
            for number, text in enumerate(entries.all_inner_texts()):
                audit.goto_link(page.locator("a.list-group-item").nth(number), f"administration - {text.strip()}")
                page.goto("/administration/")
    items = [text.strip() for text in page.locator(RESEAU_ITEMS).all_inner_texts()]
    for number, label in enumerate(items):
        page.locator(RESEAU_TOGGLE).click()
        audit.goto_link(page.locator(RESEAU_ITEMS).nth(number), f"Mon Réseau - {label}")
    # A menu opened: its entries are painted, so judged too.
    page.locator("nav.clea-navbar .navbar-right > li.dropdown > a.dropdown-toggle").last.click()
    audit.check("menu utilisateur ouvert")
    audit.finish()


def test_public_pages_pass_axe(page, axe_source):  # noqa: F811
    audit = Audit(page, axe_source, "public")
    for address, label in (
        ("/login/", "connexion"),
        ("/compte/mot-de-passe-oublie", "mot de passe oublié"),
        ("/annuaire/", "annuaire"),
    ):
        page.goto(address)
        audit.check(label)
    audit.finish()


# --- Layout (issue 17 item 7) -------------------------------------------------------------------------------


NAVBAR_LINES = """() => {
    const items = [...document.querySelectorAll('nav.clea-navbar .navbar-collapse > ul > li')];
    const tops = new Set(items.map(li => Math.round(li.getBoundingClientRect().top)));
    return {lines: tops.size, height: document.querySelector('nav.clea-navbar').getBoundingClientRect().height,
            items: items.length};
}"""


@pytest.mark.parametrize("login", LOGINS)
def test_the_navbar_holds_on_one_line_at_1366_pixels(page, login):  # noqa: F811
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, login)
    measure = page.evaluate(NAVBAR_LINES)
    FOLDER.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(FOLDER / f"navbar-1366-{slug(login)}.png"))
    assert measure["items"] >= 3, measure
    # One line: every entry at the same height, and the bar no taller than one line (Bootstrap's 50 px + border).
    assert measure["lines"] == 1 and measure["height"] <= 60, f"{login}: barre de navigation sur plusieurs lignes"


# Pages of several kinds: dashboard, lists, forms, wide tables (the rights matrix, the changes of situation).
SMALL_PAGES = [
    "/",
    "/candidatures/list/",
    "/candidatures/proposer",
    "/notifications/",
    "/mon-profil/",
    "/changements/",
    "/administration/matrice",
    "/organismes/list/",
]


def overflow(tab):
    return tab.evaluate("() => document.documentElement.scrollWidth")


@pytest.mark.parametrize("login", ["org.admin", "certifpro"])
def test_pages_fit_a_375_pixel_screen(page, login):  # noqa: F811
    page.set_viewport_size({"width": 375, "height": 667})
    problems = []
    for address in ("/login/", "/annuaire/"):
        page.goto(address)
        if overflow(page) > 375:
            problems.append(f"{address}: largeur {overflow(page)} px")
    log_in(page, login)
    toggle = page.locator("nav.clea-navbar .navbar-toggle")
    assert toggle.is_visible(), "pas de menu « burger » à 375 px"
    assert not page.locator(TOP_TABS).first.is_visible(), "les onglets restent affichés à 375 px, menu fermé"
    toggle.click()
    page.locator(TOP_TABS).first.wait_for(state="visible")
    FOLDER.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(FOLDER / f"375-{slug(login)}-menu.png"), full_page=True)
    visited = []
    for address in SMALL_PAGES:
        response = page.goto(address)
        if response.status >= 400:
            continue
        visited.append(address)
        page.screenshot(path=str(FOLDER / f"375-{slug(login)}-{slug(address)}.png"), full_page=True)
        if overflow(page) > 375:
            problems.append(f"{address}: largeur {overflow(page)} px")
    # A record's page: the first organisation of the list.
    page.goto("/organismes/list/")
    with page.expect_navigation():
        page.locator("table a[href*='/organismes/show/']").first.click()
    visited.append(page.url)
    page.screenshot(path=str(FOLDER / f"375-{slug(login)}-organisme.png"), full_page=True)
    if overflow(page) > 375:
        problems.append(f"{page.url}: largeur {overflow(page)} px")
    assert len(visited) >= 6, visited
    assert not problems, f"{login}: pages plus larges que l'écran de 375 px : {problems}"


def test_keyboard_focus_is_visible(page):  # noqa: F811
    """Tab through the home page: every element that takes the focus shows an outline (or a shadow)."""
    log_in(page, "org.admin")
    invisible = []
    for _ in range(15):
        page.keyboard.press("Tab")
        style = page.evaluate("""() => {
            const e = document.activeElement, s = getComputedStyle(e);
            return {what: e.tagName + ' ' + (e.innerText || e.getAttribute('aria-label') || '').trim().slice(0, 30),
                    outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2,
                    shadow: s.boxShadow !== 'none'};
        }""")
        if not (style["outline"] or style["shadow"]):
            invisible.append(style["what"])
    assert not invisible, f"focus clavier invisible sur : {invisible}"
