"""The CPF catalogue offer of an establishment (issue 18 §6, seed 004): described through the page and the API with
EDOF's fields, refused in French past EDOF's and LHÉO's limits, only for a habilitated certification and inside the
perimeter (404 outside), exported as LHÉO XML valid against the schema built from lheo/lheo-schema (checked with
`xmlschema`) that reads back to the same offers and sessions, and as .xlsx, and shown in the public directory."""

import datetime
import io

import pytest
import xmlschema
from lxml import etree
from openpyxl import load_workbook
from sqlalchemy import select

from app.domain.dates import DATE_INVALIDE
from app.exports import lheo
from app.extensions import db
from app.models import Etablissement, OffreCpf, Utilisateur
from tests.conftest import page_text
from tests.test_french import english_in

D = datetime.date
SCHEMA = xmlschema.XMLSchema(str(lheo.XSD))


def etablissement_de(app, username):
    with app.app_context():
        return db.session.execute(
            select(Utilisateur.etablissement_id).where(Utilisateur.username == username)
        ).scalar_one()


@pytest.fixture
def etab_id(app):
    return etablissement_de(app, "etab.admin")


def offre(**overrides):
    body = {
        "certification": "clea",
        "numero_interne": "CLEA-PARIS-01",
        "intitule_formation": "Préparation à la certification CléA — Paris 11e",
        "points_forts": "Parcours individualisé après l'évaluation préalable ; petits groupes ; évaluation sur place.",
        "objectif_formation": "Acquérir les domaines du socle non validés à l'évaluation préalable.",
        "resultats_attendus": "Obtenir la certification CléA (RS2203).",
        "contenu_formation": "Communication en français, calcul, numérique, travail en équipe, règles de l'entreprise.",
        "type_parcours": "96211",
        "sessions": [
            {
                "debut": "2027-01-05",
                "fin": "2027-03-20",
                "adresse": "12 rue Oberkampf",
                "code_postal": "75011",
                "ville": "Paris",
            },
            {
                "debut": "2027-04-06",
                "fin": "2027-06-26",
                "adresse": "3 place Léon Blum",
                "code_postal": "75011",
                "ville": "Paris",
            },
        ],
    }
    body.update(overrides)
    return body


def _xml_ok(xml: bytes):
    SCHEMA.validate(xml.decode("utf-8"))  # raises with the reason when invalid
    return lheo.lire(xml)


def expected(body, etab_siret):
    return [
        lheo.OffreLue(
            numero_interne=body["numero_interne"],
            certification=body["certification"],
            intitule_formation=body["intitule_formation"],
            points_forts=body["points_forts"],
            objectif_formation=body["objectif_formation"],
            resultats_attendus=body["resultats_attendus"],
            contenu_formation=body["contenu_formation"],
            type_parcours=body["type_parcours"],
            formacode="15041",
            nsf="100",
            siret=etab_siret,
            sessions=[
                lheo.SessionLue(
                    None,
                    D.fromisoformat(s["debut"]),
                    D.fromisoformat(s["fin"]),
                    s["adresse"],
                    s["code_postal"],
                    s["ville"],
                )
                for s in body["sessions"]
            ],
        )
    ]


def _sans_numeros(offres):
    for o in offres:
        for s in o.sessions:
            s.numero = None
    return offres


