"""Redevances (domain.md §10, seed 001 annex 3): the quarterly fee statement of Certif Pro, on a crafted data set
whose totals are known: two fresh organisations, their establishments (one inactive each), habilitation requests
of every outcome with chosen dates, certificates with chosen delivery times, and a 2026 barème for CléA
(CléA numérique stays on the 2020 one). The demo data share the database: every assert is limited to the
crafted organisations, or compares the page / file / API with the service."""

import datetime
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, event, select

from app.demo import luhn_complete
from app.domain.errors import ValidationFailed
from app.extensions import db
from app.models import (
    BaremeRedevance,
    Candidature,
    Certificat,
    Certificateur,
    DemandeHabilitation,
    Etablissement,
    Organisme,
    SessionJury,
)
from app.services import redevances as service
from tests.conftest import is_savepoint, page_text
from tests.test_french import english_in

D = datetime.date
SIREN_X = luhn_complete("77712345")
SIREN_Y = luhn_complete("77712346")
NOM_X = "Organisme Redevances X"
NOM_Y = "Organisme Redevances Y"
OTHERS = ("org.admin", "reseau.admin", "certif.idf")
DETAIL_HEADERS = ["Organisme", "SIREN", "Type", "Date", "Référence", "Certification", "Montant HT"]
RELEVE_HEADERS = [
    "Organisme",
    "SIREN",
    "Demandes d'habilitation (nombre)",
    "Demandes d'habilitation (montant HT)",
    "Sites habilités (nombre)",
    "Sites habilités (montant HT)",
    "Certificats délivrés (nombre)",
    "Certificats délivrés (montant HT)",
    "Total HT",
]


def _organisme(siren, nom):
    org = Organisme(
        siren=siren,
        nom=nom,
        adresse="1 rue des Redevances",
        ville="Paris",
        code_postal="75002",
        contact_nom="Payeur",
        contact_prenom="Paul",
        contact_email="paul@redevances.example",
        email_facturation="compta@redevances.example",
    )
    db.session.add(org)
    db.session.flush()
    return org


def _etablissement(org, n, nom, actif=True):
    etab = Etablissement(
        organisme_id=org.id,
        nom=nom,
        siret=luhn_complete(f"{org.siren}{n:04d}"),
        referent_nom="Ref",
        referent_prenom="Rémi",
        referent_email="ref@redevances.example",
        public_nom="Accueil",
        public_prenom="CléA",
        public_email="accueil@redevances.example",
        public_telephone="01 23 45 67 89",
        adresse=f"{n} rue du Site",
        ville="Paris",
        code_postal="75002",
        region="Île-de-France",
        actif=actif,
    )
    db.session.add(etab)
    db.session.flush()
    return etab


def _demande(org, etabs, demande, etat, certification="clea", debut=None, fin=None):
    d = DemandeHabilitation(
        organisme_id=org.id,
        certification=certification,
        type="initiale",
        date_demande=demande,
        etat=etat,
        date_debut=debut,
        date_fin=fin,
        motif_rejet="Dossier incomplet." if etat == DemandeHabilitation.REJETEE else None,
    )
    d.etablissements = etabs
    db.session.add(d)
    db.session.flush()
    return d


def _certificat(etab, session, n, delivre_le, certification="clea"):
    candidature = Candidature(
        numero_dossier=f"99{n:08d}",
        etablissement_id=etab.id,
        organisme_id=etab.organisme_id,
        certification=certification,
        statut_inscription="Demandeur d'emploi",
        niveau_formation="Niveau 3 – CAP, BEP (ancien niveau V)",
        financeur_principal="CPF",
        civilite="Madame",
        nom_naissance=f"Redevance{n}",
        prenom="Alice",
        date_naissance=D(1980, 1, 1),
        ville_naissance="Paris",
        statut="certifiee",
        cle_personne=f"redevance{n}|alice|1980-01-01",
        nom_recherche=f"REDEVANCE{n} ALICE",
        session_jury_id=session.id,
    )
    db.session.add(candidature)
    db.session.flush()
    db.session.add(
        Certificat(
            candidature_id=candidature.id, numero=f"RDV-{n:04d}", session_jury_id=session.id, created_at=delivre_le
        )
    )


