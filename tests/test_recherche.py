"""National search (guide §15, domain.md §5): every file of the platform is searched, files outside the perimeter
show four columns only and are never opened; too broad, nothing found and no criterion get French messages."""

import datetime
import re

import pytest
from sqlalchemy import event

from app.extensions import db
from app.models import Candidature, Etablissement
from app.services import recherche
from app.services.candidatures import cle_personne, nom_recherche
from tests.conftest import demo, page_text


def ids(app, *numeros):
    with app.app_context():
        return [demo(Candidature, numero_dossier=n).id for n in numeros]


def rows(response) -> list[str]:
    """The rows of the results table, as HTML."""
    html = response.get_data(as_text=True)
    table = re.search(r'<table class="table[^"]*clea-recherche-resultats".*?</table>', html, re.S)
    return re.findall(r"<tr>.*?</tr>", table.group(0), re.S)[1:] if table else []


def row_of(response, numero) -> str:
    found = [r for r in rows(response) if f"<td>{numero}</td>" in r]
    assert len(found) == 1, f"{numero} absent des résultats"
    return found[0]


def add_files(app, count, nom, ville="Lyon", prenom="Test", code_postal="69003"):
    """`count` files of people named `nom`, registered in C1-1 (outside networks A and B)."""
    with app.app_context():
        etab = demo(Etablissement, nom="Indépendant Lyon")
        start = 2027000000 + db.session.query(Candidature).count() * 100
        for i in range(count):
            naissance = datetime.date(1960, 1, 1) + datetime.timedelta(days=i)
            db.session.add(
                Candidature(
                    numero_dossier=str(start + i),
                    etablissement_id=etab.id,
                    organisme_id=etab.organisme_id,
                    certification="clea",
                    statut_inscription="Demandeur d'emploi",
                    financeur_principal="CPF",
                    niveau_formation="Niveau 3 – CAP, BEP (ancien niveau V)",
                    civilite="Madame",
                    nom_naissance=nom,
                    prenom=prenom,
                    date_naissance=naissance,
                    ville_naissance=ville,
                    code_postal_naissance=code_postal,
                    cle_personne=cle_personne(nom, prenom, naissance),
                    nom_recherche=nom_recherche(nom, prenom),
                )
            )
        db.session.commit()


def test_name_is_accent_and_case_insensitive_and_searches_nationally(app, as_user):
    inside, outside = ids(app, "2026000003", "2026000013")
    client = as_user("etab.user")
    for typed in ("fontaine ines", "FONTAINE Inès", "  Fontaine   INES ", "fontaine"):
        response = client.get("/recherche/", query_string={"nom": typed})
        assert response.status_code == 200
        text = page_text(response)
        assert "RÉSULTAT DE RECHERCHE" in text and "Tableau de bord Recherche" in text
        assert "Fontaine Inès" in text and "Fontaine Inès-Marie" in text, typed
        assert len(rows(response)) == 2
    # Inside the perimeter: the eye opens the file; outside: no link to it.
    assert f'href="/candidatures/show/{inside}"' in row_of(response, "2026000003")
    assert "/candidatures/show/" not in row_of(response, "2026000013")
    # Another word of the name narrows the search (« Inès-Marie » is two words).
    response = client.get("/recherche/", query_string={"nom": "fontaine marie"})
    assert list(rows(response)) == [row_of(response, "2026000013")]
    assert f"/candidatures/show/{outside}" not in response.get_data(as_text=True)


def test_outside_the_perimeter_only_four_columns_and_never_a_link(app, as_user):
    (outside,) = ids(app, "2026000013")
    response = as_user("etab.user").get("/recherche/", query_string={"nom": "Fontaine Inès-Marie"})
    html = response.get_data(as_text=True)
    row = row_of(response, "2026000013")
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells == [
        "",
        "2026000013",
        "Fontaine Inès-Marie",
        "Compétences Méditerranée Marseille",
        "À envoyer en certification",
    ]
    # Nothing else of the file anywhere in the page, not even in an attribute.
    with app.app_context():
        c = db.session.get(Candidature, outside)
        secrets = [
            c.email,
            c.date_naissance.strftime("%d/%m/%Y"),
            c.date_naissance.isoformat(),
            c.objectifs_professionnels,
            c.niveau_formation,
        ]
    for secret in secrets:
        assert secret not in html
    assert f"/candidatures/show/{outside}" not in html and f"/candidatures/{outside}/" not in html
    # An OF user who may ask for transfers gets the key icon, leading to the request form.
    assert f'href="/rattachements/demander/{outside}"' in row and "Demande de rattachement" in row


def test_key_only_for_profiles_that_may_ask_and_files_that_may_move(app, as_user):
    at_jury, outside = ids(app, "2026000014", "2026000013")
    # A certifier searches too (👁 on EVALUATIONS) but asks for no transfer.
    response = as_user("certif.idf").get("/recherche/", query_string={"nom": "fontaine"})
    assert response.status_code == 200 and len(rows(response)) == 2
    assert "/rattachements/demander/" not in response.get_data(as_text=True)
    # A file waiting for its jury shows a greyed key, no link.
    response = as_user("etab.user").get("/recherche/", query_string={"nom": "chevalier lucas marie"})
    row = row_of(response, "2026000014")
    assert f"/rattachements/demander/{at_jury}" not in row and "Rattachement impossible" in row
    # Certif Pro sees every file inside its (national) perimeter: every row opens.
    response = as_user("certifpro").get("/recherche/", query_string={"nom": "fontaine"})
    assert f'href="/candidatures/show/{outside}"' in row_of(response, "2026000013")
    assert "/rattachements/demander/" not in response.get_data(as_text=True)