# --- API --------------------------------------------------------------------------------------------------
def test_api_describes_an_offer_exported_as_valid_lheo_that_round_trips(app, api_as, etab_id):
    client = api_as("etab.admin")
    body = offre()
    response = client.post("/api/v1/offre_cpf/", json={**body, "etablissement": etab_id})
    assert response.status_code == 201, response.get_json()
    pk = response.get_json()["id"]
    shown = client.get(f"/api/v1/offre_cpf/{pk}").get_json()["result"]
    assert shown["points_forts"] == body["points_forts"] and shown["etablissement"] == etab_id
    assert [(s["debut"], s["ville"]) for s in shown["sessions"]] == [("2027-01-05", "Paris"), ("2027-04-06", "Paris")]

    response = client.get(f"/api/v1/offre_cpf/etablissement/{etab_id}/lheo")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    xml = response.get_data()
    with app.app_context():
        siret = db.session.get(OffreCpf, pk).etablissement.siret
    assert _sans_numeros(_xml_ok(xml)) == expected(body, siret)
    root = etree.fromstring(xml)
    ns = {"l": lheo.NS}
    assert root.findtext("l:offres/l:formation/l:certification/l:code-RS", namespaces=ns) == "RS2203"
    assert root.findtext("l:offres/l:formation/l:parcours-de-formation", namespaces=ns) == "2"  # individualisé
    assert root.find("l:offres/l:formation/l:action", ns).get("numero") == "CLEA-PARIS-01"
    assert root.findtext("l:offres/l:formation/l:action/l:session/l:periode/l:debut", namespaces=ns) == "20270105"

    # A PUT replaces the offer and its sessions; the export follows.
    changed = offre(type_parcours="96214", sessions=[body["sessions"][1]])
    version = client.get(f"/api/v1/offre_cpf/{pk}").get_json()["result"]["version"]
    assert client.put(f"/api/v1/offre_cpf/{pk}", json={**changed, "version": version}).status_code == 200
    assert _sans_numeros(_xml_ok(client.get(f"/api/v1/offre_cpf/etablissement/{etab_id}/lheo").get_data())) == expected(
        changed, siret
    )
    stale = client.put(f"/api/v1/offre_cpf/{pk}", json={**changed, "version": version})
    assert stale.status_code == 409 and "modifiée par quelqu'un d'autre" in stale.get_json()["message"]

    workbook = load_workbook(io.BytesIO(client.get(f"/api/v1/offre_cpf/etablissement/{etab_id}/export").get_data()))
    assert workbook.sheetnames == ["Offres", "Sessions"]
    rows = [[c.value for c in r] for r in workbook["Offres"].iter_rows()]
    assert rows[1][:7] == [
        "CLEA-PARIS-01",
        "CléA",
        "RS2203",
        "15041",
        "100",
        body["intitule_formation"],
        body["points_forts"],
    ]
    assert rows[1][10] == "96214 - Mixte"
    sessions = [[c.value for c in r] for r in workbook["Sessions"].iter_rows()]
    assert sessions[1] == [
        "CLEA-PARIS-01",
        datetime.datetime(2027, 4, 6),
        datetime.datetime(2027, 6, 26),
        "3 place Léon Blum",
        "75011",
        "Paris",
    ]

    assert client.delete(f"/api/v1/offre_cpf/{pk}").status_code == 200
    assert client.get(f"/api/v1/offre_cpf/{pk}").status_code == 404
    nothing = client.get(f"/api/v1/offre_cpf/etablissement/{etab_id}/lheo")
    assert nothing.status_code == 409
    assert (
        nothing.get_json()["message"]
        == "Cet établissement n'a encore décrit aucune offre de formation CPF : rien à exporter."
    )


LIMITES = [
    ({"points_forts": "x" * 256}, "points_forts", "Ce champ ne doit pas dépasser 255 caractères (limite d'EDOF)."),
    (
        {"resultats_attendus": "x" * 3001},
        "resultats_attendus",
        "Ce champ ne doit pas dépasser 3000 caractères (limite d'EDOF).",
    ),
    ({"intitule_formation": "x" * 256}, "intitule_formation", "Ce champ ne doit pas dépasser 255 caractères."),
    ({"objectif_formation": "x" * 3001}, "objectif_formation", "Ce champ ne doit pas dépasser 3000 caractères."),
    ({"contenu_formation": ""}, "contenu_formation", "Ce champ est obligatoire."),
    (
        {"type_parcours": "96215"},
        "type_parcours",
        "Choisissez le type de parcours : 96211 - Individualisé, 96212 - Modulaire, 96213 - Collectif, 96214 - Mixte.",
    ),
    (
        {"certification": "rs9999"},
        "certification",
        "Choisissez la certification : CléA (RS2203) ou CléA numérique (RS3936).",
    ),
    ({"sessions": []}, "sessions", "Ajoutez au moins une session (dates et lieu)."),
    ({"sessions": "demain"}, "sessions", "Une liste de sessions est attendue."),
]
SESSION = {
    "debut": "2027-01-05",
    "fin": "2027-03-20",
    "adresse": "12 rue Oberkampf",
    "code_postal": "75011",
    "ville": "Paris",
}
LIMITES_SESSION = [
    ({"fin": "2027-01-04"}, "fin", "La date de fin doit être postérieure ou égale à la date de début."),
    ({"debut": "31/02/2027"}, "debut", None),
    ({"debut": "2010-01-01"}, "debut", "La date doit être comprise entre le 01/01/2019 et le "),
    ({"code_postal": "7501"}, "code_postal", "Le code postal compte 5 chiffres."),
    ({"ville": "x" * 51}, "ville", "Ce champ ne doit pas dépasser 50 caractères."),
    ({"adresse": ""}, "adresse", "Ce champ est obligatoire."),
]


@pytest.mark.parametrize("change, field, message", LIMITES)
def test_field_limits_are_refused_in_french(api, etab_id, change, field, message):
    response = api("etab.admin").post("/api/v1/offre_cpf/", json={**offre(**change), "etablissement": etab_id})
    assert response.status_code == 422
    assert response.get_json()["message"][field] == [message]


