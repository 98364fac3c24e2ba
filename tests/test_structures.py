"""Organisations, establishments and networks through the UI forms (guide §8, §10, §11)."""

import re

from sqlalchemy import select

from app.demo import luhn_complete
from app.domain.regions import REGIONS
from app.extensions import db
from app.models import Etablissement, Organisme, Reseau
from tests.conftest import demo, page_text

SIREN = luhn_complete("91234567")


def organisme_form(**overrides):
    data = {
        "siren": SIREN,
        "nom": "LA BOETIE",
        "adresse": "3 rue Paradis",
        "ville": "Marseille",
        "code_postal": "13001",
        "contact_nom": "Boétie",
        "contact_prenom": "Étienne",
        "contact_email": "contact@laboetie.example",
        "email_facturation": "compta@laboetie.example",
        "actif": "y",
    }
    data.update(overrides)
    return data


def etablissement_form(organisme_id, siret, **overrides):
    data = {
        "organisme": organisme_id,
        "nom": "LA BOETIE Marseille",
        "siret": siret,
        "referent_nom": "Ref",
        "referent_prenom": "Rémi",
        "referent_email": "ref@laboetie.example",
        "public_nom": "Accueil",
        "public_prenom": "CléA",
        "public_email": "accueil@laboetie.example",
        "public_telephone": "04 91 00 00 00",
        "adresse": "3 rue Paradis",
        "ville": "Marseille",
        "code_postal": "13001",
        "region": "Provence-Alpes-Côte d'Azur",
        "actif": "y",
    }
    data.update(overrides)
    return data


def edit_form_of(etab) -> dict:
    """The establishment's current values, as its edit form posts them."""
    form = {
        c.key: getattr(etab, c.key)
        for c in Etablissement.__table__.columns
        if c.key in etablissement_form(0, "") and getattr(etab, c.key) is not None
    }
    form.pop("organisme", None)
    form["actif"] = "y"
    return form


def test_network_admin_creates_an_organisation_then_chains_to_its_first_establishment(app, as_user):
    client = as_user("reseau.admin")
    page = page_text(client.get("/organismes/add"))
    assert "Créer et ajouter un établissement" in page and "SIREN" in page
    response = client.post("/organismes/add", data=organisme_form(_ajouter_etablissement="1"))
    assert response.status_code == 302
    with app.app_context():
        org = demo(Organisme, siren=SIREN)
        assert org.reseau.nom == "Réseau A — Formation Avenir"
        org_id = org.id
    assert response.headers["Location"].endswith(f"/etablissements/add?organisme={org_id}")
    form = client.get(f"/etablissements/add?organisme={org_id}").get_data(as_text=True)
    # The organisation is a quick picker holding the one chosen (app/views/base.py PickerWidget).
    picker = re.search(r'<select[^>]*\bname="organisme"[^>]*>(.*?)</select>', form, re.S)
    assert picker and "data-clea-picker=" in picker.group(0)
    assert re.findall(r'<option value="(\d*)"', picker.group(1)) == ["", str(org_id)]
    assert f'<option value="{org_id}" selected>' in picker.group(1)

    siret = luhn_complete(SIREN + "0001")
    created = client.post("/etablissements/add", data=etablissement_form(org_id, siret), follow_redirects=True)
    assert created.status_code == 200
    with app.app_context():
        assert demo(Etablissement, siret=siret).organisme_id == org_id


def test_invalid_siren_is_shown_next_to_the_field_and_input_is_kept(as_user):
    response = as_user("reseau.admin").post("/organismes/add", data=organisme_form(siren="123456789"))
    text = page_text(response)
    assert response.status_code == 200
    assert "Ce numéro SIREN n'est pas valide (clé de contrôle incorrecte)." in text
    assert 'value="LA BOETIE"' in response.get_data(as_text=True)


def test_billing_address_required_when_different(as_user):
    response = as_user("reseau.admin").post(
        "/organismes/add", data=organisme_form(siren=luhn_complete("91234568"), facturation_differente="y")
    )
    assert page_text(response).count("Ce champ est obligatoire.") >= 3