@pytest.fixture
def data(app):
    """The crafted organisations, for each test (rolled back with it, like the 2026 barème)."""
    V, R, P = DemandeHabilitation.VALIDEE, DemandeHabilitation.REJETEE, DemandeHabilitation.DEPOSEE
    with app.app_context():
        db.session.add(
            BaremeRedevance(
                certification="clea",
                annee=2026,
                frais_instruction=Decimal("350"),
                frais_gestion_site=Decimal("35"),
                redevance_certificat=Decimal("12.50"),
            )
        )
        x, y = _organisme(SIREN_X, NOM_X), _organisme(SIREN_Y, NOM_Y)
        x1, x2 = _etablissement(x, 1, "Site X1"), _etablissement(x, 2, "Site X2")
        x3 = _etablissement(x, 3, "Site X3 inactif", actif=False)
        y1, y2 = _etablissement(y, 1, "Site Y1 inactif", actif=False), _etablissement(y, 2, "Site Y2")
        ids = {"x": x.id, "y": y.id, "x1": x1.siret, "x2": x2.siret, "x3": x3.siret, "y1": y1.siret}
        ids["d1"] = _demande(x, [x1, x2, x3], D(2026, 4, 2), V, debut=D(2026, 4, 15), fin=D(2029, 4, 15)).id
        ids["d2"] = _demande(x, [x1], D(2026, 5, 20), R).id
        ids["d3"] = _demande(x, [x2], D(2026, 6, 30), P, certification="clea_numerique").id
        ids["d4"] = _demande(x, [x1], D(2026, 7, 1), P).id  # next quarter
        # Two habilitations of the same certification starting the same day: X1 is charged once.
        ids["d5"] = _demande(x, [x1], D(2024, 4, 20), V, debut=D(2024, 5, 10), fin=D(2027, 5, 10)).id
        ids["d6"] = _demande(x, [x1, x2], D(2024, 4, 25), V, debut=D(2024, 5, 10), fin=D(2027, 5, 10)).id
        # Started on 29 February: charged on 28 February the other years.
        ids["d7"] = _demande(
            x, [x2], D(2024, 2, 1), V, certification="clea_numerique", debut=D(2024, 2, 29), fin=D(2027, 2, 28)
        ).id
        # Y: its only habilitated site is inactive.
        ids["dy1"] = _demande(y, [y1], D(2026, 3, 1), V, debut=D(2026, 4, 1), fin=D(2029, 4, 1)).id
        ids["dy2"] = _demande(y, [y2], D(2026, 6, 15), P, certification="clea_numerique").id
        certifier = db.session.execute(select(Certificateur).filter_by(nom="Certif Pro")).scalar_one()
        session = SessionJury(
            certificateur_id=certifier.id, date=datetime.datetime(2025, 12, 1, 9), libelle="Jury - redevances"
        )
        db.session.add(session)
        db.session.flush()
        at = datetime.datetime
        _certificat(x1, session, 1, at(2026, 4, 1, 0, 0, 0))
        _certificat(x1, session, 2, at(2026, 6, 30, 23, 59, 59))
        _certificat(x2, session, 3, at(2026, 5, 5, 10), certification="clea_numerique")
        _certificat(x1, session, 4, at(2026, 3, 31, 23, 59, 59))
        _certificat(x1, session, 5, at(2025, 12, 31, 12))
        _certificat(x1, session, 6, at(2026, 7, 1, 0, 0, 0))
        _certificat(y2, session, 7, at(2026, 5, 15, 8))
        db.session.commit()
    return ids


def fr(amount) -> str:
    """« 1 234,50 € » as page_text reads it."""
    return f"{amount:,.2f}".replace(",", " ").replace(".", ",") + " €"


def compte(releve, organisme_id):
    found = [c for c in releve.organismes if c.organisme_id == organisme_id]
    return found[0] if found else None