@pytest.mark.parametrize("change, field, message", LIMITES_SESSION)
def test_session_rules_are_refused_in_french(api, etab_id, change, field, message):
    body = offre(sessions=[SESSION, {**SESSION, **change}])
    response = api("etab.admin").post("/api/v1/offre_cpf/", json={**body, "etablissement": etab_id})
    assert response.status_code == 422
    messages = response.get_json()["message"]
    assert list(messages) == [f"sessions.1.{field}"]
    assert messages[f"sessions.1.{field}"][0].startswith(message or DATE_INVALIDE), messages


def test_internal_id_is_unique_in_the_establishment(api, etab_id):
    client = api("etab.admin")
    assert client.post("/api/v1/offre_cpf/", json={**offre(), "etablissement": etab_id}).status_code == 201
    again = client.post("/api/v1/offre_cpf/", json={**offre(), "etablissement": etab_id})
    assert again.status_code == 422
    assert again.get_json()["message"]["numero_interne"] == [
        "L'identifiant interne « CLEA-PARIS-01 » est déjà celui d'une autre offre de cet établissement."
    ]


def test_only_a_habilitated_certification(app, api, as_user):
    """A1-2 (organisation A1) has only an expired CléA habilitation: no offer for it."""
    with app.app_context():
        from app.services import habilitations

        etab = next(e for e in db.session.execute(select(Etablissement)).scalars() if e.nom == "Avenir Paris Lille")
        etab_id, refus = etab.id, habilitations.refus_exercice(etab, "clea")
    assert refus
    response = api("org.admin").post("/api/v1/offre_cpf/", json={**offre(), "etablissement": etab_id})
    assert response.status_code == 422
    assert response.get_json()["message"]["certification"] == [
        f"{refus} Une offre CPF ne peut être décrite que pour une habilitation en cours."
    ]
    form = page_text(as_user("org.admin").get(f"/offres-cpf/etablissement/{etab_id}/ajouter"))
    assert "Cet établissement n'est habilité aujourd'hui pour aucune certification" in form
    assert "RS2203" not in form


def test_perimeter_is_404_and_rights_403(app, api, etab_id):
    pk = api("etab.admin").post("/api/v1/offre_cpf/", json={**offre(), "etablissement": etab_id}).get_json()["id"]
    other_etab = etablissement_de(app, "etab2.user")
    for login in ("etab2.user", "reseau2.admin", "org2.admin"):
        client = api(login)
        for method, path in (
            ("get", f"/api/v1/offre_cpf/{pk}"),
            ("put", f"/api/v1/offre_cpf/{pk}"),
            ("delete", f"/api/v1/offre_cpf/{pk}"),
            ("get", f"/api/v1/offre_cpf/etablissement/{etab_id}/lheo"),
            ("get", f"/api/v1/offre_cpf/etablissement/{etab_id}/export"),
        ):
            response = getattr(client, method)(path, json=offre())
            assert response.status_code == 404, (login, method, path)
        assert pk not in client.get("/api/v1/offre_cpf/").get_json()["ids"]
    outside = api("etab.admin").post("/api/v1/offre_cpf/", json={**offre(), "etablissement": other_etab})
    assert outside.status_code == 404
    # Reading is 👁 on FICHE ETABLISSEMENT; describing is ✏.
    reader = api("etab.user")
    assert reader.get(f"/api/v1/offre_cpf/{pk}").status_code == 200
    refused = reader.post("/api/v1/offre_cpf/", json={**offre(numero_interne="X"), "etablissement": etab_id})
    assert refused.status_code == 403
    assert refused.get_json()["message"] == "Vous n'avez pas les droits nécessaires pour cette action."
    assert reader.delete(f"/api/v1/offre_cpf/{pk}").status_code == 403
    assert api("certif.idf").get(f"/api/v1/offre_cpf/{pk}").status_code in (403, 404)


# --- Pages ------------------------------------------------------------------------------------------------
def _form(body):
    data = {k: v for k, v in body.items() if k != "sessions"}
    for i, s in enumerate(body["sessions"]):
        for name, value in s.items():
            data[f"sessions.{i}.{name}"] = (
                D.fromisoformat(value).strftime("%d/%m/%Y") if name in ("debut", "fin") else value
            )
    data["sessions.5.ville"] = ""  # a blank row is no session
    return data


