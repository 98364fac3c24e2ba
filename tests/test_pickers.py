"""Quick pickers (issue 17): an establishment, an organisation, a network or a certifier is chosen by typing a part
of its name — the page carries only the option chosen, the view's `choix` route answers what is typed, inside the
perimeter — and a posted id outside what the field offers is refused. The FORMATIONS list's « Réseau » filter."""

import json
import re

from sqlalchemy import func, select

from app.domain import access
from app.extensions import db
from app.models import Candidature, Etablissement, Organisme, Reseau, Utilisateur
from tests.conftest import demo, page_text
from tests.test_candidatures_ui import form as candidature_form
from tests.test_structures import etablissement_form
from tests.test_users import form as user_form

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


def count(app, model) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model)).scalar()


# --- « Proposer une candidature », « Importer des candidats », the transfer request -------------------
def test_the_candidature_form_carries_no_list_of_establishments(app, as_user):
    etabs = ids(app, Etablissement, paris=PARIS, marseille=MARSEILLE)
    # Certif Pro, national: no establishment listed; typing finds them in both networks.
    national = as_user("certifpro")
    html = national.get("/candidatures/proposer").get_data(as_text=True)
    assert options(html, "etablissement") == [""]
    assert 'data-clea-picker="/candidatures/choix/proposable"' in select_html(html, "etablissement")
    assert PARIS not in html and MARSEILLE not in html
    assert answer(national, "/candidatures/choix/proposable?q=compet") == [f"{MARSEILLE} (Marseille)"]
    # A network admin: of its 4 establishments only Paris is habilitated today, so it comes chosen.
    client = as_user("reseau.admin")
    html = client.get("/candidatures/proposer").get_data(as_text=True)
    assert options(html, "etablissement") == ["", str(etabs["paris"])] and LILLE not in html
    assert answer(client, "/candidatures/choix/proposable?q=paris") == [f"{PARIS} (Paris)"]  # Lille: not habilitated
    assert answer(client, "/candidatures/choix/proposable?q=REPUBLIQUE") == [f"{PARIS} (Paris)"]  # accents, case
    assert answer(client, "/candidatures/choix/proposable?q=marseille") == []  # network B's, whatever is typed
    assert answer(client, "/candidatures/choix/proposable?q=avenir%20zzz") == []  # every word typed
    assert client.get("/candidatures/choix/statut").status_code == 404

    # Refused input: the form comes back with the establishment chosen, and only it.
    again = national.post("/candidatures/proposer", data=candidature_form(etabs["paris"], nom_naissance=""))
    assert again.status_code == 200 and "obligatoire" in page_text(again)
    assert options(again.get_data(as_text=True), "etablissement") == ["", str(etabs["paris"])]


def test_an_establishment_user_finds_its_establishment_chosen(app, as_user):
    etabs = ids(app, Etablissement, paris=PARIS)
    html = as_user("etab.user").get("/candidatures/proposer").get_data(as_text=True)
    assert options(html, "etablissement") == ["", str(etabs["paris"])]
    assert f'<option value="{etabs["paris"]}" selected>{PARIS} (Paris)</option>' in html


def test_another_networks_establishment_posted_in_the_candidature_form_is_refused(app, as_user):
    etabs = ids(app, Etablissement, marseille=MARSEILLE)
    before = count(app, Candidature)
    response = as_user("reseau.admin").post(
        "/candidatures/proposer", data=candidature_form(etabs["marseille"], nom_naissance="Pirate")
    )
    assert response.status_code == 200
    assert "Cet établissement n'existe pas ou n'est pas dans votre périmètre." in page_text(response)
    assert MARSEILLE not in response.get_data(as_text=True)  # not even named back
    assert count(app, Candidature) == before


def test_import_form_and_transfer_request_pick_their_establishment(app, as_user):
    html = as_user("certifpro").get("/candidatures/importer").get_data(as_text=True)
    assert options(html, "etablissement") == [""] and PARIS not in html
    client = as_user("reseau2.admin")
    assert answer(client, "/rattachements/choix/destination") == [f"{MARSEILLE} — Marseille"]  # habilitated
    assert answer(client, "/rattachements/choix/destination?q=paris") == []


# --- FAB's forms: the establishment's organisation, the organisation's network ----------------------
def test_fab_forms_pick_the_organisation_and_the_network(app, as_user):
    orgs = ids(app, Organisme, a1="Organisme A1 — Avenir Paris")
    client = as_user("reseau.admin")
    html = client.get("/etablissements/add").get_data(as_text=True)
    assert options(html, "organisme") == [""] and "Organisme A1" not in html
    assert answer(client, "/etablissements/choix/organisme") == [
        "Organisme A1 — Avenir Paris",
        "Organisme A2 — Avenir Ouest",
    ]
    assert answer(client, "/etablissements/choix/organisme?q=mediterranee") == []
    # The edit form shows the organisation's current network, and only it.
    edit = client.get(f"/organismes/edit/{orgs['a1']}").get_data(as_text=True)
    reseau_a = ids(app, Reseau, a="Réseau A — Formation Avenir")["a"]
    assert options(edit, "reseau") == ["", str(reseau_a)] and "Réseau B" not in edit
    assert answer(client, "/organismes/choix/reseau") == ["Réseau A — Formation Avenir"]
    # An organisation's administrator: its own network (which it keeps: only Certif Pro changes it).
    assert answer(as_user("org.admin"), "/organismes/choix/reseau") == ["Réseau A — Formation Avenir"]