def test_other_criteria(app, as_user):
    client = as_user("org2.admin")
    by_number = client.get("/recherche/", query_string={"numero_dossier": "2026000001"})
    assert len(rows(by_number)) == 1 and "Moreau Camille" in page_text(by_number)
    prefix = client.get("/recherche/", query_string={"numero_dossier": "202600001"})
    assert len(rows(prefix)) == 10  # 2026000010 to 2026000019
    by_birth = client.get("/recherche/", query_string={"date_naissance": "12/06/1976"})
    assert list(rows(by_birth)) == [row_of(by_birth, "2026000013")]
    place = client.get(
        "/recherche/", query_string={"ville_naissance": "marseille", "code_postal_naissance": "13001", "nom": "moreau"}
    )
    assert len(rows(place)) == 1 and "Moreau Camille-Marie" in page_text(place)
    # The navigation's single box: digits are a file number, letters a name.
    assert len(rows(client.get("/recherche/", query_string={"q": "2026000002"}))) == 1
    assert len(rows(client.get("/recherche/", query_string={"q": "lambert yanis"}))) == 2


def test_no_result_no_criterion_and_invalid_input(app, as_user):
    client = as_user("etab.user")
    none = client.get("/recherche/", query_string={"nom": "Zzyzx"})
    assert "Aucun résultat correspondant à votre recherche" in page_text(none) and rows(none) == []
    # LIKE's wildcards are searched as themselves.
    for typed in ("%", "_", "f%", "%ontaine"):
        response = client.get("/recherche/", query_string={"nom": typed})
        assert response.status_code == 200 and rows(response) == [], typed
    empty = client.get("/recherche/", query_string={"numero_dossier": "", "nom": " "})
    assert recherche.AUCUN_CRITERE in page_text(empty) and rows(empty) == []
    # The bare page (the magnifier) shows the form without a message.
    bare = page_text(client.get("/recherche/"))
    assert "Nom / Prénom" in bare and recherche.AUCUN_CRITERE not in bare and "Aucun résultat" not in bare
    bad = client.get(
        "/recherche/",
        query_string={"date_naissance": "31/02/1990", "numero_dossier": "12ab", "code_postal_naissance": "ABCDE"},
    )
    text = page_text(bad)
    assert bad.status_code == 200 and "Date de naissance invalide (jj/mm/aaaa)." in text
    assert "Le numéro de dossier ne contient que des chiffres." in text and "Code postal invalide" in text
    for weird in (
        {"nom": "é" * 5000},
        {"nom": "\x00"},
        {"date_naissance": "9999-99-99"},
        {"q": "'; drop"},
        {"pays_naissance": "Sénégal"},
    ):
        assert client.get("/recherche/", query_string=weird).status_code == 200


def test_too_broad_beyond_50_then_narrowed(app, as_user):
    add_files(app, 51, "Nombreux")
    client = as_user("etab.user")
    broad = client.get("/recherche/", query_string={"nom": "nombreux"})
    text = page_text(broad)
    assert "La recherche est trop large, veuillez préciser vos critères." in text
    assert rows(broad) == [] and "Nombre total" not in text
    narrowed = client.get("/recherche/", query_string={"nom": "nombreux", "date_naissance": "02/01/1960"})
    assert len(rows(narrowed)) == 1 and "Indépendant Lyon" in page_text(narrowed)
    # 50 matches exactly are shown.
    add_files(app, 50, "Cinquante")
    assert len(rows(client.get("/recherche/", query_string={"nom": "cinquante"}))) == 50


def test_one_query_whatever_the_number_of_rows(app, as_user):
    add_files(app, 40, "Compteur", ville="Nantes", code_postal="44000")
    client = as_user("etab.user")
    client.get("/recherche/")  # warm-up: session, roles

    def statements(criteria):
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                response = client.get("/recherche/", query_string=criteria)
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
        return response, [s for s in seen if "FROM candidature" in s]

    one, few = statements({"nom": "compteur", "date_naissance": "01/01/1960"})
    many, more = statements({"nom": "compteur"})
    assert len(rows(one)) == 1 and len(rows(many)) == 40
    assert len(few) == len(more) == 1
    assert "LIMIT" in more[0].upper()


@pytest.mark.parametrize("login, status", [("reseau.superviseur", 403), ("jury.idf", 200), ("org.user", 200)])
def test_who_may_search(as_user, login, status):
    """Every profile with 👁 on EVALUATIONS (roles.md); the network supervisor has none."""
    assert as_user(login).get("/recherche/", query_string={"nom": "moreau"}).status_code == status


def test_anonymous_is_sent_to_login(client):
    response = client.get("/recherche/?nom=moreau")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_magnifier_of_the_top_bar_opens_the_search(as_user):
    home = as_user("org.admin").get("/").get_data(as_text=True)
    assert 'href="/recherche/" title="Rechercher un dossier"' in home
    assert 'href="/recherche/"' not in as_user("reseau.superviseur").get("/").get_data(as_text=True)
