"""Issue 11 point 9 ("Trust"): a Content-Security-Policy whose scripts are the site's files and the blocks
carrying the request's nonce — no 'unsafe-inline', no inline event handler, no javascript: URL — on every page
and on Swagger UI; and Secure cookies when the platform is served over HTTPS (PUBLIC_URL).

The browser side (nothing refused, the behaviours still work) is in tests/test_browser.py."""

import os
import re
import subprocess
import sys
from collections import deque
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent


def policy(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: [sources]}."""
    directives = {}
    for part in response.headers["Content-Security-Policy"].split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def nonce_of(response) -> str:
    nonces = [s[len("'nonce-") : -1] for s in policy(response)["script-src"] if s.startswith("'nonce-")]
    assert len(nonces) == 1, policy(response)["script-src"]
    return nonces[0]


class PageScan(HTMLParser):
    """What the policy would refuse in a page, and the same-site links to follow."""

    def __init__(self, nonce: str):
        super().__init__(convert_charrefs=True)
        self.nonce = nonce
        self.problems: list[str] = []
        self.links: list[str] = []
        self.inline_scripts = 0

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for name, value in attrs:
            if re.fullmatch(r"on[a-z]+", name):
                self.problems.append(f"<{tag} {name}=…> (gestionnaire d'événement en ligne)")
            if name in {"href", "src", "action", "formaction"} and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"<{tag} {name}={value!r}> (URL javascript:)")
        if tag == "script":
            if "src" not in values:
                self.inline_scripts += 1
            if values.get("nonce", self.nonce) != self.nonce:
                self.problems.append(f"<script nonce={values.get('nonce')!r}> (pas le nonce de la réponse)")
            elif "src" not in values and "nonce" not in values:
                self.problems.append("<script> en ligne sans nonce")
        if tag == "style":
            self.problems.append("<style> en ligne (style-src-elem 'self' : une feuille de style du site)")
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])


def scan(response) -> PageScan:
    parser = PageScan(nonce_of(response))
    parser.feed(response.get_data(as_text=True))
    return parser


def test_pages_have_a_script_policy_without_unsafe_inline_and_a_fresh_nonce(client, as_user):
    """The header of a page and of /swagger/v1: scripts from the site and the nonce only, the nonce drawn
    anew for each answer and carried by the page's inline scripts (FAB's blocks, Swagger UI's start)."""
    ui = as_user("certifpro")
    for url in ("/", "/candidatures/list/", "/actualites/list/", "/swagger/v1"):
        first, second = ui.get(url), ui.get(url)
        assert first.status_code == 200, url
        directives = policy(first)
        assert directives["script-src"][0] == "'self'" and len(directives["script-src"]) == 2, directives
        assert "'unsafe-inline'" not in directives["script-src"] and "'unsafe-eval'" not in directives["script-src"]
        assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"]
        assert directives["style-src-elem"] == ["'self'"], "no <style> block, only the site's style sheets"
        assert nonce_of(first) != nonce_of(second), f"{url}: le même nonce pour deux réponses"
        assert len(nonce_of(first)) >= 22  # 128 bits at least, from secrets
        page = scan(first)
        assert not page.problems, f"{url}: {page.problems}"
        if url != "/":
            assert page.inline_scripts >= 1, f"{url}: pas de bloc FAB avec le nonce ? (la page a changé)"
    swagger = ui.get("/swagger/v1").get_data(as_text=True)
    # Swagger UI comes from FAB's own static files, not from a CDN the policy would refuse.
    assert "/static/appbuilder/js/swagger-ui-bundle.js" in swagger and "https://" not in swagger.split("<body")[0]
    anonymous = client.get("/login/")
    assert "'unsafe-inline'" not in policy(anonymous)["script-src"] and not scan(anonymous).problems
    static = client.get("/static/clea/clea.js")
    assert static.status_code == 200 and "'unsafe-inline'" not in policy(static)["script-src"]


# Links not to follow while walking the pages: leaving the session, files, the API, Swagger (checked above).
SKIPPED = re.compile(r"^/(logout|static|api|swagger|back|lang)\b|\.(pdf|xlsx|csv)$|/(telecharger|fichier|matrice)\b")
PROFILES = ("certifpro", "certif.idf", "reseau.admin", "org.admin", "etab.user")
PAGES_PER_PROFILE = 100


def test_no_rendered_page_has_an_inline_handler_or_a_script_without_nonce(as_user):
    """Every kind of page each of several profiles reaches from its home page, by following the links of the
    pages (one page per path shape, /candidatures/show/7 stands for every candidate): no on…= attribute, no
    javascript: URL, no <script> without the response's nonce, no <style> block."""
    problems, seen_total = [], 0
    for login in PROFILES:
        ui = as_user(login)
        queue, shapes = deque(["/"]), set()
        while queue and len(shapes) < PAGES_PER_PROFILE:
            url = queue.popleft()
            shape = re.sub(r"\d+", "N", urlsplit(url).path)
            if shape in shapes:
                continue
            shapes.add(shape)
            response = ui.get(url, follow_redirects=True)
            url = response.request.path
            if response.status_code != 200 or response.mimetype != "text/html":
                response.close()  # a streamed file keeps its request context open until closed
                continue
            seen_total += 1
            page = scan(response)
            problems += [f"{login} {url}: {problem}" for problem in sorted(set(page.problems))]
            for href in page.links:
                target = urlsplit(urljoin(url, href))
                if target.netloc or target.scheme not in ("", "http") or not target.path or SKIPPED.search(target.path):
                    continue
                queue.append(target.path + (f"?{target.query}" if target.query else ""))
    assert seen_total >= 60, f"seulement {seen_total} pages parcourues"
    assert not problems, "\n".join(problems)


def test_cookies_are_secure_when_the_public_url_is_https(client):
    """PUBLIC_URL in https:// (production behind HTTPS): the session cookie — also CSRF's, Flask-WTF keeps its
    token in the session — gets Secure, keeping HttpOnly and SameSite=Lax; and so does Flask-Login's remember
    cookie. A fresh application is built by create_app in another process (FAB's AppBuilder is one per
    process)."""
    script = (
        "from app import create_app\n"
        "app = create_app({'PUBLIC_URL': 'https://clea.example.fr', 'SQLALCHEMY_DATABASE_URI': 'sqlite://'})\n"
        "print(app.config['REMEMBER_COOKIE_SECURE'])\n"
        "print(app.test_client().get('/login/').headers['Set-Cookie'])\n"
    )
    env = dict(os.environ, SECRET_KEY="tests-only-secret-key-long-enough-for-jwt-hmac")
    env.pop("DATABASE_URL", None)
    env.pop("SESSION_COOKIE_SECURE", None)
    command = [sys.executable, "-c", script]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    remember, cookie = done.stdout.strip().splitlines()[-2:]
    assert remember == "True"
    flags = [part.strip() for part in cookie.split(";")]
    assert flags[0].startswith("session=") and "Secure" in flags, cookie
    assert "HttpOnly" in flags and "SameSite=Lax" in flags, cookie

    # Served over plain http (the tests' PUBLIC_URL, a developer's machine): no Secure, or no cookie would
    # come back to the server.
    plain = client.get("/login/").headers["Set-Cookie"]
    assert "Secure" not in plain and "HttpOnly" in plain and "SameSite=Lax" in plain, plain
