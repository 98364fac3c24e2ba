"""Perimeter (roles.md "Perimeter"): a record outside the user's perimeter answers 404, in the UI and the API,
for read and for write; lists, dropdowns and related ids in bodies never reach outside it.

Network B's three profiles are pointed at every record of network A: the perimeter comes first (issue 11), so
the answer is 404 even when the profile's tab does not allow that kind of action at all (matrix); a list of a
tab the profile may not read is the generic 403."""

import pytest
from sqlalchemy import func, or_, select

from app.domain import access
from app.extensions import db
from app.models import Certificateur, DemandeHabilitation, Etablissement, Organisme, Reseau, Utilisateur
from tests.conftest import demo, login, page_text

B_PROFILES = ["reseau2.admin", "org2.admin", "etab2.user"]
HUGE = "99999999999999999999"
OUT_OF_PERIMETER = "n'existe pas ou n'est pas dans votre périmètre"
PIRATE = {"nom": "Pirate", "last_name": "Pirate", "motif": "Pirate", "responsable_nom": "Pirate"}


# --- Fixtures: A's records, cached clients ------------------------------------------------------------
@pytest.fixture(scope="module")
def a(app, demo_data):
    """Ids of network A's records, by kind, and a few by name."""
    with app.app_context():
        reseau = demo(Reseau, nom="Réseau A — Formation Avenir")
        orgs = (
            db.session.execute(select(Organisme).where(Organisme.reseau_id == reseau.id).order_by(Organisme.nom))
            .scalars()
            .all()
        )
        org_ids = [o.id for o in orgs]
        etabs = db.session.execute(select(Etablissement).where(Etablissement.organisme_id.in_(org_ids))).scalars().all()
        etab_ids = [e.id for e in etabs]
        demandes = (
            db.session.execute(select(DemandeHabilitation.id).where(DemandeHabilitation.organisme_id.in_(org_ids)))
            .scalars()
            .all()
        )
        users = (
            db.session.execute(
                select(Utilisateur.id).where(
                    or_(
                        Utilisateur.reseau_id == reseau.id,
                        Utilisateur.organisme_id.in_(org_ids),
                        Utilisateur.etablissement_id.in_(etab_ids),
                    )
                )
            )
            .scalars()
            .all()
        )
        by_name = {e.nom: e.id for e in etabs}
        ids = {
            "reseau": [reseau.id],
            "organisme": org_ids,
            "etablissement": etab_ids,
            "habilitation": demandes,
            "utilisateur": users,
            "A1": orgs[0].id,
            "A2": orgs[1].id,
            "A1-1": by_name["Avenir Paris République"],
            "A1-2": by_name["Avenir Paris Lille"],
            "A2-1": by_name["Avenir Ouest Rennes"],
            "A2-2": by_name["Avenir Ouest Nantes"],
            "B": demo(Reseau, nom="Réseau B — Compétences Sud").id,
            "B1": demo(Organisme, nom="Organisme B1 — Compétences Méditerranée").id,
        }
    # The demo data is what the brief describes: 2 organisations, 4 establishments, dossiers in several states,
    # the 6 users of network A.
    assert len(ids["organisme"]) == 2 and len(ids["etablissement"]) == 4
    assert len(ids["habilitation"]) == 6 and len(ids["utilisateur"]) == 6
    return ids


@pytest.fixture(scope="module")
def ui(app):
    clients = {}

    def make(username):
        if username not in clients:
            clients[username] = login(app.test_client(), username)
        return clients[username]

    return make


def allowed(username, permission, tab) -> bool:
    with_profile = {
        "reseau2.admin": access.ADMIN_RESEAU,
        "org2.admin": access.ADMIN_ORGANISME,
        "etab2.user": access.UTILISATEUR_ETABLISSEMENT,
    }[username]
    return access.profile_allows(with_profile, permission, tab)


def assert_hidden_ui(response, expected):
    assert response.status_code == expected, response.status_code
    text = page_text(response)
    assert ("Page introuvable" if expected == 404 else "Accès refusé") in text
    assert "Pirate" not in text


def assert_hidden_api(response, expected):
    assert response.status_code == expected, (response.status_code, response.get_json())
    assert response.get_json()["message"] == (
        "Élément introuvable." if expected == 404 else "Vous n'avez pas les droits nécessaires pour cette action."
    )


