"""REST API contract (api.md): login, OpenAPI, list shape, relations as ids, ISO dates; permissions from the
matrix (403), authentication (401); French validation messages per field, never a 500; the Certif Pro-only
`actif`; habilitation requests and decisions."""

import re

import pytest
from sqlalchemy import func, select

from app.demo import luhn_complete
from app.extensions import db
from app.models import Certificateur, DemandeHabilitation, Etablissement, Organisme
from tests.conftest import DEMO_PASSWORD, demo

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FORBIDDEN = "Vous n'avez pas les droits nécessaires pour cette action."
NOT_JSON = "Le corps de la requête doit être un objet JSON."
ACTIF_ONLY_CERTIF_PRO = "Seul Certif Pro peut modifier le statut Actif d'un organisme ou d'un établissement."


@pytest.fixture(scope="module")
def ids(app, demo_data):
    with app.app_context():
        etabs = {e.nom: e for e in db.session.execute(select(Etablissement)).scalars()}
        a1 = demo(Organisme, nom="Organisme A1 — Avenir Paris")
        return {
            "A1": a1.id,
            "A1_siren": a1.siren,
            "A1-1": etabs["Avenir Paris République"].id,
            "A1-2": etabs["Avenir Paris Lille"].id,
            "A2-1": etabs["Avenir Ouest Rennes"].id,
            "B1-2": etabs["Compétences Méditerranée Montpellier"].id,
            "certif_pro": demo(Certificateur, type=Certificateur.CERTIF_PRO).id,
        }


_counter = iter(range(100, 10_000))


def new_siren() -> str:
    return luhn_complete(f"{91000000 + next(_counter):08d}")


def organisme_body(**overrides):
    body = {
        "siren": new_siren(),
        "nom": "Organisme API",
        "adresse": "12 rue de l'API",
        "ville": "Paris",
        "code_postal": "75010",
        "contact_nom": "Dupont",
        "contact_prenom": "Jeanne",
        "contact_email": "jeanne@api.example",
        "email_facturation": "compta@api.example",
    }
    body.update(overrides)
    return body


def etablissement_body(organisme_id, siren, **overrides):
    body = {
        "organisme": organisme_id,
        "nom": "Etablissement API",
        "siret": luhn_complete(siren + f"{next(_counter):04d}"),
        "referent_nom": "Dupont",
        "referent_prenom": "Jeanne",
        "referent_email": "jeanne@api.example",
        "public_nom": "Accueil",
        "public_prenom": "CléA",
        "public_email": "clea@api.example",
        "public_telephone": "01 23 45 67 89",
        "adresse": "3 rue du Test",
        "ville": "Paris",
        "code_postal": "75010",
        "region": "Île-de-France",
    }
    body.update(overrides)
    return body


def count(app, model):
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model)).scalar()