def test_another_networks_organisation_posted_in_the_establishment_form_is_refused(app, as_user):
    from app.demo import luhn_complete

    orgs = ids(app, Organisme, a1="Organisme A1 — Avenir Paris")
    with app.app_context():
        siret = luhn_complete(demo(Organisme, id=orgs["a1"]).siren + "0777")
    before = count(app, Etablissement)
    response = as_user("org2.admin").post("/etablissements/add", data=etablissement_form(orgs["a1"], siret))
    # The form again, the organisation refused (the rule's message: none chosen), never named back.
    assert response.status_code == 200
    assert re.search(r"Organisme (&#42; )?Ce champ est obligatoire\.", page_text(response))
    assert "Organisme A1" not in response.get_data(as_text=True)
    assert count(app, Etablissement) == before


def test_an_organisation_cannot_be_moved_into_another_network_from_its_form(app, as_user):
    orgs = ids(app, Organisme, a1="Organisme A1 — Avenir Paris")
    reseaux = ids(app, Reseau, a="Réseau A — Formation Avenir", b="Réseau B — Compétences Sud")
    with app.app_context():
        values = {c.key: getattr(demo(Organisme, id=orgs["a1"]), c.key) for c in Organisme.__table__.columns}
    form = {k: "y" if v is True else v for k, v in values.items() if v is not None and v is not False}
    form["reseau"] = reseaux["b"]
    client = as_user("reseau.admin")
    response = client.post(f"/organismes/edit/{orgs['a1']}", data=form)
    assert response.status_code == 200 and "Réseau Seul Certif Pro peut modifier ce champ." in page_text(response)
    assert "Réseau B" not in response.get_data(as_text=True)
    before = count(app, Organisme)
    created = client.post("/organismes/add", data={**form, "siren": "800000010"})
    assert created.status_code == 200 and "Ce choix n'est pas valide." in page_text(created)
    assert count(app, Organisme) == before
    with app.app_context():
        assert demo(Organisme, id=orgs["a1"]).reseau_id == reseaux["a"]


# --- The user form ---------------------------------------------------------------------------------
def test_the_user_form_picks_its_attachment_in_the_perimeter(app, as_user):
    etabs = ids(app, Etablissement, paris=PARIS, marseille=MARSEILLE)
    client = as_user("reseau.admin")
    html = client.get("/utilisateurs/add").get_data(as_text=True)
    for field in ("reseau", "organisme", "etablissement"):
        assert options(html, field) == [""], field
    assert 'name="certificateur"' not in html  # Certif Pro's to attach
    assert PARIS not in html and "Organisme A1" not in html
    assert answer(client, "/utilisateurs/choix/etablissement?q=avenir ouest") == [
        "Avenir Ouest Nantes",
        "Avenir Ouest Rennes",
    ]
    assert answer(client, "/utilisateurs/choix/certificateur") == []
    assert answer(as_user("certifpro"), "/utilisateurs/choix/certificateur?q=bretagne") == ["Transitions Pro Bretagne"]

    before = count(app, Utilisateur)
    refused = client.post(
        "/utilisateurs/add",
        data=user_form(access.UTILISATEUR_ETABLISSEMENT, "pirate@exemple.fr", etablissement=etabs["marseille"]),
    )
    assert refused.status_code == 200 and "n'est pas dans votre périmètre" in page_text(refused)
    assert options(refused.get_data(as_text=True), "etablissement") == [""] and MARSEILLE not in page_text(refused)
    assert count(app, Utilisateur) == before
    # Its own establishment is shown again after another field's error.
    again = client.post(
        "/utilisateurs/add", data=user_form(access.UTILISATEUR_ETABLISSEMENT, "", etablissement=etabs["paris"])
    )
    assert options(again.get_data(as_text=True), "etablissement") == ["", str(etabs["paris"])]


# --- Lists' filters, the change of situation ---------------------------------------------------------
def test_lists_filters_and_the_change_of_situation_are_pickers(app, as_user):
    client = as_user("certifpro")
    html = client.get("/habilitations/list/").get_data(as_text=True)
    assert search_field(html, "organisme").endswith('name="organisme"><option value=""></option></select>')
    assert answer(client, "/habilitations/choix/organisme?q=méditerranée") == [
        "Organisme B1 — Compétences Méditerranée"
    ]
    rattachements = client.get("/rattachements/list/").get_data(as_text=True)
    for name in ("etablissement_origine", "etablissement_destination"):
        assert search_field(rattachements, name).endswith('<option value=""></option></select>'), name

    org = as_user("org.admin")
    page = org.get("/changements/").get_data(as_text=True)
    a1 = ids(app, Organisme, a1="Organisme A1 — Avenir Paris")["a1"]
    assert options(page, "organisme") == ["", str(a1)]  # its one organisation, chosen
    assert options(page, "etablissement") == [""] and PARIS not in page
    assert answer(org, "/changements/choix/etablissement?q=paris") == [
        "Organisme A1 — Avenir Paris — Avenir Paris Lille",
        "Organisme A1 — Avenir Paris — Avenir Paris République",
    ]
    assert answer(org, "/changements/choix/etablissement?q=rennes") == []  # the sister organisation's
    assert org.get("/changements/choix/reseau").status_code == 404