# --- 1. Every record of network A, every profile of network B, UI --------------------------------------
UI_CASES = [
    # kind, method, url, permission, tab
    ("organisme", "get", "/organismes/show/{pk}", access.READ, access.ORGANISMES),
    ("organisme", "get", "/organismes/edit/{pk}", access.EDIT, access.ORGANISMES),
    ("organisme", "post", "/organismes/edit/{pk}", access.EDIT, access.ORGANISMES),
    ("etablissement", "get", "/etablissements/show/{pk}", access.READ, access.ETABLISSEMENTS),
    ("etablissement", "get", "/etablissements/edit/{pk}", access.EDIT, access.ETABLISSEMENTS),
    ("etablissement", "post", "/etablissements/edit/{pk}", access.EDIT, access.ETABLISSEMENTS),
    ("habilitation", "get", "/habilitations/show/{pk}", access.READ, access.HABILITATIONS),
    ("habilitation", "post", "/habilitations/{pk}/action/valider", "can_decider_habilitation", access.HABILITATIONS),
    ("habilitation", "post", "/habilitations/{pk}/action/rejeter", "can_decider_habilitation", access.HABILITATIONS),
    ("habilitation", "post", "/habilitations/{pk}/action/deposer", access.READ, access.HABILITATIONS),
    ("habilitation", "post", "/habilitations/{pk}/renouveler", access.CREATE, access.HABILITATIONS),
    ("habilitation", "get", "/habilitations/{pk}/modifier", access.READ, access.HABILITATIONS),
    ("habilitation", "post", "/habilitations/{pk}/modifier", access.READ, access.HABILITATIONS),
    ("habilitation", "post", "/habilitations/{pk}/messages", access.READ, access.HABILITATIONS),
    ("utilisateur", "get", "/utilisateurs/show/{pk}", access.READ, access.UTILISATEURS),
    ("utilisateur", "get", "/utilisateurs/edit/{pk}", access.EDIT, access.UTILISATEURS),
    ("utilisateur", "post", "/utilisateurs/edit/{pk}", access.EDIT, access.UTILISATEURS),
    ("reseau", "get", "/reseaux/edit/{pk}", access.EDIT, access.RESEAUX),
    ("reseau", "post", "/reseaux/edit/{pk}", access.EDIT, access.RESEAUX),
]


@pytest.mark.parametrize("username", B_PROFILES)
@pytest.mark.parametrize(
    "kind,method,url,permission,tab", UI_CASES, ids=[f"{m.upper()} {u}" for _, m, u, _, _ in UI_CASES]
)
def test_ui_network_b_never_reaches_network_a(a, ui, username, kind, method, url, permission, tab):
    expected = 404  # perimeter first: whatever the profile may do on the tab
    client = ui(username)
    for pk in a[kind]:
        kwargs = {"data": PIRATE} if method == "post" else {}
        assert_hidden_ui(getattr(client, method)(url.format(pk=pk), **kwargs), expected)


# --- 1. Same, API --------------------------------------------------------------------------------------
API_CASES = [
    # kind, method, url, permission, tab
    *[
        (kind, "get", f"/api/v1/{kind}/{{pk}}", access.READ, tab)
        for kind, tab in (
            ("reseau", access.RESEAUX),
            ("organisme", access.ORGANISMES),
            ("etablissement", access.ETABLISSEMENTS),
            ("habilitation", access.HABILITATIONS),
            ("utilisateur", access.UTILISATEURS),
        )
    ],
    *[
        (kind, "put", f"/api/v1/{kind}/{{pk}}", access.EDIT, tab)
        for kind, tab in (
            ("reseau", access.RESEAUX),
            ("organisme", access.ORGANISMES),
            ("etablissement", access.ETABLISSEMENTS),
            ("utilisateur", access.UTILISATEURS),
        )
    ],
    *[
        (kind, "delete", f"/api/v1/{kind}/{{pk}}", access.DELETE, tab)
        for kind, tab in (
            ("reseau", access.RESEAUX),
            ("organisme", access.ORGANISMES),
            ("etablissement", access.ETABLISSEMENTS),
        )
    ],
    ("habilitation", "post", "/api/v1/habilitation/{pk}/valider", "can_decider_habilitation", access.HABILITATIONS),
    ("habilitation", "post", "/api/v1/habilitation/{pk}/rejeter", "can_decider_habilitation", access.HABILITATIONS),
    ("habilitation", "post", "/api/v1/habilitation/{pk}/renouveler", access.CREATE, access.HABILITATIONS),
    ("habilitation", "post", "/api/v1/habilitation/{pk}/deposer", access.READ, access.HABILITATIONS),
    ("habilitation", "post", "/api/v1/habilitation/{pk}/messages", access.READ, access.HABILITATIONS),
    ("habilitation", "put", "/api/v1/habilitation/{pk}", access.READ, access.HABILITATIONS),
]


