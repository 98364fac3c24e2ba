"""No link leads to « Accès refusé » (issue 17): for every demo profile, every page reached by following the links
of the pages it is shown, from its dashboard, answers — never 403, 404 or 500, never a redirection flashing
« Accès refusé ». Breadcrumbs, menus, lists and buttons show only what the profile may open. Every page reached
writes its numbers the French way (« 7,2 Ko », « 35 h », never « 35.0 » or « KB »)."""

import re
from collections import deque
from html import unescape
from urllib.parse import urldefrag, urlsplit

import pytest

from tests.conftest import page_text
from tests.test_smoke import DEMO_LOGINS

LINK = re.compile(r'<a\b[^>]*\bhref="([^"]+)"')
SKIP = (
    "/logout",
    "/login",
    "/static/",
    "/swagger",
    "/api/",
    "/lang/",
    "/verifier/",  # public pages
)
PAGES_PER_PROFILE = 150
# « 35.0 », « 12.50 », « 7.2 Ko », « 7,2 KB »… — not the référentiel's codes « 1.2 » (domain.sub-domain).
ENGLISH_NUMBER = re.compile(
    r"(?<![\w.])\d+\.(?:0|\d{2,})(?![\w.])|(?<![\w.])\d+\.\d+ ?(?:h|Ko|Mo|Go|%|€)(?!\w)"
    r"|\b\d+(?:[.,]\d+)? ?(?:KB|MB|GB|bytes)\b"
)


def _links(html: str) -> list[str]:
    found = []
    for raw in LINK.findall(html):
        href = urldefrag(unescape(raw))[0]
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not href.startswith("/") or href.startswith(SKIP):
            continue
        found.append(href)
    return found


def _shape(url: str) -> str:
    """Pages of the same kind (one per record, one per filter value) are visited once each kind."""
    path, _, query = url.partition("?")
    path = re.sub(r"/\d+", "/<n>", path)
    keys = sorted(k.split("=")[0] for k in query.split("&") if k)
    return path + ("?" + "&".join(keys) if keys else "")


@pytest.mark.parametrize("username", [*DEMO_LOGINS, "jury.idf", "branche.commerce"])
def test_no_link_of_a_profile_leads_to_a_refusal(as_user, username):
    client = as_user(username)
    queue, seen, visited, broken = deque([("/", "(tableau de bord)")]), {"/"}, 0, []
    while queue and visited < PAGES_PER_PROFILE:
        url, source = queue.popleft()
        answer = client.get(url)
        visited += 1
        if answer.status_code in (301, 302, 303):
            target = answer.headers["Location"]
            landed = client.get(target)
            if "Accès refusé" in landed.get_data(as_text=True) or "/login" in target:
                broken.append(f"{url} (lien de {source}) → redirigé vers {target} : accès refusé")
            continue
        if answer.status_code != 200:
            broken.append(f"{url} (lien de {source}) → {answer.status_code}")
            continue
        if not answer.content_type.startswith("text/html"):
            answer.get_data()  # a download: read through (a streamed one ends its request)
            continue
        body = answer.get_data(as_text=True)
        if "Accès refusé" in body:
            broken.append(f"{url} (lien de {source}) → « Accès refusé »")
        english = ENGLISH_NUMBER.findall(page_text(answer))
        if english:
            broken.append(f"{url} : nombres à l'anglaise {english[:5]}")
        for href in _links(body):
            shape = _shape(href)
            if shape not in seen:
                seen.add(shape)
                queue.append((href, url))
    assert visited > 10, visited
    assert not broken, "\n".join(broken)