def test_siret_must_belong_to_the_organisation(app, as_user):
    with app.app_context():
        a1 = demo(Organisme, nom="Organisme A1 — Avenir Paris")
        a1_id = a1.id
        foreign_siret = luhn_complete(demo(Organisme, nom="Organisme B1 — Compétences Méditerranée").siren + "0099")
    response = as_user("org.admin").post("/etablissements/add", data=etablissement_form(a1_id, foreign_siret))
    assert "Le SIRET doit commencer par le SIREN de l'organisme" in page_text(response)


def test_duplicate_siret_is_refused(app, as_user):
    with app.app_context():
        existing = demo(Etablissement, nom="Avenir Paris République")
        org_id, siret = existing.organisme_id, existing.siret
    response = as_user("org.admin").post("/etablissements/add", data=etablissement_form(org_id, siret))
    assert "Un établissement avec ce SIRET existe déjà." in page_text(response)


def test_only_certif_pro_changes_actif_and_an_inactive_organisation_gets_no_new_establishment(app, as_user):
    with app.app_context():
        org = demo(Organisme, nom="Organisme A2 — Avenir Ouest")
        org_id, values = org.id, {c.key: getattr(org, c.key) for c in Organisme.__table__.columns}
    form = {k: v for k, v in values.items() if k in organisme_form() and v is not None}
    form["reseau"] = values["reseau_id"]
    form.pop("actif", None)  # unchecked box: the organisation would become inactive
    refused = as_user("reseau.admin").post(f"/organismes/edit/{org_id}", data=form)
    assert "Seul Certif Pro peut modifier ce champ." in page_text(refused)
    with app.app_context():
        assert db.session.get(Organisme, org_id).actif is True

    done = as_user("certifpro").post(f"/organismes/edit/{org_id}", data=form, follow_redirects=True)
    assert done.status_code == 200
    with app.app_context():
        assert db.session.get(Organisme, org_id).actif is False
    shown = page_text(as_user("reseau.admin").get(f"/organismes/show/{org_id}"))
    assert "Cet organisme est inactif" in shown

    siret = luhn_complete(values["siren"] + "0042")
    response = as_user("reseau.admin").post("/etablissements/add", data=etablissement_form(org_id, siret))
    assert "Cet organisme est inactif : il ne peut plus créer d'établissement." in page_text(response)


def test_edits_are_in_the_establishment_trail_with_old_and_new_values(app, as_user):
    with app.app_context():
        etab = demo(Etablissement, nom="Avenir Paris République")
        etab_id, form = etab.id, edit_form_of(etab)
    form["public_telephone"] = "01 99 99 99 99"
    client = as_user("etab.admin")
    assert client.post(f"/etablissements/edit/{etab_id}", data=form).status_code == 302
    trail = page_text(client.get(f"/etablissements/show/{etab_id}"))
    assert "Modification" in trail and "Léa Richard" in trail
    assert "Téléphone du contact public : 01 23 45 67 89 → 01 99 99 99 99" in trail


def test_mon_reseau_edits_head_contact_and_option(app, as_user):
    client = as_user("reseau.superviseur")
    response = client.get("/reseaux/mon-reseau/")
    with app.app_context():
        reseau_id = demo(Reseau, nom="Réseau A — Formation Avenir").id
    assert response.headers["Location"].endswith(f"/reseaux/edit/{reseau_id}")
    page = page_text(client.get(f"/reseaux/edit/{reseau_id}"))
    assert "Tête de réseau" in page and "Notifier lors de la création d'une candidature" in page
    saved = client.post(
        f"/reseaux/edit/{reseau_id}",
        data={
            "nom": "Réseau A — Formation Avenir",
            "responsable_nom": "Nouveau",
            "responsable_prenom": "Chef",
            "responsable_email": "pas-un-email",
        },
    )
    assert "Adresse email invalide." in page_text(saved)
    client.post(
        f"/reseaux/edit/{reseau_id}",
        data={
            "nom": "Réseau A — Formation Avenir",
            "responsable_nom": "Nouveau",
            "responsable_prenom": "Chef",
            "responsable_email": "chef@reseau-a.example",
        },
    )
    with app.app_context():
        reseau = db.session.get(Reseau, reseau_id)
        assert reseau.responsable_email == "chef@reseau-a.example"
        assert reseau.notifier_creation_candidature is False


