"""Quick pickers (issue 17): an establishment, an organisation, a network or a certifier is chosen by typing a part
of its name — the page carries only the option chosen, the view's `choix` route answers what is typed, inside the
perimeter — and a posted id outside what the field offers is refused. The FORMATIONS list's « Réseau » filter."""

import json
import re

from app.models import Reseau
from tests.conftest import demo, page_text

PARIS = "Avenir Paris République"  # network A, habilitated
LILLE = "Avenir Paris Lille"  # network A, not habilitated
MARSEILLE = "Compétences Méditerranée Marseille"  # network B, habilitated


def ids(app, model, **names):
    with app.app_context():
        return {key: demo(model, nom=nom).id for key, nom in names.items()}


def select_html(html: str, name: str) -> str:
    found = re.search(rf'<select[^>]*\bname="{name}"[^>]*>.*?</select>', html, re.S)
    assert found, f"pas de champ {name}"
    return found.group(0)


def options(html: str, name: str) -> list[str]:
    """The values of the options a page carries for a field."""
    return re.findall(r'<option value="([^"]*)"', select_html(html, name))


def search_field(html: str, name: str) -> str:
    """A search form's field as FAB writes it into the list page's script (a JSON string)."""
    found = re.search(rf'"{re.escape(name)}": ("\\u003c(?:[^"\\]|\\.)*")', html)
    assert found, f"pas de filtre {name}"
    return json.loads(found.group(1))


def answer(client, url) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return [row["text"] for row in response.get_json()["results"]]


# --- The FORMATIONS list's « Réseau » filter -------------------------------------------------------
def test_formations_list_filters_by_the_network_of_the_files_establishment(app, as_user):
    reseaux = ids(app, Reseau, a="Réseau A — Formation Avenir", b="Réseau B — Compétences Sud")
    client = as_user("certifpro")
    every = page_text(client.get("/formations/list/"))
    assert "Lambert Yanis-Marie" in every and "Moreau Camille" in every
    html = client.get("/formations/list/").get_data(as_text=True)
    # « Réseau » among the search form's filters, a picker carrying no network.
    assert search_field(html, "reseau") == (
        '<select class="form-control" data-clea-picker="/formations/choix/reseau" id="reseau" name="reseau">'
        '<option value=""></option></select>'
    )

    only_a = client.get(f"/formations/list/?_flt_0_reseau={reseaux['a']}")
    text = page_text(only_a)
    assert "Moreau Camille" in text and "Lambert Yanis" in text and "-Marie" not in text
    # The filter row shows the network chosen (and no other option).
    assert options(search_field(only_a.get_data(as_text=True), "reseau"), "reseau") == ["", str(reseaux["a"])]

    only_b = page_text(client.get(f"/formations/list/?_flt_0_reseau={reseaux['b']}"))
    assert "Lambert Yanis-Marie" in only_b and "Moreau Camille " not in only_b.replace("Camille-Marie", "")
    assert "Lambert Yanis " not in only_b.replace("Yanis-Marie", "")
    assert "Moreau" not in page_text(client.get("/formations/list/?_flt_0_reseau=abc"))  # names no network
    assert answer(client, "/formations/choix/reseau?q=competences") == ["Réseau B — Compétences Sud"]


def test_a_network_admin_sees_only_its_network_in_the_reseau_filter(as_user):
    client = as_user("reseau2.admin")
    assert answer(client, "/formations/choix/reseau") == ["Réseau B — Compétences Sud"]
    assert answer(client, "/formations/choix/reseau?q=avenir") == []