def figures(c):
    return (c.demandes, c.montant_demandes, c.sites, c.montant_sites, c.certificats, c.montant_certificats, c.total)


def lines_of(annee, trimestre, organisme_id):
    return [
        (ligne.type, ligne.date, ligne.reference, ligne.certification, ligne.montant)
        for ligne in service.lignes(annee, trimestre, organisme_id=organisme_id)
    ]


def expected_lines_x_q2_2026(ids):
    site = lambda key, nom: f"{nom} (SIRET {ids[key]})"  # noqa: E731
    return [
        ("instruction", D(2026, 4, 2), f"Demande n°{ids['d1']}", "clea", Decimal("350.00")),
        ("instruction", D(2026, 5, 20), f"Demande n°{ids['d2']}", "clea", Decimal("350.00")),
        ("instruction", D(2026, 6, 30), f"Demande n°{ids['d3']}", "clea_numerique", Decimal("300.00")),
        ("gestion", D(2026, 4, 15), site("x1", "Site X1"), "clea", Decimal("35.00")),
        ("gestion", D(2026, 4, 15), site("x2", "Site X2"), "clea", Decimal("35.00")),
        ("gestion", D(2026, 5, 10), site("x1", "Site X1"), "clea", Decimal("35.00")),
        ("gestion", D(2026, 5, 10), site("x2", "Site X2"), "clea", Decimal("35.00")),
        ("certificat", D(2026, 4, 1), "RDV-0001", "clea", Decimal("12.50")),
        ("certificat", D(2026, 5, 5), "RDV-0003", "clea_numerique", Decimal("10.00")),
        ("certificat", D(2026, 6, 30), "RDV-0002", "clea", Decimal("12.50")),
    ]


X_Q2_2026 = (3, Decimal("1000.00"), 4, Decimal("140.00"), 3, Decimal("35.00"), Decimal("1175.00"))
Y_Q2_2026 = (1, Decimal("300.00"), 0, Decimal("0.00"), 1, Decimal("12.50"), Decimal("312.50"))


# --- Rules (service) ------------------------------------------------------------------------------------
def test_quarters_and_the_bareme_in_force(ctx, data):
    assert service.trimestre(2026, 2) == (D(2026, 4, 1), D(2026, 6, 30))
    assert service.trimestre("2024", "4") == (D(2024, 10, 1), D(2024, 12, 31))
    assert service.trimestre(2024, 1) == (D(2024, 1, 1), D(2024, 3, 31))
    assert service.bareme("clea", D(2025, 12, 31)).annee == 2020
    assert service.bareme("clea", D(2026, 1, 1)).certificat == Decimal("12.50")
    assert service.bareme("clea", D(2027, 6, 1)).annee == 2026  # until a later barème exists
    assert service.bareme("clea_numerique", D(2026, 6, 1)).annee == 2020
    assert service.bareme("clea", D(2019, 12, 31)) is None


def test_quarter_statement_of_the_crafted_organisations(ctx, data):
    releve = service.releve(2026, 2)
    assert (releve.debut, releve.fin) == (D(2026, 4, 1), D(2026, 6, 30))
    assert figures(compte(releve, data["x"])) == X_Q2_2026
    assert figures(compte(releve, data["y"])) == Y_Q2_2026
    assert (compte(releve, data["x"]).nom, compte(releve, data["x"]).siren) == (NOM_X, SIREN_X)
    # The grand total is the sum of the organisations, and of every detail line.
    assert releve.total.total == sum(c.total for c in releve.organismes)
    assert releve.total.demandes == sum(c.demandes for c in releve.organismes)
    assert releve.total.total == sum(ligne.montant for ligne in service.lignes(2026, 2))
    # One organisation alone: the same figures.
    assert figures(service.releve(2026, 2, organisme_id=data["x"]).total) == X_Q2_2026