def test_organisation_page_lists_establishments_and_habilitations(app, as_user):
    with app.app_context():
        org_id = demo(Organisme, nom="Organisme A1 — Avenir Paris").id
    text = page_text(as_user("org.user").get(f"/organismes/show/{org_id}"))
    assert "Avenir Paris République" in text and "Avenir Paris Lille" in text
    assert "Habilitations" in text and "Habilitation accordée" in text
    assert "Modifier l'organisme" not in text  # 👁 only for Utilisateur organisme


def test_two_people_editing_the_same_establishment_lose_nothing(app, as_user):
    import re

    with app.app_context():
        etab = demo(Etablissement, nom="Avenir Paris Lille")
        etab_id, form = etab.id, edit_form_of(etab)
    first, second = as_user("org.admin"), as_user("reseau.admin")
    html = second.get(f"/etablissements/edit/{etab_id}").get_data(as_text=True)
    loaded = re.search(r'name="version_chargee" type="hidden" value="(\d+)"', html).group(1)
    # Someone else saves first…
    assert (
        first.post(
            f"/etablissements/edit/{etab_id}", data={**form, "version_chargee": loaded, "ville": "Roubaix"}
        ).status_code
        == 302
    )
    # …then the second save, made on the old version, is refused and changes nothing.
    stale = second.post(
        f"/etablissements/edit/{etab_id}", data={**form, "version_chargee": loaded, "ville": "Tourcoing"}
    )
    assert "Cette fiche a été modifiée par quelqu'un d'autre" in page_text(stale)
    with app.app_context():
        assert db.session.get(Etablissement, etab_id).ville == "Roubaix"


def test_search_filters_list_only_the_perimeter(as_user):
    html = as_user("org2.admin").get("/habilitations/list/").get_data(as_text=True)
    assert "Organisme B1 — Compétences Méditerranée" in html
    assert "Avenir Paris" not in html and "Organisme A1" not in html


def test_deleting_is_certif_pro_only_and_a_used_record_is_kept(app, as_user):
    with app.app_context():
        etab_id = demo(Etablissement, nom="Avenir Paris République").id
    assert as_user("org.admin").post(f"/etablissements/delete/{etab_id}").status_code == 403
    response = as_user("certifpro").post(f"/etablissements/delete/{etab_id}", follow_redirects=True)
    assert "il ne peut pas être supprimé. Désactivez-le plutôt." in page_text(response)
    with app.app_context():
        assert db.session.get(Etablissement, etab_id) is not None


def test_only_certif_pro_moves_an_organisation_out_of_its_network(app, as_user, api_as):
    with app.app_context():
        org = demo(Organisme, nom="Organisme A1 — Avenir Paris")
        org_id, values = org.id, {c.key: getattr(org, c.key) for c in Organisme.__table__.columns}
    form = {k: v for k, v in values.items() if k in organisme_form() and v is not None}
    form["actif"] = "y"  # the network field left empty: out of network A
    refused = as_user("reseau.admin").post(f"/organismes/edit/{org_id}", data=form)
    assert "Seul Certif Pro peut modifier ce champ." in page_text(refused)
    api = api_as("org.admin").put(f"/api/v1/organisme/{org_id}", json={"reseau": None})
    assert (
        api.status_code == 403 and api.get_json()["message"] == "Seul Certif Pro peut changer le réseau d'un organisme."
    )
    with app.app_context():
        assert db.session.get(Organisme, org_id).reseau_id == values["reseau_id"]


def test_certifiers_are_edited_by_certif_pro_only(app, as_user, api_as):
    from app.models import Certificateur

    with app.app_context():
        pk = demo(Certificateur, nom="Transitions Pro Corse").id
    certifier = as_user("certif.idf")
    assert "Transitions Pro Corse" in page_text(certifier.get("/certificateurs/list/"))
    assert certifier.get(f"/certificateurs/edit/{pk}").status_code == 403
    assert certifier.get("/certificateurs/add").status_code == 403
    assert api_as("certif.idf").put(f"/api/v1/certificateur/{pk}", json={"modalite_envoi": "N/C"}).status_code == 403
    assert api_as("certifpro").put(f"/api/v1/certificateur/{pk}", json={"modalite_envoi": "N/C"}).status_code == 200


