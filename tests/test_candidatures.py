"""« Proposer une candidature »: rules of guide §14 (service level; the UI comes with the candidate pages)."""

import datetime

import pytest
from flask import g
from sqlalchemy import select

from app.domain.errors import DomainError, Forbidden, ValidationFailed
from app.extensions import db
from app.models import AuditLog, Etablissement, Notification, Utilisateur
from app.services import candidatures
from tests.conftest import demo


def valeurs(etab_id, **overrides):
    data = {
        "etablissement": etab_id,
        "certification": "clea",
        "statut_inscription": "Demandeur d'emploi",
        "niveau_formation": "Niveau 3 – CAP, BEP (ancien niveau V)",
        "financeur_principal": "CPF",
        "civilite": "Madame",
        "nom_naissance": "Lefèbvre",
        "prenom": "Éloïse",
        "date_naissance": "1990-05-17",
        "ne_etranger": False,
        "ville_naissance": "Amiens",
        "code_postal_naissance": "80000",
        "email": "eloise@example.org",
    }
    data.update(overrides)
    return data


@pytest.fixture
def acting(ctx):
    def as_user(login):
        user = demo(Utilisateur, username=login)
        g.user = user
        return user

    return as_user


def etab(nom):
    return demo(Etablissement, nom=nom)


def test_create_gives_a_10_digit_number_the_first_status_and_an_audit_line(acting):
    user = acting("etab.user")
    c = candidatures.creer(user, valeurs(etab("Avenir Paris République").id))
    assert len(c.numero_dossier) == 10 and c.numero_dossier.isdigit()
    assert c.statut_label == "En attente d'évaluation préalable"
    assert c.organisme.nom == "Organisme A1 — Avenir Paris"
    line = db.session.execute(
        select(AuditLog).where(AuditLog.entity_type == "Candidature", AuditLog.entity_id == c.id)
    ).scalar_one()
    assert line.libelle == "Création de la candidature" and line.user_name == "Hugo Dubois"
    # Network A opted in: its administrator hears of it.
    admin = demo(Utilisateur, username="reseau.admin")
    assert db.session.execute(select(Notification.titre).where(Notification.user_id == admin.id)).scalars().all() == [
        "Nouvelle candidature"
    ]


def test_the_same_person_is_refused_nationally_whatever_the_accents(acting):
    acting("etab.user")
    first = candidatures.creer(
        g.user,
        valeurs(
            etab("Avenir Paris République").id, nom_naissance="Dupré", prenom="Jérôme", date_naissance="1985-02-03"
        ),
    )
    other = acting("etab2.user")
    with pytest.raises(DomainError) as refused:
        candidatures.creer(
            other,
            valeurs(
                etab("Compétences Méditerranée Marseille").id,
                nom_naissance="DUPRE",
                prenom="jerome",
                date_naissance="03/02/1985",
            ),
        )
    assert f"dossier n°{first.numero_dossier}" in refused.value.message
    assert "demande de rattachement" in refused.value.message
    # CléA numérique is another certification: allowed.
    numerique = candidatures.creer(
        other,
        valeurs(
            etab("Compétences Méditerranée Marseille").id,
            certification="clea_numerique",
            nom_naissance="DUPRE",
            prenom="jerome",
            date_naissance="03/02/1985",
        ),
    )
    assert numerique.id != first.id


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"statut_inscription": "Salarié"}, "branche", "Ce champ est obligatoire."),
        (
            {"statut_inscription": "Salarié", "branche": "Chaussures", "siren_employeur": "123456789"},
            "siren_employeur",
            "clé de contrôle",
        ),
        ({"ne_etranger": True, "code_postal_naissance": ""}, "pays_naissance", "Ce champ est obligatoire."),
        ({"code_postal_naissance": ""}, "code_postal_naissance", "Ce champ est obligatoire."),
        ({"code_postal_naissance": "8000"}, "code_postal_naissance", "5 chiffres"),
        (
            {"date_naissance": (datetime.date.today() + datetime.timedelta(days=3)).isoformat()},
            "date_naissance",
            "futur",
        ),
        ({"date_naissance": "1890-01-01"}, "date_naissance", "peu plausible"),
        ({"date_naissance": "31/02/2001"}, "date_naissance", "Date invalide"),
        ({"financeur_principal": "Mécène"}, "financeur_principal", "Valeur inconnue"),
        ({"nom_naissance": "x" * 10_000}, "nom_naissance", "ne doit pas dépasser 100 caractères"),
        ({"prenom": ["liste"]}, "prenom", "Valeur invalide."),
        (
            {
                "socle_contextualise": True,
                "statut_inscription": "Salarié",
                "branche": "Aucune",
                "siren_employeur": "732829320",
            },
            "socle_contextualise",
            "branche délégataire",
        ),
        ({"email": "pas-un-email"}, "email", "Adresse email invalide."),
    ],
)
def test_conditional_rules_answer_per_field_in_french(acting, overrides, field, message):
    user = acting("org.admin")
    with pytest.raises(ValidationFailed) as refused:
        candidatures.creer(user, valeurs(etab("Avenir Paris République").id, **overrides))
    assert any(message in m for m in refused.value.errors[field]), refused.value.errors