def test_detail_lines(ctx, data):
    assert lines_of(2026, 2, data["x"]) == expected_lines_x_q2_2026(data)
    assert [ligne.type_label for ligne in service.lignes(2026, 2, organisme_id=data["y"])] == [
        "Frais d'instruction",
        "Redevance par certificat délivré",
    ]


def test_a_quarter_is_priced_with_the_bareme_of_its_year(ctx, data):
    q4_2025 = compte(service.releve(2025, 4), data["x"])
    assert figures(q4_2025) == (0, Decimal("0.00"), 0, Decimal("0.00"), 1, Decimal("10.00"), Decimal("10.00"))
    # Q1 2026: the certificate at the 2026 CléA rate, the numérique site (28 February) at the 2020 one.
    q1_2026 = compte(service.releve(2026, 1), data["x"])
    assert figures(q1_2026) == (0, Decimal("0.00"), 1, Decimal("30.00"), 1, Decimal("12.50"), Decimal("42.50"))
    assert figures(compte(service.releve(2026, 1), data["y"])) == (
        1,
        Decimal("350.00"),
        0,
        Decimal("0.00"),
        0,
        Decimal("0.00"),
        Decimal("350.00"),
    )
    assert figures(compte(service.releve(2024, 2), data["x"])) == (
        2,
        Decimal("600.00"),
        2,
        Decimal("60.00"),
        0,
        Decimal("0.00"),
        Decimal("660.00"),
    )


def test_management_fee_on_each_anniversary_before_the_end(ctx, data):
    def gestion(annee, trimestre):
        return [(date, ref) for type_, date, ref, _, _ in lines_of(annee, trimestre, data["x"]) if type_ == "gestion"]

    x1, x2 = f"Site X1 (SIRET {data['x1']})", f"Site X2 (SIRET {data['x2']})"
    assert gestion(2024, 2) == [(D(2024, 5, 10), x1), (D(2024, 5, 10), x2)]
    assert gestion(2025, 2) == [(D(2025, 5, 10), x1), (D(2025, 5, 10), x2)]
    assert (D(2026, 5, 10), x1) in gestion(2026, 2)
    # 10/05/2027 is the end of the habilitation: no fee; the one started in 2026 still runs (at the 2026 rate).
    assert gestion(2027, 2) == [(D(2027, 4, 15), x1), (D(2027, 4, 15), x2)]
    assert figures(compte(service.releve(2027, 2), data["x"]))[2:4] == (2, Decimal("70.00"))
    # Started on 29 February 2024: 28 February in 2025.
    assert gestion(2024, 1) == [(D(2024, 2, 29), x2)]
    assert lines_of(2025, 1, data["x"]) == [("gestion", D(2025, 2, 28), x2, "clea_numerique", Decimal("30.00"))]
    assert gestion(2025, 3) == [] and gestion(2025, 4) == []


def test_an_inactive_establishment_is_not_charged(ctx, data):
    for annee, trimestre in ((2026, 2), (2026, 3), (2027, 2), (2025, 2)):
        references = " ".join(ligne.reference for ligne in service.lignes(annee, trimestre))
        assert data["x3"] not in references and data["y1"] not in references
    # Y's only habilitated site is inactive: its validated habilitation costs the instruction fee only.
    assert compte(service.releve(2026, 2), data["y"]).sites == 0


def test_statement_queries_do_not_grow_with_the_organisations(ctx, data):
    statements = []

    def count(*args):
        if not is_savepoint(args[2]):
            statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        service.releve(2026, 2)
        releve_queries = len(statements)
        list(service.lignes(2026, 2))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert releve_queries <= 5, statements
    assert len(statements) - releve_queries <= 5, statements


