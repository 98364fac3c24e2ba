"""National search (guide §15, domain.md §5): every file of the platform is searched, files outside the perimeter
show four columns only and are never opened, and are found only by exact number or by name with the exact birth
date (issue « Trust »); searches are journaled and limited per user; too broad, nothing found and no criterion get
French messages."""

import datetime
import re

import pytest
from sqlalchemy import event

from app.extensions import db
from app.models import Candidature, Etablissement, RechercheNationale
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
    inside, outside = ids(app, "2026000003", "2026000013")  # Fontaine Inès (A1-1), Fontaine Inès-Marie (B1-1)
    client = as_user("etab.user")
    for typed in ("fontaine ines", "FONTAINE Inès", "  Fontaine   INES ", "fontaine", "font"):
        response = client.post("/recherche/", data={"nom": typed})
        assert response.status_code == 200
        text = page_text(response)
        assert "RÉSULTAT DE RECHERCHE" in text and "Tableau de bord Recherche" in text
        # Inside the perimeter a prefix of the name finds the file; outside, a name alone finds nothing.
        assert [row_of(response, "2026000003")] == rows(response), typed
    assert f'href="/candidatures/show/{inside}"' in row_of(response, "2026000003")
    # Outside the perimeter: the whole name with the exact birth date, accents and case ignored.
    for typed in ("fontaine ines marie", "FONTAINE Inès-Marie", "fontaine", "fontaine marie"):
        response = client.post("/recherche/", data={"nom": typed, "date_naissance": "12/06/1976"})
        assert [row_of(response, "2026000013")] == rows(response), typed
        assert "/candidatures/show/" not in row_of(response, "2026000013")
    # …never a prefix of it, nor a wrong date.
    for criteria in (
        {"nom": "fontai", "date_naissance": "12/06/1976"},
        {"nom": "fontaine ines mar", "date_naissance": "12/06/1976"},
        {"nom": "fontaine", "date_naissance": "13/06/1976"},
        {"date_naissance": "12/06/1976"},
    ):
        response = client.post("/recherche/", data=criteria)
        assert rows(response) == [], criteria
    assert f"/candidatures/show/{outside}" not in response.get_data(as_text=True)


def test_outside_the_perimeter_by_exact_number_only(app, as_user):
    client = as_user("etab.user")
    assert len(rows(client.post("/recherche/", data={"numero_dossier": "2026000013"}))) == 1
    assert len(rows(client.post("/recherche/", data={"q": "2026000013"}))) == 1
    # A prefix of a number finds the perimeter's files only (2026000010 is A1-1's, 11 to 19 are B1-1's).
    prefix = client.post("/recherche/", data={"numero_dossier": "202600001"})
    assert rows(prefix) == [row_of(prefix, "2026000010")]


def test_the_birth_place_of_a_file_outside_the_perimeter_cannot_be_spelt_out(app, as_user):
    """Knowing a person's name and birth date, the place is not recovered letter by letter (« m », « ma »…)."""
    client = as_user("etab.user")
    known = {"nom": "fontaine ines marie", "date_naissance": "12/06/1976"}
    for partial in ({"ville_naissance": "m"}, {"ville_naissance": "marseil"}, {"code_postal_naissance": "13"}):
        assert rows(client.post("/recherche/", data={**known, **partial})) == [], partial
    for whole in ({"ville_naissance": "MARSEILLE"}, {"code_postal_naissance": "13001"}):
        assert len(rows(client.post("/recherche/", data={**known, **whole}))) == 1, whole
    # Inside the perimeter, the place is still a prefix.
    own = {"nom": "fontaine ines", "date_naissance": "12/01/1976", "ville_naissance": "par"}
    assert len(rows(client.post("/recherche/", data=own))) == 1