BRANCHE = "Commerce de détail et de gros à prédominance alimentaire"


def _habilitation_de_branche(etablissement, certification="clea"):
    """An active habilitation of `etablissement` granted by the demo branch (a socle contextualisé needs it)."""
    from app.domain.habilitations import date_fin
    from app.models import Certificateur, DemandeHabilitation

    debut = datetime.date.today() - datetime.timedelta(days=10)
    d = DemandeHabilitation(
        organisme_id=etablissement.organisme_id,
        certification=certification,
        type="initiale",
        date_demande=debut,
        etat="accordee",
        date_debut=debut,
        date_fin=date_fin(debut),
    )
    d.etablissements = [etablissement]
    d.certificateurs = [demo(Certificateur, nom=BRANCHE)]
    db.session.add(d)
    db.session.commit()


def test_employee_with_a_branch_keeps_its_employer_siren(acting):
    user = acting("org.admin")
    values = valeurs(
        etab("Avenir Paris République").id,
        nom_naissance="Salarie",
        statut_inscription="Salarié",
        branche=BRANCHE,
        siren_employeur="732 829 320",
        socle_contextualise=True,
    )
    # A socle contextualisé of a branch needs a habilitation granted by that branch (habilitation.md §4).
    with pytest.raises(ValidationFailed) as refused:
        candidatures.creer(user, values)
    assert refused.value.errors["socle_contextualise"] == [
        f"Un socle contextualisé de la branche « {BRANCHE} » suppose une habilitation CléA accordée par cette "
        "branche : l'établissement « Avenir Paris République » ne l'a pas."
    ]
    _habilitation_de_branche(etab("Avenir Paris République"))
    c = candidatures.creer(user, values)
    assert (c.branche, c.siren_employeur, c.socle_contextualise) == (BRANCHE, "732829320", True)
    # Without the socle, the establishment's own Certif Pro habilitation is enough.
    plain = candidatures.creer(user, {**values, "socle_contextualise": False, "nom_naissance": "Salariebis"})
    assert plain.socle_contextualise is False


def test_the_habilitation_is_checked_for_the_file_s_certification(acting):
    """A CléA-only establishment does not register a CléA numérique file (habilitation.md §4)."""
    user = acting("certifpro")
    lyon = etab("Indépendant Lyon")  # an active CléA habilitation, none for CléA numérique
    with pytest.raises(ValidationFailed) as refused:
        candidatures.creer(user, valeurs(lyon.id, certification="clea_numerique"))
    assert refused.value.errors["etablissement"] == [
        "L'établissement « Indépendant Lyon » n'a pas d'habilitation CléA numérique valide aujourd'hui."
    ]
    assert candidatures.creer(user, valeurs(lyon.id, certification="clea", nom_naissance="Clea")).id
    republique = etab("Avenir Paris République")  # habilitated for both
    assert candidatures.creer(user, valeurs(republique.id, certification="clea_numerique", nom_naissance="Num")).id


@pytest.mark.parametrize(
    "login, nom, message",
    [
        ("org.admin", "Avenir Paris Lille", "n'a pas d'habilitation CléA valide"),
        ("etab.user", "Compétences Méditerranée Marseille", "n'est pas dans votre périmètre"),
    ],
)
def test_the_establishment_must_be_in_the_perimeter_and_habilitated(acting, login, nom, message):
    user = acting(login)
    with pytest.raises(ValidationFailed) as refused:
        candidatures.creer(user, valeurs(etab(nom).id, nom_naissance="Perimetre"))
    assert message in refused.value.errors["etablissement"][0]


def test_profiles_without_create_on_evaluations_are_refused(acting):
    with pytest.raises(Forbidden):
        candidatures.creer(acting("reseau.superviseur"), valeurs(etab("Avenir Paris République").id))