@pytest.mark.parametrize(
    "annee, trimestre, fields",
    [
        ("abc", 2, {"annee"}),
        (1999, 2, {"annee"}),
        (10**30, 2, {"annee"}),
        (str(10**30), 2, {"annee"}),
        ("", 2, {"annee"}),
        (-2026, 2, {"annee"}),
        (True, 2, {"annee"}),
        (2026.0, 2, {"annee"}),
        (datetime.date.today().year + 2, 1, {"annee"}),
        (2026, 5, {"trimestre"}),
        (2026, 0, {"trimestre"}),
        (2026, -1, {"trimestre"}),
        (2026, "", {"trimestre"}),
        (2026, "1.5", {"trimestre"}),
        (None, None, {"annee", "trimestre"}),
    ],
)
def test_bad_period_is_refused_in_french(ctx, annee, trimestre, fields):
    with pytest.raises(ValidationFailed) as exc:
        service.releve(annee, trimestre)
    assert set(exc.value.errors) == fields
    messages = {
        "annee": [f"L'année doit être un nombre entier entre 2020 et {datetime.date.today().year + 1}."],
        "trimestre": ["Le trimestre doit être un nombre entier entre 1 et 4."],
    }
    assert exc.value.errors == {field: messages[field] for field in fields}
    with pytest.raises(ValidationFailed):
        service.lignes(annee, trimestre)


# --- Page -----------------------------------------------------------------------------------------------
def test_statement_page(app, as_user, data):
    client = as_user("certifpro")
    response = client.get("/redevances/?annee=2026&trimestre=2")
    assert response.status_code == 200
    text = page_text(response)
    assert "Redevances — relevé trimestriel" in text and "2e trimestre (avril – juin) 2026" in text
    assert (
        "Organisme SIREN Demandes d'habilitation Sites habilités Certificats délivrés Total HT Nombre Montant "
        "Nombre Montant Nombre Montant"
    ) in text
    assert f"{NOM_X} {SIREN_X} 3 1 000,00 € 4 140,00 € 3 35,00 € 1 175,00 €" in text
    assert f"{NOM_Y} {SIREN_Y} 1 300,00 € 0 0,00 € 1 12,50 € 312,50 €" in text
    with app.app_context():
        t = service.releve(2026, 2).total
    assert (
        f"Total {t.demandes} {fr(t.montant_demandes)} {t.sites} {fr(t.montant_sites)} {t.certificats} "
        f"{fr(t.montant_certificats)} {fr(t.total)}"
    ) in text
    assert "Télécharger le relevé (.xlsx)" in text
    html = response.get_data(as_text=True)
    assert f"/redevances/organisme/{data['x']}?annee=2026&amp;trimestre=2" in html
    assert english_in(response) == []


def test_statement_page_defaults_to_the_current_quarter(as_user, data):
    annee, trimestre = service.trimestre_courant()
    text = page_text(as_user("certifpro").get("/redevances/"))
    assert service.libelle_trimestre(annee, trimestre).capitalize() in text


def test_organisation_detail_page(as_user, data):
    response = as_user("certifpro").get(f"/redevances/organisme/{data['x']}?annee=2026&trimestre=2")
    assert response.status_code == 200
    text = page_text(response)
    assert f"Redevances — {NOM_X}" in text and "Nombre total d'élément : 10" in text
    assert f"Frais d'instruction 02/04/2026 Demande n°{data['d1']} CléA 350,00 €" in text
    assert f"Frais d'instruction 30/06/2026 Demande n°{data['d3']} CléA numérique 300,00 €" in text
    assert f"Frais de gestion 10/05/2026 Site X1 (SIRET {data['x1']}) CléA 35,00 €" in text
    assert "Redevance par certificat délivré 30/06/2026 RDV-0002 CléA 12,50 €" in text
    assert "Total HT 1 175,00 €" in text
    assert "Télécharger le relevé de l'organisme (.xlsx)" in text
    assert english_in(response) == []
    empty = page_text(as_user("certifpro").get(f"/redevances/organisme/{data['x']}?annee=2023&trimestre=3"))
    assert "Aucune redevance pour ce trimestre." in empty and "Total HT 0,00 €" in empty