def test_searches_are_journaled_and_limited_per_user(app, as_user, monkeypatch):
    monkeypatch.setitem(app.config, "RECHERCHE_PAR_MINUTE", 3)
    client = as_user("etab.user")
    for number in ("2026000013", "2026000003", "2026000001"):
        assert client.post("/recherche/", data={"numero_dossier": number}).status_code == 200
    refused = client.post("/recherche/", data={"numero_dossier": "2026000013"})
    assert refused.status_code == 429 and recherche.TROP_DE_RECHERCHES in page_text(refused)
    assert rows(refused) == []
    # The limit is the user's: a colleague behind the same address still searches.
    assert len(rows(as_user("etab2.user").post("/recherche/", data={"numero_dossier": "2026000013"}))) == 1
    # Every search run is in the journal, with what it showed outside the perimeter…
    with app.app_context():
        journal = db.session.query(RechercheNationale).order_by(RechercheNationale.id).all()
        mine = [(j.criteres, j.resultats, j.hors_perimetre) for j in journal if j.user_name == "Hugo Dubois"]
    assert mine == [
        ({"numero_dossier": "2026000013"}, 1, 1),
        ({"numero_dossier": "2026000003"}, 1, 0),
        ({"numero_dossier": "2026000001"}, 1, 0),
    ]
    # …that Certif Pro reads in ADMINISTRATION, and nobody else.
    page = as_user("certifpro").get("/administration/recherches/list/")
    assert page.status_code == 200
    text = page_text(page)
    assert "Journal des recherches nationales" in text and "Hugo Dubois" in text
    assert "Numéro de dossier : 2026000013" in text
    assert "Journal des recherches nationales" in page_text(as_user("certifpro").get("/administration/"))
    assert as_user("org.admin").get("/administration/recherches/list/").status_code in (302, 403)


def test_the_journal_is_purged_after_its_retention(app):
    import datetime as dt

    from app.models.base import utcnow

    with app.app_context():
        old = RechercheNationale(user_id=1, criteres={"nom": "x"}, created_at=utcnow() - dt.timedelta(days=400))
        recent = RechercheNationale(user_id=1, criteres={"nom": "y"}, created_at=utcnow() - dt.timedelta(days=10))
        db.session.add_all([old, recent])
        db.session.commit()
        assert recherche.purger_journal() == 1
        assert [r.criteres for r in db.session.query(RechercheNationale)] == [{"nom": "y"}]


def test_outside_the_perimeter_only_four_columns_and_never_a_link(app, as_user):
    (outside,) = ids(app, "2026000013")
    response = as_user("etab.user").post("/recherche/", data={"numero_dossier": "2026000013"})
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
    # An OF user who may ask for transfers gets the key icon, leading to the request form by a signed
    # reference (not the file's id).
    assert 'href="/rattachements/demander/' in row and "Demande de rattachement" in row
    assert f'href="/rattachements/demander/{outside}"' not in row


def test_key_only_for_profiles_that_may_ask_and_files_that_may_move(app, as_user):
    (outside,) = ids(app, "2026000013")
    # A certifier searches too (👁 on EVALUATIONS) but asks for no transfer.
    response = as_user("certif.idf").post("/recherche/", data={"numero_dossier": "2026000013"})
    assert response.status_code == 200 and len(rows(response)) == 1
    assert "/rattachements/demander/" not in response.get_data(as_text=True)
    # A file waiting for its jury shows a greyed key, no link.
    response = as_user("etab.user").post("/recherche/", data={"numero_dossier": "2026000014"})
    row = row_of(response, "2026000014")
    assert "/rattachements/demander/" not in row and "Rattachement impossible" in row
    # Certif Pro sees every file inside its (national) perimeter: every row opens.
    response = as_user("certifpro").post("/recherche/", data={"nom": "fontaine"})
    assert f'href="/candidatures/show/{outside}"' in row_of(response, "2026000013")
    assert "/rattachements/demander/" not in response.get_data(as_text=True)


def test_other_criteria(app, as_user):
    client = as_user("org2.admin")
    by_number = client.post("/recherche/", data={"numero_dossier": "2026000001"})
    assert len(rows(by_number)) == 1 and "Moreau Camille" in page_text(by_number)
    prefix = client.post("/recherche/", data={"numero_dossier": "202600001"})
    assert len(rows(prefix)) == 9  # 2026000011 to 2026000019 (2026000010 is outside the perimeter)
    by_birth = client.post("/recherche/", data={"date_naissance": "12/06/1976"})
    assert list(rows(by_birth)) == [row_of(by_birth, "2026000013")]
    place = client.post(
        "/recherche/", data={"ville_naissance": "marseille", "code_postal_naissance": "13001", "nom": "moreau"}
    )
    assert len(rows(place)) == 1 and "Moreau Camille-Marie" in page_text(place)
    # The navigation's single box: digits are a file number, letters a name.
    assert len(rows(client.post("/recherche/", data={"q": "2026000002"}))) == 1
    assert len(rows(client.post("/recherche/", data={"q": "lambert yanis"}))) == 1  # B1-1's Yanis-Marie