@pytest.mark.parametrize("username", B_PROFILES)
@pytest.mark.parametrize(
    "kind,method,url,permission,tab", API_CASES, ids=[f"{m.upper()} {u}" for _, m, u, _, _ in API_CASES]
)
def test_api_network_b_never_reaches_network_a(a, api, username, kind, method, url, permission, tab):
    expected = 404  # perimeter first: whatever the profile may do on the tab
    client = api(username)
    for pk in a[kind]:
        kwargs = (
            {"json": PIRATE if kind != "utilisateur" else {"last_name": "Pirate"}} if method in ("put", "post") else {}
        )
        assert_hidden_api(getattr(client, method)(url.format(pk=pk), **kwargs), expected)


def test_network_b_own_records_are_reachable(api, ui):
    """Control: the same URLs do answer for B's own records (the 404s above are about the perimeter)."""
    with_b = api("org2.admin").get("/api/v1/organisme/")
    b1 = with_b.get_json()["ids"][0]
    assert api("org2.admin").get(f"/api/v1/organisme/{b1}").status_code == 200
    assert ui("org2.admin").get(f"/organismes/show/{b1}").status_code == 200
    assert ui("org2.admin").get(f"/organismes/edit/{b1}").status_code == 200


def test_nothing_of_network_a_was_changed(app, a, ui, api):
    """The write attempts above (edits with nom « Pirate », decisions, renewals) left A untouched."""
    # Make sure the write attempts ran even when this test is run alone.
    ui("reseau2.admin").post(f"/organismes/edit/{a['A1']}", data=PIRATE)
    api("reseau2.admin").put(f"/api/v1/organisme/{a['A1']}", json=PIRATE)
    api("org2.admin").post(f"/api/v1/habilitation/{a['habilitation'][0]}/renouveler")
    with app.app_context():
        assert (
            db.session.execute(select(func.count()).select_from(Organisme).where(Organisme.nom == "Pirate")).scalar()
            == 0
        )
        assert (
            db.session.execute(
                select(func.count()).select_from(Etablissement).where(Etablissement.nom == "Pirate")
            ).scalar()
            == 0
        )
        assert (
            db.session.execute(
                select(func.count()).select_from(Utilisateur).where(Utilisateur.last_name == "Pirate")
            ).scalar()
            == 0
        )
        assert demo(Reseau, id=a["reseau"][0]).responsable_nom != "Pirate"
        etats = (
            db.session.execute(
                select(DemandeHabilitation.etat).where(DemandeHabilitation.organisme_id.in_(a["organisme"]))
            )
            .scalars()
            .all()
        )
        assert sorted(etats) == ["accordee", "accordee", "accordee", "brouillon", "deposee", "recours_depose"]


# --- Lists and dropdowns -----------------------------------------------------------------------------
LIST_TABS = {
    "organisme": access.ORGANISMES,
    "etablissement": access.ETABLISSEMENTS,
    "habilitation": access.HABILITATIONS,
    "utilisateur": access.UTILISATEURS,
}


@pytest.mark.parametrize("username", B_PROFILES)
@pytest.mark.parametrize("kind", sorted(LIST_TABS))
def test_api_lists_of_network_b_hold_nothing_of_a(a, api, username, kind):
    response = api(username).get(f"/api/v1/{kind}/?q=(page_size:100)")
    if not allowed(username, access.READ, LIST_TABS[kind]):
        assert_hidden_api(response, 403)
        return
    assert response.status_code == 200
    body = response.get_json()
    assert body["count"] == len(body["ids"]) >= 1  # B sees its own records …
    assert not set(body["ids"]) & set(a[kind])  # … and none of A's
    assert {row["id"] for row in body["result"]} == set(body["ids"])


