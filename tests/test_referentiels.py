"""Référentiels and lists of values are data, seeded by a migration and edited by Certif Pro."""

from sqlalchemy import func, select

from app.extensions import db
from app.models import Domaine, Referentiel, SousDomaine, ValeurListe
from tests.conftest import page_text


def sous_domaines(certification):
    return (
        db.session.execute(
            select(SousDomaine.code)
            .join(Domaine)
            .join(Referentiel)
            .where(Referentiel.certification == certification)
            .order_by(SousDomaine.id)
        )
        .scalars()
        .all()
    )


def test_clea_has_7_domains_and_28_sub_domains(ctx):
    codes = sous_domaines("clea")
    assert len(codes) == 28 and codes[0] == "1.1" and codes[-1] == "7.4"
    assert (
        db.session.scalar(select(func.count(Domaine.id)).join(Referentiel).where(Referentiel.certification == "clea"))
        == 7
    )


def test_clea_numerique_has_4_competences_and_10_sub_competences(ctx):
    assert len(sous_domaines("clea_numerique")) == 10


def test_lists_of_values_are_seeded(ctx):
    financeurs = (
        db.session.execute(
            select(ValeurListe.libelle).where(ValeurListe.liste == "financeur").order_by(ValeurListe.ordre)
        )
        .scalars()
        .all()
    )
    assert financeurs[0] == "CPF" and len(financeurs) == 12


def test_certif_pro_edits_a_list_and_others_cannot(app, as_user):
    response = as_user("certifpro").post(
        "/listes/add", data={"liste": "financeur", "libelle": "Pôle de compétences", "ordre": 13, "actif": "y"}
    )
    assert response.status_code == 302
    with app.app_context():
        assert (
            db.session.execute(select(ValeurListe).where(ValeurListe.libelle == "Pôle de compétences"))
            .scalar_one()
            .liste
            == "financeur"
        )
    assert as_user("reseau.admin").get("/listes/list/").status_code == 403
    assert as_user("reseau.admin").post("/listes/add", data={"liste": "financeur", "libelle": "X"}).status_code == 403
    with app.app_context():  # seeded data outlives the module: put it back
        db.session.execute(ValeurListe.__table__.delete().where(ValeurListe.libelle == "Pôle de compétences"))
        db.session.commit()


def test_certif_pro_corrects_a_sub_domain_wording(app, as_user):
    with app.app_context():
        pk = db.session.execute(select(SousDomaine.id).where(SousDomaine.code == "4.4")).scalars().first()
    client = as_user("certifpro")
    assert "Communiquer" in page_text(client.get("/sous-domaines/list/?_flt_0_code=4.4"))
    client.post(f"/sous-domaines/edit/{pk}", data={"libelle": "Communiquer avec l'équipe"})
    with app.app_context():
        sous_domaine = db.session.get(SousDomaine, pk)
        assert sous_domaine.libelle == "Communiquer avec l'équipe"
        sous_domaine.libelle = "Communiquer"
        db.session.commit()