def _workbook(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return load_workbook(io.BytesIO(response.get_data()))


def _rows(sheet):
    return [[c.value for c in row] for row in sheet.iter_rows()]


def _check_workbook(workbook, data):
    assert workbook.sheetnames == ["Relevé", "Détail"]
    releve, detail = workbook["Relevé"], workbook["Détail"]
    rows = _rows(releve)
    assert rows[0] == RELEVE_HEADERS
    assert [NOM_X, SIREN_X, 3, 1000, 4, 140, 3, 35, 1175] in rows
    assert rows[-1][0] == "Total"
    x_row = next(r for r in releve.iter_rows(min_row=2) if r[0].value == NOM_X)
    assert "€" in x_row[3].number_format and "€" in x_row[8].number_format
    rows = _rows(detail)
    assert rows[0] == DETAIL_HEADERS
    labels = {
        "instruction": "Frais d'instruction",
        "gestion": "Frais de gestion",
        "certificat": "Redevance par certificat délivré",
    }
    certifications = {"clea": "CléA", "clea_numerique": "CléA numérique"}
    assert [r for r in rows if r[0] == NOM_X] == [
        [NOM_X, SIREN_X, labels[t], datetime.datetime.combine(d, datetime.time()), ref, certifications[c], float(m)]
        for t, d, ref, c, m in expected_lines_x_q2_2026(data)
    ]
    x_line = next(r for r in detail.iter_rows(min_row=2) if r[0].value == NOM_X)
    assert x_line[3].number_format == "DD/MM/YYYY" and "€" in x_line[6].number_format
    return rows


def test_statement_xlsx(as_user, data):
    workbook = _workbook(as_user("certifpro").get("/redevances/export?annee=2026&trimestre=2"))
    rows = _check_workbook(workbook, data)
    assert [r[0] for r in rows[1:]].count(NOM_Y) == 2


def test_organisation_xlsx(as_user, data):
    response = as_user("certifpro").get(f"/redevances/organisme/{data['x']}/export?annee=2026&trimestre=2")
    assert SIREN_X in response.headers["Content-Disposition"]
    workbook = _workbook(response)
    _check_workbook(workbook, data)
    assert _rows(workbook["Relevé"])[1:] == [
        [NOM_X, SIREN_X, 3, 1000, 4, 140, 3, 35, 1175],
        ["Total", None, 3, 1000, 4, 140, 3, 35, 1175],
    ]
    assert len(_rows(workbook["Détail"])) == 11


@pytest.mark.parametrize(
    "query, message",
    [
        ("annee=abc&trimestre=2", "L'année doit être un nombre entier entre 2020 et"),
        ("annee=1999&trimestre=2", "L'année doit être un nombre entier entre 2020 et"),
        (f"annee={10**30}&trimestre=2", "L'année doit être un nombre entier entre 2020 et"),
        ("annee=&trimestre=2", "L'année doit être un nombre entier entre 2020 et"),
        ("annee=2026&trimestre=5", "Le trimestre doit être un nombre entier entre 1 et 4."),
        ("annee=2026&trimestre=0", "Le trimestre doit être un nombre entier entre 1 et 4."),
        ("annee=2026&trimestre=-1", "Le trimestre doit être un nombre entier entre 1 et 4."),
    ],
)
def test_bad_period_on_the_pages(as_user, data, query, message):
    client = as_user("certifpro")
    for path in (
        "/redevances/",
        "/redevances/export",
        f"/redevances/organisme/{data['x']}",
        f"/redevances/organisme/{data['x']}/export",
    ):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 200, path
        text = page_text(response)
        assert message in text and "Corrigez la période demandée" in text, path
        assert english_in(response) == []


@pytest.mark.parametrize("pk", ["abc", str(10**30), "999999", "-1"])
def test_unknown_organisation_is_404(as_user, pk):
    assert as_user("certifpro").get(f"/redevances/organisme/{pk}?annee=2026&trimestre=2").status_code == 404


@pytest.mark.parametrize("login", OTHERS)
def test_only_certif_pro_sees_fees(as_user, api, data, login):
    client = as_user(login)
    for path in (
        "/redevances/?annee=2026&trimestre=2",
        "/redevances/export?annee=2026&trimestre=2",
        "/baremes/list/",
        "/baremes/add",
        "/administration/",
    ):
        assert client.get(path).status_code == 403, path
    # Organisation X is outside their perimeter: perimeter first (issue 11), 404 before the right is asked.
    for path in (f"/redevances/organisme/{data['x']}", f"/redevances/organisme/{data['x']}/export"):
        assert client.get(path).status_code == 404, path
    for path in ("/api/v1/redevances/?annee=2026&trimestre=2", "/api/v1/redevances/export"):
        response = api(login).get(path)
        assert response.status_code == 403, path
        assert response.get_json()["message"] == "Vous n'avez pas les droits nécessaires pour cette action."


def test_administration_links(as_user):
    text = page_text(as_user("certifpro").get("/administration/"))
    assert "Redevances" in text and "Barème des redevances" in text


# --- API ------------------------------------------------------------------------------------------------
def test_api_statement(api, data):
    response = api("certifpro").get("/api/v1/redevances/?annee=2026&trimestre=2")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["annee"], body["trimestre"], body["debut"], body["fin"]) == (2026, 2, "2026-04-01", "2026-06-30")
    x = next(o for o in body["organismes"] if o["organisme"] == data["x"])
    assert x == {
        "organisme": data["x"],
        "nom": NOM_X,
        "siren": SIREN_X,
        "demandes": 3,
        "montant_demandes": "1000.00",
        "sites": 4,
        "montant_sites": "140.00",
        "certificats": 3,
        "montant_certificats": "35.00",
        "total": "1175.00",
    }
    y = next(o for o in body["organismes"] if o["organisme"] == data["y"])
    assert (y["demandes"], y["sites"], y["certificats"], y["total"]) == (1, 0, 1, "312.50")
    assert Decimal(body["total"]) == sum(Decimal(o["total"]) for o in body["organismes"])