def test_national_lists_hold_network_a(a, api):
    """Control for the test above: Certif Pro's lists do contain A's ids."""
    for kind in LIST_TABS:
        ids = set(api("certifpro").get(f"/api/v1/{kind}/?q=(page_size:100)").get_json()["ids"])
        assert set(a[kind]) <= ids, kind


# What network B's own rows show on each list (its organisation and establishments, its people).
B_ROWS = {
    "/organismes/list/": ("Compétences", "Karim"),
    "/etablissements/list/": ("Compétences", "Karim"),
    "/habilitations/list/": ("Compétences", "Karim"),
    "/utilisateurs/list/": ("Compétences", "Karim", "Nadia"),
}


@pytest.mark.parametrize("url", list(B_ROWS))
def test_ui_lists_of_network_b_show_nothing_of_a(ui, url):
    response = ui("reseau2.admin").get(url)
    assert response.status_code == 200
    text = page_text(response)
    for name in B_ROWS[url]:  # B's own rows are there
        assert name in text, name
    for name in ("Avenir", "Claire", "Sophie", "Léa"):
        assert name not in text


def test_api_related_dropdowns_are_limited_to_the_perimeter(a, api):
    info = api("org2.admin").get("/api/v1/etablissement/_info?q=(keys:!(add_columns))")
    assert info.status_code == 200
    organisme = next(c for c in info.get_json()["add_columns"] if c["name"] == "organisme")
    assert [v["id"] for v in organisme["values"]] == [a["B1"]]
    assert organisme["description"] == ""  # not gettext's catalogue header


# --- Related ids in a body ---------------------------------------------------------------------------
def valid_etablissement(organisme_id, siret):
    return {
        "organisme": organisme_id,
        "nom": "Site pirate",
        "siret": siret,
        "referent_nom": "Roux",
        "referent_prenom": "Karim",
        "referent_email": "k@b.example",
        "public_nom": "Accueil",
        "public_prenom": "B",
        "public_email": "accueil@b.example",
        "public_telephone": "04 91 00 00 00",
        "adresse": "1 quai",
        "ville": "Marseille",
        "code_postal": "13001",
        "region": "Île-de-France",
    }


def etab_count(app):
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(Etablissement)).scalar()


def test_post_with_related_id_outside_the_perimeter_is_422(app, a, api):
    from app.demo import luhn_complete

    with app.app_context():
        a1_siren = demo(Organisme, id=a["A1"]).siren
    before = etab_count(app)
    response = api("org2.admin").post(
        "/api/v1/etablissement/", json=valid_etablissement(a["A1"], luhn_complete(a1_siren + "0777"))
    )
    assert response.status_code == 422
    assert OUT_OF_PERIMETER in response.get_json()["message"]["organisme"][0]
    assert etab_count(app) == before

    # Same answer for an id that does not exist at all (nothing to learn from the difference).
    unknown = api("org2.admin").post(
        "/api/v1/etablissement/", json=valid_etablissement(999999, luhn_complete(a1_siren + "0777"))
    )
    assert unknown.status_code == 422 and unknown.get_json() == response.get_json()


def test_organisation_cannot_be_moved_into_another_network(app, a, api):
    response = api("reseau.admin").put(f"/api/v1/organisme/{a['A1']}", json={"reseau": a["B"]})
    assert response.status_code == 422
    assert OUT_OF_PERIMETER in response.get_json()["message"]["reseau"][0]
    created = api("reseau2.admin").post("/api/v1/organisme/", json={"reseau": a["reseau"][0], "nom": "X"})
    assert created.status_code == 422
    assert OUT_OF_PERIMETER in created.get_json()["message"]["reseau"][0]
    with app.app_context():
        assert demo(Organisme, id=a["A1"]).reseau_id == a["reseau"][0]


def test_habilitation_request_for_a_foreign_establishment_is_422(app, a, api):
    with app.app_context():
        before = db.session.execute(select(func.count()).select_from(DemandeHabilitation)).scalar()
    response = api("org2.admin").post(
        "/api/v1/habilitation/", json={"etablissements": [a["A1-2"]], "aupres": "certif_pro"}
    )
    assert response.status_code == 422
    assert OUT_OF_PERIMETER in response.get_json()["message"]["etablissements"][0]
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(DemandeHabilitation)).scalar() == before