# --- Contract ------------------------------------------------------------------------------------
def test_login_gives_tokens_that_open_the_api(client):
    response = client.post(
        "/api/v1/security/login",
        json={"username": "org.admin", "password": DEMO_PASSWORD, "provider": "db", "refresh": True},
    )
    assert response.status_code == 200
    tokens = response.get_json()
    assert tokens["access_token"] and tokens["refresh_token"]
    listed = client.get("/api/v1/organisme/", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert listed.status_code == 200


def test_openapi_document_lists_our_resources(api):
    response = api("certifpro").get("/api/v1/_openapi")
    assert response.status_code == 200
    paths = response.get_json()["paths"]
    for name in ("reseau", "organisme", "etablissement", "certificateur", "habilitation", "utilisateur"):
        assert f"/api/v1/{name}/" in paths and f"/api/v1/{name}/{{pk}}" in paths
        assert "get" in paths[f"/api/v1/{name}/{{pk}}"]
    for action in ("valider", "rejeter", "renouveler"):
        assert "post" in paths[f"/api/v1/habilitation/{{pk}}/{action}"]


def test_list_shape_relations_as_ids_and_iso_dates(api, ids):
    body = api("org.admin").get("/api/v1/etablissement/").get_json()
    assert {"count", "ids", "result"} <= set(body)
    assert body["count"] == 2 and sorted(body["ids"]) == sorted([ids["A1-1"], ids["A1-2"]])
    for row in body["result"]:
        assert row["organisme"] == ids["A1"]  # "organisme": 12, not {"id": 12}

    shown = api("org.admin").get(f"/api/v1/etablissement/{ids['A1-1']}").get_json()["result"]
    assert shown["organisme"] == ids["A1"] and shown["nom"] == "Avenir Paris République"

    demandes = api("org.admin").get("/api/v1/habilitation/").get_json()["result"]
    validated = next(d for d in demandes if d["etat"] == "accordee")
    assert ISO_DATE.match(validated["date_debut"]) and ISO_DATE.match(validated["date_fin"])
    assert ISO_DATE.match(validated["date_demande"])
    assert all(isinstance(pk, int) for pk in validated["etablissements"] + validated["certificateurs"])
    assert isinstance(validated["organisme"], int)


def test_titles_and_descriptions_are_french(api):
    listed = api("certifpro").get("/api/v1/organisme/").get_json()
    assert listed["list_title"] == "Organismes"
    info = api("certifpro").get("/api/v1/organisme/_info").get_json()
    assert all("Project-Id-Version" not in column["description"] for column in info["add_columns"])


# --- Authentication and permissions (matrix) --------------------------------------------------------
@pytest.mark.parametrize(
    "method,url",
    [
        ("get", "/api/v1/organisme/"),
        ("get", "/api/v1/organisme/1"),
        ("post", "/api/v1/organisme/"),
        ("put", "/api/v1/organisme/1"),
        ("delete", "/api/v1/organisme/1"),
        ("get", "/api/v1/habilitation/"),
        ("post", "/api/v1/habilitation/1/valider"),
        ("post", "/api/v1/habilitation/1/renouveler"),
    ],
)
def test_api_without_login_is_401(client, method, url):
    kwargs = {"json": {}} if method in ("post", "put") else {}
    response = getattr(client, method)(url, **kwargs)
    assert response.status_code == 401
    assert response.get_json()["message"] == "Authentification requise."


def test_api_with_a_forged_token_is_401(client):
    response = client.get("/api/v1/organisme/", headers={"Authorization": "Bearer pas.un.jeton"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    "url",
    [
        "/organismes/list/",
        "/organismes/show/1",
        "/etablissements/edit/1",
        "/habilitations/show/1",
        "/utilisateurs/list/",
    ],
)
def test_ui_without_login_redirects_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/login/" in response.headers["Location"]


# (login, method, url template, body): the profile's cell has no ➕ (POST) / no ✏ (PUT) / no delete.
FORBIDDEN_CASES = [
    ("org.user", "post", "/api/v1/organisme/", "organisme"),  # 👁
    ("org.admin", "post", "/api/v1/organisme/", "organisme"),  # ✏ without ➕
    ("etab.admin", "post", "/api/v1/organisme/", "organisme"),  # —
    ("etab.admin", "post", "/api/v1/etablissement/", "etablissement"),  # ✏ without ➕
    ("org.user", "post", "/api/v1/etablissement/", "etablissement"),  # 👁
    ("org.user", "put", "/api/v1/organisme/{A1}", {"nom": "Changé"}),
    ("etab.user", "put", "/api/v1/etablissement/{A1-1}", {"nom": "Changé"}),
    ("org.user", "put", "/api/v1/etablissement/{A1-1}", {"nom": "Changé"}),
    ("reseau.admin", "delete", "/api/v1/organisme/{A1}", None),  # deleting is Certif Pro's
    ("org.admin", "delete", "/api/v1/etablissement/{A1-2}", None),
    ("org.user", "post", "/api/v1/habilitation/", {"etablissements": ["{A1-2}"], "aupres": "certif_pro"}),
    ("etab.user", "post", "/api/v1/habilitation/{hab}/renouveler", None),
    ("org.admin", "post", "/api/v1/habilitation/{hab}/valider", {}),
    ("reseau.admin", "post", "/api/v1/habilitation/{hab}/rejeter", {"motif": "Non"}),
    ("certif.idf", "get", "/api/v1/organisme/", None),
]


@pytest.mark.parametrize(
    "username,method,url,body", FORBIDDEN_CASES, ids=[f"{u} {m.upper()} {p}" for u, m, p, _ in FORBIDDEN_CASES]
)
def test_no_permission_in_the_matrix_is_403(app, api, ids, username, method, url, body):
    with app.app_context():
        hab = db.session.execute(
            select(DemandeHabilitation.id).where(
                DemandeHabilitation.etablissements.any(id=ids["A1-1"]),
                DemandeHabilitation.etat == DemandeHabilitation.VALIDEE,
            )
        ).scalar()
    values = {**ids, "hab": hab}
    url = url.format(**values)
    if body == "organisme":
        body = organisme_body()
    elif body == "etablissement":
        body = etablissement_body(ids["A1"], ids["A1_siren"])
    elif isinstance(body, dict) and "etablissements" in body:
        body = {**body, "etablissements": [ids["A1-2"]]}
    before = (count(app, Organisme), count(app, Etablissement), count(app, DemandeHabilitation))
    kwargs = {"json": body} if body is not None else {}
    response = getattr(api(username), method)(url, **kwargs)
    assert response.status_code == 403, response.get_json()
    assert response.get_json()["message"] == FORBIDDEN
    assert (count(app, Organisme), count(app, Etablissement), count(app, DemandeHabilitation)) == before


def test_same_actions_with_the_right_cell_succeed(api, ids):
    """Control for the 403s: ✏ allows PUT, ➕ allows POST."""
    assert api("org.admin").put(f"/api/v1/organisme/{ids['A1']}", json={"contact_nom": "Durand"}).status_code == 200
    assert (
        api("etab.admin")
        .put(f"/api/v1/etablissement/{ids['A1-1']}", json={"public_telephone": "01 99 99 99 99"})
        .status_code
        == 200
    )
    created = api("org.admin").post("/api/v1/etablissement/", json=etablissement_body(ids["A1"], ids["A1_siren"]))
    assert created.status_code == 201, created.get_json()


# --- Creating structures ---------------------------------------------------------------------------
def test_create_organisme_and_etablissement(app, api, ids):
    created = api("certifpro").post("/api/v1/organisme/", json=organisme_body(code_naf="8559a"))
    assert created.status_code == 201, created.get_json()
    org = created.get_json()
    assert org["result"]["actif"] is True and org["result"]["code_naf"] == "85.59A"
    siren = org["result"]["siren"]

    etab = api("certifpro").post("/api/v1/etablissement/", json=etablissement_body(org["id"], siren))
    assert etab.status_code == 201, etab.get_json()
    assert etab.get_json()["result"]["organisme"] == org["id"]
    shown = api("certifpro").get(f"/api/v1/etablissement/{etab.get_json()['id']}").get_json()["result"]
    assert shown["siret"].startswith(siren)


def test_network_admin_creates_organisations_in_its_network(app, api):
    created = api("reseau.admin").post("/api/v1/organisme/", json=organisme_body())
    assert created.status_code == 201, created.get_json()
    with app.app_context():
        reseau_a = demo(Organisme, nom="Organisme A1 — Avenir Paris").reseau_id
    assert created.get_json()["result"]["reseau"] == reseau_a
    assert created.get_json()["id"] in api("reseau.admin").get("/api/v1/organisme/").get_json()["ids"]


def test_la_poste_siret_exception(api):
    org = api("certifpro").post("/api/v1/organisme/", json=organisme_body(siren="356000000", nom="La Poste"))
    assert org.status_code == 201, org.get_json()
    etab = api("certifpro").post(
        "/api/v1/etablissement/",
        json=etablissement_body(org.get_json()["id"], "356000000", siret="35600000049837", nom="La Poste Paris"),
    )
    assert etab.status_code == 201, etab.get_json()
    assert etab.get_json()["result"]["siret"] == "35600000049837"


# field → (body change, expected French message)
ORGANISME_ERRORS = [
    ("siren", {"siren": "123456789"}, "Ce numéro SIREN n'est pas valide (clé de contrôle incorrecte)."),
    ("siren", {"siren": "12345"}, "Le SIREN doit comporter exactement 9 chiffres."),
    ("siren", {"siren": 123}, "Une chaîne de caractères est attendue."),
    ("actif", {"actif": "oui"}, "Une valeur booléenne (true/false) est attendue."),
    ("nom", {"nom": "x" * 10_000}, "Au plus 200 caractères."),
    ("adresse", {"adresse": "é" * 10_000}, "Au plus 250 caractères."),
    ("nom", {"nom": None}, "Ce champ ne peut pas être vide."),
    ("nom", {"nom": "   "}, "Ce champ est obligatoire."),
    ("contact_email", {"contact_email": "pas-un-email"}, "Adresse email invalide."),
    ("code_postal", {"code_postal": "ABCDE"}, "Le code postal doit comporter 5 chiffres."),
    ("code_naf", {"code_naf": "zzz"}, "Le code NAF doit comporter 4 chiffres et une lettre (ex. 85.59A)."),
    ("qualiopi", {"qualiopi": [True]}, "Une valeur booléenne (true/false) est attendue."),
    ("reseau", {"reseau": "abc"}, "Identifiant invalide."),
    ("reseau", {"reseau": [1]}, "Identifiant invalide."),
    ("inconnu", {"inconnu": 1}, "Champ inconnu."),
]


@pytest.mark.parametrize(
    "field,change,message", ORGANISME_ERRORS, ids=[f"{f}-{str(c)[:30]}" for f, c, _ in ORGANISME_ERRORS]
)
def test_invalid_organisme_is_refused_in_french(app, api, field, change, message):
    before = count(app, Organisme)
    response = api("certifpro").post("/api/v1/organisme/", json=organisme_body(**change))
    assert response.status_code == 422
    assert message in response.get_json()["message"][field]
    assert count(app, Organisme) == before


def test_missing_fields_are_listed_in_french(app, api):
    response = api("certifpro").post("/api/v1/organisme/", json={})
    assert response.status_code == 422
    errors = response.get_json()["message"]
    for field in ("siren", "nom", "adresse", "ville", "code_postal", "contact_email", "email_facturation"):
        assert errors[field] == ["Ce champ est obligatoire."]


def test_duplicate_siren_and_siret(app, api, ids):
    dup = api("certifpro").post("/api/v1/organisme/", json=organisme_body(siren=ids["A1_siren"]))
    assert dup.status_code == 422
    assert dup.get_json()["message"]["siren"] == ["Un organisme avec ce SIREN existe déjà."]
    with app.app_context():
        siret = demo(Etablissement, id=ids["A1-1"]).siret
    before = count(app, Etablissement)
    again = api("org.admin").post(
        "/api/v1/etablissement/", json=etablissement_body(ids["A1"], ids["A1_siren"], siret=siret)
    )
    assert again.status_code == 422
    assert again.get_json()["message"]["siret"] == ["Un établissement avec ce SIRET existe déjà."]
    assert count(app, Etablissement) == before


ETABLISSEMENT_ERRORS = [
    ("siret", {"siret": "12345678901234"}, "Ce numéro SIRET n'est pas valide (clé de contrôle incorrecte)."),
    ("siret", {"siret": "1234"}, "Le SIRET doit comporter exactement 14 chiffres."),
    ("siret", {"siret": luhn_complete("8000000200009")}, "Le SIRET doit commencer par le SIREN de l'organisme"),
    ("siret", {"siret": 35600000049837}, "Une chaîne de caractères est attendue."),
    ("region", {"region": "Atlantide"}, "Région inconnue."),
    ("site_web", {"site_web": "www"}, "Adresse de site web invalide"),
    ("public_telephone", {"public_telephone": "abc"}, "Numéro de téléphone invalide."),
    ("organisme", {"organisme": None}, "Ce champ ne peut pas être vide."),
    ("organisme", {"organisme": {"id": 1}}, "Identifiant invalide."),
    ("organisme", {"organisme": True}, "Identifiant invalide."),
    ("organisme", {"organisme": 10**30}, "n'existe pas ou n'est pas dans votre périmètre"),
]


@pytest.mark.parametrize(
    "field,change,message", ETABLISSEMENT_ERRORS, ids=[f"{f}-{str(c)[:30]}" for f, c, _ in ETABLISSEMENT_ERRORS]
)
def test_invalid_etablissement_is_refused_in_french(app, api, ids, field, change, message):
    before = count(app, Etablissement)
    response = api("org.admin").post(
        "/api/v1/etablissement/", json=etablissement_body(ids["A1"], ids["A1_siren"], **change)
    )
    assert response.status_code == 422, response.get_json()
    assert any(message in m for m in response.get_json()["message"][field])
    assert count(app, Etablissement) == before


@pytest.mark.parametrize(
    "method,url",
    [
        ("post", "/api/v1/organisme/"),
        ("put", "/api/v1/organisme/{A1}"),
        ("post", "/api/v1/etablissement/"),
        ("put", "/api/v1/etablissement/{A1-1}"),
        ("post", "/api/v1/habilitation/"),
        ("post", "/api/v1/habilitation/{A1-1}/valider"),
    ],
)
@pytest.mark.parametrize(
    "payload",
    [
        {"json": [1, 2]},
        {"json": "texte"},
        {"data": "null", "content_type": "application/json"},
        {"data": "{pas du json", "content_type": "application/json"},
        {"data": "nom=x", "content_type": "application/x-www-form-urlencoded"},
    ],
    ids=["list", "string", "null", "broken-json", "form"],
)
def test_body_that_is_not_a_json_object(api, ids, method, url, payload):
    response = getattr(api("certifpro"), method)(url.format(**ids), **payload)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["message"] == {"_schema": [NOT_JSON]}


@pytest.mark.parametrize(
    "change,field,message",
    [
        ({"siren": 123}, "siren", "Une chaîne de caractères est attendue."),
        ({"nom": "x" * 10_000}, "nom", "Au plus 200 caractères."),
        ({"siren": "123456789"}, "siren", "Ce numéro SIREN n'est pas valide (clé de contrôle incorrecte)."),
        ({"id": 5}, "id", "Champ inconnu ou non modifiable."),
        # A stale `version` is a 409 (tests/test_concurrency.py); one that is no number is refused as input.
        ({"version": "neuf"}, "version", "Numéro de version invalide : renvoyez la « version » lue avec la fiche."),
    ],
)
def test_invalid_put_is_refused_and_nothing_changes(app, api, ids, change, field, message):
    response = api("org.admin").put(f"/api/v1/organisme/{ids['A1']}", json=change)
    assert response.status_code == 422
    assert message in response.get_json()["message"][field]
    shown = api("org.admin").get(f"/api/v1/organisme/{ids['A1']}").get_json()["result"]
    assert shown["nom"] == "Organisme A1 — Avenir Paris" and shown["siren"] == ids["A1_siren"]


@pytest.mark.parametrize(
    "q, message",
    [
        ("((((", "Paramètre de recherche « q » invalide."),
        ("(page:abc)", "Paramètre de recherche « q » invalide. Format rison ou JSON attendu."),
        ("(filters:!((col:zz,opr:eq,value:1)))", "Filtre impossible sur la colonne « zz »."),
        ("(order_column:motdepasse,order_direction:asc)", "Tri impossible sur la colonne « motdepasse »."),
    ],
)
def test_bad_list_query_is_400_in_french(api, q, message):
    response = api("certifpro").get(f"/api/v1/organisme/?q={q}")
    assert response.status_code == 400
    assert response.get_json()["message"] == message


# The value → the answer on SQLite, on PostgreSQL: SQLite cannot take the huge number, PostgreSQL can (no match);
# PostgreSQL refuses a text where an id is expected, SQLite compares it (no match).
ODD_FILTER_VALUES = {"99999999999999999999": (400, 200), "abc": (200, 400), "-1": (200, 200), "''": (200, 400)}


@pytest.mark.parametrize("value", list(ODD_FILTER_VALUES))
def test_odd_filter_values_never_give_a_500(app, api, ids, value):
    """A 400 in French or a list without network A, as the database can compare; never a 500."""
    response = api("org2.admin").get(f"/api/v1/etablissement/?q=(filters:!((col:organisme,opr:rel_o_m,value:{value})))")
    on_sqlite, on_postgresql = ODD_FILTER_VALUES[value]
    with app.app_context():
        expected = on_postgresql if db.engine.dialect.name == "postgresql" else on_sqlite
    assert response.status_code == expected, response.get_json()
    if response.status_code == 200:
        rows = response.get_json()["result"]
        assert all(row["organisme"] != ids["A1"] for row in rows)  # never network A
    else:
        assert response.get_json()["message"] == "Paramètre de recherche « q » invalide."


# --- actif: Certif Pro only --------------------------------------------------------------------------
def test_actif_is_certif_pro_only(app, api, ids):
    refused = api("org.admin").put(f"/api/v1/organisme/{ids['A1']}", json={"actif": False, "ville": "Paris"})
    assert refused.status_code == 403
    assert refused.get_json()["message"] == ACTIF_ONLY_CERTIF_PRO
    assert api("org.admin").get(f"/api/v1/organisme/{ids['A1']}").get_json()["result"]["actif"] is True

    etab = api("org.admin").put(f"/api/v1/etablissement/{ids['A1-2']}", json={"actif": False})
    assert etab.status_code == 403 and etab.get_json()["message"] == ACTIF_ONLY_CERTIF_PRO
    new_inactive = api("reseau.admin").post("/api/v1/organisme/", json=organisme_body(actif=False))
    assert new_inactive.status_code == 403 and new_inactive.get_json()["message"] == ACTIF_ONLY_CERTIF_PRO

    # Sending the unchanged value is not a change.
    assert api("org.admin").put(f"/api/v1/organisme/{ids['A1']}", json={"actif": True}).status_code == 200

    off = api("certifpro").put(f"/api/v1/organisme/{ids['A1']}", json={"actif": False})
    assert off.status_code == 200 and off.get_json()["result"]["actif"] is False
    on = api("certifpro").put(f"/api/v1/organisme/{ids['A1']}", json={"actif": True})
    assert on.status_code == 200 and on.get_json()["result"]["actif"] is True