def test_api_export(api, data):
    _check_workbook(_workbook(api("certifpro").get("/api/v1/redevances/export?annee=2026&trimestre=2")), data)


@pytest.mark.parametrize(
    "query, field",
    [
        ("annee=abc&trimestre=2", "annee"),
        ("annee=1999&trimestre=2", "annee"),
        (f"annee={10**30}&trimestre=2", "annee"),
        ("annee=&trimestre=2", "annee"),
        ("annee=2026&trimestre=5", "trimestre"),
        ("annee=2026&trimestre=0", "trimestre"),
        ("annee=2026&trimestre=-1", "trimestre"),
        ("annee=2026&trimestre=deux", "trimestre"),
    ],
)
def test_api_bad_period_is_400_in_french(api, query, field):
    for path in ("/api/v1/redevances/", "/api/v1/redevances/export"):
        response = api("certifpro").get(f"{path}?{query}")
        assert response.status_code == 400, path
        message = response.get_json()["message"]
        assert message == {
            field: [
                "Le trimestre doit être un nombre entier entre 1 et 4."
                if field == "trimestre"
                else f"L'année doit être un nombre entier entre 2020 et {service.annee_max()}."
            ]
        }


def test_api_needs_a_token(client):
    for path in ("/api/v1/redevances/", "/api/v1/redevances/export"):
        response = client.get(path)
        assert response.status_code == 401
        assert response.get_json()["message"] == "Authentification requise."


# --- Barème ---------------------------------------------------------------------------------------------
def bareme_form(**overrides):
    form = {
        "certification": "clea_numerique",
        "annee": "2026",
        "frais_instruction": "320",
        "frais_gestion_site": "32,00",
        "redevance_certificat": "11",
    }
    form.update(overrides)
    return form


def test_bareme_list(as_user, data):
    response = as_user("certifpro").get("/baremes/list/")
    assert response.status_code == 200
    text = page_text(response)
    assert "Barème des redevances" in text and "Frais de gestion par site et par an (€ HT)" in text
    assert "CléA numérique 2020 300,00 € 30,00 € 10,00 €" in text and "CléA 2026 350,00 € 35,00 € 12,50 €" in text
    assert english_in(response) == []
    form = as_user("certifpro").get("/baremes/add")
    assert "Année d'application" in page_text(form) and "jusqu'au barème d'une année suivante" in page_text(form)
    assert english_in(form) == []