# --- Inside network A: each level sees its own part -------------------------------------------------
def api_ids(api, username, kind):
    response = api(username).get(f"/api/v1/{kind}/?q=(page_size:100)")
    assert response.status_code == 200
    return set(response.get_json()["ids"])


def test_establishment_user_sees_only_its_establishment(a, api, ui):
    assert api_ids(api, "etab.user", "etablissement") == {a["A1-1"]}
    for other in ("A1-2", "A2-1"):
        assert api("etab.user").get(f"/api/v1/etablissement/{a[other]}").status_code == 404
        assert ui("etab.user").get(f"/etablissements/show/{a[other]}").status_code == 404
    assert ui("etab.user").get(f"/etablissements/show/{a['A1-1']}").status_code == 200
    with_a11 = api_ids(api, "etab.user", "habilitation")
    assert with_a11 and with_a11 < set(a["habilitation"])
    for pk in with_a11:
        assert a["A1-1"] in api("etab.user").get(f"/api/v1/habilitation/{pk}").get_json()["result"]["etablissements"]


def test_organisation_admin_sees_its_establishments_not_the_sister_organisation(a, api, ui):
    assert api_ids(api, "org.admin", "etablissement") == {a["A1-1"], a["A1-2"]}
    assert api_ids(api, "org.admin", "organisme") == {a["A1"]}
    assert api("org.admin").get(f"/api/v1/organisme/{a['A2']}").status_code == 404
    for other in ("A2-1", "A2-2"):
        assert api("org.admin").get(f"/api/v1/etablissement/{a[other]}").status_code == 404
        assert api("org.admin").put(f"/api/v1/etablissement/{a[other]}", json={"nom": "Pirate"}).status_code == 404
        assert ui("org.admin").get(f"/etablissements/show/{a[other]}").status_code == 404
        assert ui("org.admin").get(f"/etablissements/edit/{a[other]}").status_code == 404
    assert ui("org.admin").get(f"/organismes/show/{a['A2']}").status_code == 404
    users = {u["username"] for u in api("org.admin").get("/api/v1/utilisateur/").get_json()["result"]}
    assert users == {"org.admin", "org.user", "etab.admin", "etab.user"}


@pytest.mark.parametrize("username", ["reseau.admin", "reseau.superviseur"])
def test_network_profiles_see_the_whole_network(a, api, ui, username):
    assert api_ids(api, username, "organisme") == set(a["organisme"])
    assert api_ids(api, username, "etablissement") == set(a["etablissement"])
    assert api_ids(api, username, "habilitation") == set(a["habilitation"])
    assert ui(username).get(f"/organismes/show/{a['A2']}").status_code == 200
    assert ui(username).get(f"/etablissements/show/{a['A2-1']}").status_code == 200


def test_certifiers_see_only_the_requests_addressed_to_them(app, a, api):
    with app.app_context():
        branche = demo(Certificateur, nom="Commerce de détail et de gros à prédominance alimentaire").id
        addressed = set(
            db.session.execute(
                select(DemandeHabilitation.id).where(DemandeHabilitation.certificateurs.any(id=branche))
            ).scalars()
        )
    assert addressed and api_ids(api, "branche.commerce", "habilitation") == addressed
    assert api_ids(api, "certif.idf", "habilitation") == set()
    for pk in a["habilitation"]:
        assert api("certif.idf").get(f"/api/v1/habilitation/{pk}").status_code == 404
        assert api("branche.commerce").get(f"/api/v1/habilitation/{pk}").status_code == 404


# --- Ids that are not ids --------------------------------------------------------------------------
BAD_PKS = ["abc", HUGE, "-1", "1.5", "0x1"]


@pytest.mark.parametrize("pk", BAD_PKS)
@pytest.mark.parametrize("kind", ["reseau", "organisme", "etablissement", "habilitation", "utilisateur"])
def test_api_bad_pk_is_404(api, kind, pk):
    client = api("certifpro")
    assert_hidden_api(client.get(f"/api/v1/{kind}/{pk}"), 404)
    if kind != "habilitation":
        body = {"last_name": "Pirate"} if kind == "utilisateur" else {"nom": "Pirate"}
        assert_hidden_api(client.put(f"/api/v1/{kind}/{pk}", json=body), 404)
    if kind == "habilitation":
        for action in ("valider", "rejeter", "renouveler", "deposer", "messages"):
            assert_hidden_api(client.post(f"/api/v1/habilitation/{pk}/{action}", json={"motif": "x"}), 404)
    elif kind != "utilisateur":
        assert_hidden_api(client.delete(f"/api/v1/{kind}/{pk}"), 404)