def test_the_establishment_page_lists_adds_edits_and_deletes(app, as_user, etab_id):
    client = as_user("etab.admin")
    page = client.get(f"/etablissements/show/{etab_id}")
    text = page_text(page)
    assert "Offre de formation CPF" in text and "Aucune offre de formation CPF décrite." in text
    assert f"/offres-cpf/etablissement/{etab_id}/ajouter" in page.get_data(as_text=True)

    form = client.get(f"/offres-cpf/etablissement/{etab_id}/ajouter")
    assert form.status_code == 200
    form_text = page_text(form)
    assert "Ajouter une offre de formation CPF" in form_text and "96211 - Individualisé" in form_text
    assert "RS2203 — CléA" in form_text and "RS3936 — CléA numérique" in form_text  # both habilitated
    assert english_in(form) == []

    bad = client.post(f"/offres-cpf/etablissement/{etab_id}/ajouter", data=_form(offre(points_forts="x" * 256)))
    assert bad.status_code == 422
    assert "Ce champ ne doit pas dépasser 255 caractères (limite d'EDOF)." in page_text(bad)
    bad = client.post(
        f"/offres-cpf/etablissement/{etab_id}/ajouter",
        data=_form(offre(sessions=[{**SESSION, "fin": "2027-01-01"}])),
    )
    assert "La date de fin doit être postérieure ou égale à la date de début." in page_text(bad)

    done = client.post(f"/offres-cpf/etablissement/{etab_id}/ajouter", data=_form(offre()))
    assert done.status_code == 302
    shown = client.get(done.headers["Location"])
    text = page_text(shown)
    assert "Offre de formation CPF — Préparation à la certification CléA — Paris 11e" in text
    assert "RS2203 — CléA" in text and "96211 - Individualisé" in text and "15041" in text
    assert "05/01/2027 20/03/2027 12 rue Oberkampf, 75011 Paris" in text
    assert english_in(shown) == []
    pk = int(done.headers["Location"].rstrip("/").split("/")[-1])

    listed = page_text(client.get(f"/etablissements/show/{etab_id}"))
    assert "CLEA-PARIS-01 Préparation à la certification CléA — Paris 11e RS2203 — CléA 96211 - Individualisé" in listed
    assert "Exporter en LHÉO (XML)" in listed

    edit = client.get(f"/offres-cpf/{pk}/modifier")
    assert 'value="05/01/2027"' in edit.get_data(as_text=True)
    values = _form(offre(intitule_formation="CléA — session de printemps", sessions=[offre()["sessions"][1]]))
    with app.app_context():
        values["version"] = str(db.session.get(OffreCpf, pk).version)
    assert client.post(f"/offres-cpf/{pk}/modifier", data=values).status_code == 302
    xml = client.get(f"/offres-cpf/etablissement/{etab_id}/lheo.xml")
    assert xml.status_code == 200 and "attachment" in xml.headers["Content-Disposition"]
    read = _xml_ok(xml.get_data())
    assert [(o.intitule_formation, [s.debut for s in o.sessions]) for o in read] == [
        ("CléA — session de printemps", [D(2027, 4, 6)])
    ]

    client.post(f"/offres-cpf/{pk}/supprimer")
    assert client.get(f"/offres-cpf/{pk}").status_code == 404


def test_pages_out_of_the_perimeter_are_404(app, as_user, api, etab_id):
    pk = api("etab.admin").post("/api/v1/offre_cpf/", json={**offre(), "etablissement": etab_id}).get_json()["id"]
    client = as_user("etab2.user")
    for path in (
        f"/offres-cpf/{pk}",
        f"/offres-cpf/{pk}/modifier",
        f"/offres-cpf/etablissement/{etab_id}/ajouter",
        f"/offres-cpf/etablissement/{etab_id}/lheo.xml",
        f"/offres-cpf/etablissement/{etab_id}/export",
    ):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/offres-cpf/{pk}/supprimer").status_code == 404
    assert as_user("etab.user").get(f"/offres-cpf/etablissement/{etab_id}/ajouter").status_code == 403


def test_the_public_directory_shows_the_offer_next_to_the_establishment(app, client, api, etab_id):
    body = offre(sessions=[SESSION, {**SESSION, "debut": "2020-01-06", "fin": "2020-02-28", "ville": "Montreuil"}])
    assert api("etab.admin").post("/api/v1/offre_cpf/", json={**body, "etablissement": etab_id}).status_code == 201
    with app.app_context():
        nom = db.session.get(Etablissement, etab_id).nom
    text = page_text(client.get("/annuaire/?q=" + nom))
    assert (
        f"{nom} Offre de formation CPF Préparation à la certification CléA — Paris 11e (RS2203 — CléA, parcours "
        "96211 - Individualisé)"
    ) in text
    assert "Sessions : du 05/01/2027 au 20/03/2027 à Paris" in text
    assert "Montreuil" not in text  # a past session is not announced