def test_certif_pro_edits_the_bareme_through_the_form(app, as_user, data):
    client = as_user("certifpro")
    try:
        response = client.post("/baremes/add", data=bareme_form())
        assert response.status_code == 302, page_text(response)
        with app.app_context():
            created = db.session.execute(
                select(BaremeRedevance).filter_by(certification="clea_numerique", annee=2026)
            ).scalar_one()
            assert (created.frais_instruction, created.frais_gestion_site) == (Decimal("320.00"), Decimal("32.00"))
            bareme_id = created.id
            # The numérique request (300 → 320) and certificate (10 → 11) of Q2 2026.
            x = compte(service.releve(2026, 2), data["x"])
            assert (x.montant_demandes, x.montant_certificats, x.total) == (
                Decimal("1020.00"),
                Decimal("36.00"),
                Decimal("1196.00"),
            )

        edit_page = client.get(f"/baremes/edit/{bareme_id}")
        assert 'value="11,00"' in edit_page.get_data(as_text=True) and english_in(edit_page) == []
        response = client.post(f"/baremes/edit/{bareme_id}", data=bareme_form(redevance_certificat="11,50"))
        assert response.status_code == 302
        with app.app_context():
            assert compte(service.releve(2026, 2), data["x"]).montant_certificats == Decimal("36.50")
        assert "36,50 €" in page_text(client.get("/redevances/?annee=2026&trimestre=2"))
        with app.app_context():  # the change is traced, with who made it and the old → new amount
            from app.models import AuditLog

            line = (
                db.session.execute(
                    select(AuditLog).where(
                        AuditLog.entity_type == "Barème des redevances",
                        AuditLog.entity_id == bareme_id,
                        AuditLog.action == "update",
                    )
                )
                .scalars()
                .one()
            )
            assert line.user_name and "redevance_certificat" in line.changes
            assert [str(v) for v in line.changes["redevance_certificat"]] == ["11.00", "11.50"]

        refused = {
            "redevance_certificat": ("-5", "Le montant doit être positif ou nul."),
            "frais_instruction": ("abc", "Saisissez un montant en euros, par exemple 30 ou 12,50."),
            "frais_gestion_site": ("1,234", "Le montant ne peut avoir que deux décimales (centimes)."),
            "annee": ("2019", "L'année d'application doit être un nombre entier entre 2020 et 2100."),
        }
        for field, (value, message) in refused.items():
            response = client.post(f"/baremes/edit/{bareme_id}", data=bareme_form(**{field: value}))
            assert response.status_code == 200 and message in page_text(response), field
            assert english_in(response) == []
        response = client.post("/baremes/add", data=bareme_form(certification="clea", frais_instruction="NaN"))
        text = page_text(response)
        assert "Un barème CléA existe déjà pour 2026 : modifiez-le plutôt." in text
        assert "Saisissez un montant en euros, par exemple 30 ou 12,50." in text
        with app.app_context():
            unchanged = db.session.get(BaremeRedevance, bareme_id)
            assert (unchanged.annee, unchanged.redevance_certificat) == (2026, Decimal("11.50"))
            assert db.session.execute(select(BaremeRedevance).filter_by(annee=2019)).first() is None
        # Never deleted: past statements were priced with it (the view has no delete route at all).
        assert client.get(f"/baremes/delete/{bareme_id}").status_code == 404
        assert client.post(f"/baremes/delete/{bareme_id}").status_code == 404
        with app.app_context():
            assert db.session.get(BaremeRedevance, bareme_id) is not None
    finally:
        with app.app_context():
            db.session.execute(
                delete(BaremeRedevance).where(
                    BaremeRedevance.certification == "clea_numerique", BaremeRedevance.annee == 2026
                )
            )
            db.session.commit()
    with app.app_context():
        assert figures(compte(service.releve(2026, 2), data["x"])) == X_Q2_2026