@pytest.mark.parametrize("pk", BAD_PKS)
@pytest.mark.parametrize(
    "url", ["/organismes/show/{pk}", "/etablissements/show/{pk}", "/habilitations/show/{pk}", "/utilisateurs/show/{pk}"]
)
def test_ui_bad_pk_is_404(ui, url, pk):
    assert_hidden_ui(ui("certifpro").get(url.format(pk=pk)), 404)


@pytest.mark.parametrize("pk", BAD_PKS)
@pytest.mark.parametrize("url", ["/organismes/edit/{pk}", "/etablissements/edit/{pk}", "/reseaux/edit/{pk}"])
def test_ui_bad_pk_in_fab_edit_is_404(ui, url, pk):
    assert_hidden_ui(ui("certifpro").get(url.format(pk=pk)), 404)


@pytest.mark.parametrize("pk", BAD_PKS)
def test_ui_bad_pk_in_fab_delete_is_404(ui, pk):
    assert_hidden_ui(ui("certifpro").post(f"/etablissements/delete/{pk}"), 404)


def test_a_jury_member_reads_only_the_files_assigned_to_its_certifiers_sessions(app, as_user, api):
    """issue 11: an unassigned file « En attente de jury » is the certifier's, not yet the jury's (404)."""
    from sqlalchemy import select

    from app.models import Candidature, Utilisateur

    with app.app_context():
        jury = demo(Utilisateur, username="jury.idf")
        waiting = db.session.execute(
            select(Candidature.id).where(
                Candidature.certificateur_id == jury.certificateur_id,
                Candidature.statut == "attente_jury",
                Candidature.session_jury_id.is_(None),
            )
        ).scalar()
        assigned = db.session.execute(
            select(Candidature.id).where(
                Candidature.certificateur_id == jury.certificateur_id,
                Candidature.statut == "attente_certification",
                Candidature.session_jury_id.isnot(None),
            )
        ).scalar()
    assert waiting and assigned
    assert as_user("jury.idf").get(f"/candidatures/show/{waiting}").status_code == 404
    assert api("jury.idf").get(f"/api/v1/candidature/{waiting}").status_code == 404
    assert as_user("jury.idf").get(f"/candidatures/show/{assigned}").status_code == 200
    assert api("jury.idf").get(f"/api/v1/candidature/{assigned}").status_code == 200
    listed = {row["id"] for row in api("jury.idf").get("/api/v1/candidature/?q=(page_size:100)").get_json()["result"]}
    assert assigned in listed and waiting not in listed
    # The certifier itself still sees both.
    assert api("certif.idf").get(f"/api/v1/candidature/{waiting}").status_code == 200


def test_no_info_answer_names_users_outside_the_perimeter(app, api):
    """issue 11: `_info` of every resource offers only values of the caller's perimeter (no user of the whole
    country through created_by / changed_by)."""
    outside = ["Anne Lefèvre", "Sophie Durand", "Claire Martin", "Léa Richard"]  # Certif Pro, network A's users
    client = api("org2.admin")
    spec = api("certifpro").get("/api/v1/_openapi").get_json()["paths"]
    resources = sorted({path.split("/")[3] for path in spec if path.endswith("/_info")})
    assert "utilisateur" in resources and "candidature" in resources
    for resource in resources:
        answer = client.get(f"/api/v1/{resource}/_info")
        if answer.status_code == 403:
            continue
        text = answer.get_data(as_text=True)
        assert answer.status_code == 200 and not [name for name in outside if name in text], resource
    fields = {f["name"]: f for f in client.get("/api/v1/utilisateur/_info").get_json()["add_columns"]}
    assert "created_by" not in fields and "changed_by" not in fields
    assert [v["value"] for v in fields["organisme"]["values"]] == ["Organisme B1 — Compétences Méditerranée"]