def test_siret_of_another_siren_is_said_even_with_a_wrong_key(app):
    from types import SimpleNamespace

    from app.services.structures import etablissement_errors

    organisme = SimpleNamespace(siren=SIREN, actif=True)
    with app.app_context():
        errors = etablissement_errors({"organisme": organisme, "siret": "12345678901234"})
        assert errors["siret"] == [
            "Ce numéro SIRET n'est pas valide (clé de contrôle incorrecte).",
            f"Le SIRET doit commencer par le SIREN de l'organisme ({SIREN}).",
        ]
        # A valid key on a SIREN that is not valid (python-stdnum checks both): refused, and not the organisation's.
        errors = etablissement_errors({"organisme": organisme, "siret": luhn_complete("8000000200009")})
        assert errors["siret"][0] == "Ce numéro SIRET n'est pas valide (clé de contrôle incorrecte)."
        assert errors["siret"][1].startswith("Le SIRET doit commencer par le SIREN de l'organisme")
        assert etablissement_errors({"organisme": organisme, "siret": "1234"})["siret"] == [
            "Le SIRET doit comporter exactement 14 chiffres."
        ]


def test_an_organisation_admin_saves_its_own_organisation_whose_network_it_sees(app, as_user):
    """issue 17: the « Réseau » list of an organisation admin was empty, so the form could never be saved."""
    with app.app_context():
        org = demo(Organisme, nom="Organisme A1 — Avenir Paris")
        org_id, values, reseau = org.id, {c.key: getattr(org, c.key) for c in Organisme.__table__.columns}, org.reseau
        reseau_id, reseau_nom = reseau.id, reseau.nom
    admin = as_user("org.admin")
    page = admin.get(f"/organismes/edit/{org_id}").get_data(as_text=True)
    assert f'<option selected value="{reseau_id}">' in page or f'value="{reseau_id}" selected' in page, page[:0]
    assert reseau_nom in page
    form = {k: v for k, v in values.items() if k in organisme_form() and v is not None}
    form.update(reseau=reseau_id, actif="y", ville="Paris 11e")
    done = admin.post(f"/organismes/edit/{org_id}", data=form)
    assert done.status_code == 302, page_text(done)
    with app.app_context():
        saved = db.session.get(Organisme, org_id)
        assert (saved.ville, saved.reseau_id) == ("Paris 11e", reseau_id)
    # the network stays Certif Pro's to change: another network is not even offered
    with app.app_context():
        other = db.session.execute(select(Reseau.id).where(Reseau.id != reseau_id)).scalars().first()
    refused = admin.post(f"/organismes/edit/{org_id}", data={**form, "reseau": other})
    assert refused.status_code == 200
    with app.app_context():
        assert db.session.get(Organisme, org_id).reseau_id == reseau_id


def test_names_and_regions_sort_the_french_way(app, as_user):
    """issue 17: « Île-de-France » among the I's, not after « Provence » (the database's byte order)."""
    import re

    page = as_user("certifpro").get("/etablissements/list/?_oc_EtablissementView=region&_od_EtablissementView=asc")
    text = page.get_data(as_text=True)
    regions = [r for r in re.findall(r"<td>\s*([^<]+?)\s*</td>", text) if r in REGIONS]
    shown = list(dict.fromkeys(regions))
    assert "Île-de-France" in shown and shown == sorted(shown, key=lambda r: r.replace("Î", "I")), shown
    assert shown.index("Hauts-de-France") < shown.index("Île-de-France") < shown.index("Occitanie")
    with app.app_context():
        renamed = {"Avenir Paris Lille": "Établissement Lille", "Avenir Ouest Nantes": "école Nantes"}
        for old, new in renamed.items():
            demo(Etablissement, nom=old).nom = new
        db.session.flush()
        names = list(db.session.execute(select(Etablissement.nom).order_by(Etablissement.nom)).scalars())
        assert names.index("Compétences Méditerranée Montpellier") < names.index("école Nantes")
        assert names.index("école Nantes") < names.index("Établissement Lille") < names.index("Indépendant Lyon")