def test_no_result_no_criterion_and_invalid_input(app, as_user):
    client = as_user("etab.user")
    none = client.post("/recherche/", data={"nom": "Zzyzx"})
    assert "Aucun résultat correspondant à votre recherche" in page_text(none) and rows(none) == []
    # LIKE's wildcards are searched as themselves.
    for typed in ("%", "_", "f%", "%ontaine"):
        response = client.post("/recherche/", data={"nom": typed})
        assert response.status_code == 200 and rows(response) == [], typed
    empty = client.post("/recherche/", data={"numero_dossier": "", "nom": " "})
    assert recherche.AUCUN_CRITERE in page_text(empty) and rows(empty) == []
    # The bare page (the magnifier) shows the form without a message.
    bare = page_text(client.get("/recherche/"))
    assert "Nom / Prénom" in bare and recherche.AUCUN_CRITERE not in bare and "Aucun résultat" not in bare
    # Criteria in the URL are not searched: names and birth dates never travel in URLs (histories, logs).
    in_url = client.get("/recherche/", query_string={"numero_dossier": "2026000003"})
    assert in_url.status_code == 200 and rows(in_url) == [] and "Aucun résultat" not in page_text(in_url)
    form = client.get("/recherche/").get_data(as_text=True)
    assert re.search(r'<form method="post" action="/recherche/" class="clea-recherche-filtres">', form)
    bad = client.post(
        "/recherche/",
        data={"date_naissance": "31/02/1990", "numero_dossier": "12ab", "code_postal_naissance": "ABCDE"},
    )
    text = page_text(bad)
    assert bad.status_code == 200 and "Date de naissance invalide (jj/mm/aaaa)." in text
    assert "Le numéro de dossier ne contient que des chiffres." in text and "Code postal invalide" in text
    for weird in (
        {"nom": "é" * 5000},
        {"date_naissance": "9999-99-99"},
        {"q": "'; drop"},
        {"pays_naissance": "Sénégal"},
    ):
        assert client.post("/recherche/", data=weird).status_code == 200
    refused = client.post("/recherche/", data={"nom": "\x00"})  # any NUL character: refused (app/entrees.py)
    assert refused.status_code == 400 and "caractère nul" in page_text(refused)


def test_too_broad_beyond_50_then_narrowed(app, as_user):
    add_files(app, 51, "Nombreux")
    client = as_user("certifpro")  # national: the added files are inside its perimeter
    broad = client.post("/recherche/", data={"nom": "nombreux"})
    text = page_text(broad)
    assert "La recherche est trop large, veuillez préciser vos critères." in text
    assert rows(broad) == [] and "Nombre total" not in text
    narrowed = client.post("/recherche/", data={"nom": "nombreux", "date_naissance": "02/01/1960"})
    assert len(rows(narrowed)) == 1 and "Indépendant Lyon" in page_text(narrowed)
    # 50 matches exactly are shown.
    add_files(app, 50, "Cinquante")
    assert len(rows(client.post("/recherche/", data={"nom": "cinquante"}))) == 50


def test_one_query_whatever_the_number_of_rows(app, as_user):
    add_files(app, 40, "Compteur", ville="Nantes", code_postal="44000")
    client = as_user("certifpro")
    client.get("/recherche/")  # warm-up: session, roles

    def statements(criteria):
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                response = client.post("/recherche/", data=criteria)
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
    assert as_user(login).post("/recherche/", data={"nom": "moreau"}).status_code == status


def test_anonymous_is_sent_to_login(client):
    response = client.post("/recherche/", data={"nom": "moreau"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_magnifier_of_the_top_bar_opens_the_search(as_user):
    home = as_user("org.admin").get("/").get_data(as_text=True)
    assert 'href="/recherche/" title="Rechercher un dossier"' in home
    assert 'href="/recherche/"' not in as_user("reseau.superviseur").get("/").get_data(as_text=True)
