"""Input shape (app/schemas.py): one marshmallow schema per input, French messages, lengths from the models."""

import datetime

import pytest

from app.domain.errors import ValidationFailed
from app.schemas import Day, Flag, Input, Text, shape_errors, text_fields


class Exemple(Input):
    nom = Text(max_length=5)
    jour = Day()
    actif = Flag()


def test_a_schema_loads_stripped_text_days_and_flags():
    assert Exemple().load({"nom": "  Léa ", "jour": "31/12/2026", "actif": "oui", "inconnu": 1}) == {
        "nom": "Léa",
        "jour": datetime.date(2026, 12, 31),
        "actif": True,
    }
    assert Exemple().load({"jour": "2026-12-31"}) == {"nom": None, "jour": datetime.date(2026, 12, 31), "actif": False}


def test_refusals_are_french_and_by_field():
    with pytest.raises(ValidationFailed) as refused:
        Exemple().load({"nom": "Beaucoup trop long", "jour": "31/02/2026"})
    assert refused.value.errors == {
        "nom": ["Ce champ ne doit pas dépasser 5 caractères."],
        "jour": ["Date invalide (jj/mm/aaaa)."],
    }
    assert shape_errors(Exemple(), {"nom": ["liste"]}) == {"nom": ["Une chaîne de caractères est attendue."]}


def test_lengths_come_from_the_models_columns(app):
    from app.models import Candidature

    fields = text_fields(Candidature, ["nom_naissance"])
    schema = Input.from_dict(fields)()
    assert shape_errors(schema, {"nom_naissance": "x" * 101}) == {
        "nom_naissance": ["Ce champ ne doit pas dépasser 100 caractères."]
    }
    assert shape_errors(schema, {"nom_naissance": "x" * 100}) == {}


def test_event_bodies_are_shaped_by_their_schema(app, api):
    """The jury's decision: a message that is not a text is refused by the shape, before any rule."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Candidature

    with app.app_context():
        pk = (
            db.session.execute(select(Candidature.id).where(Candidature.statut == "attente_certification"))
            .scalars()
            .first()
        )
    answer = api("certif.idf").post(
        f"/api/v1/candidature/{pk}/decision", json={"decision": "certifiee", "commentaire": 12}
    )
    assert answer.status_code == 422
    assert answer.get_json() == {"message": {"commentaire": ["Une chaîne de caractères est attendue."]}}
    too_long = api("certif.idf").post(
        f"/api/v1/candidature/{pk}/decision", json={"decision": "complement", "commentaire": "x" * 5001}
    )
    assert too_long.get_json() == {"message": {"commentaire": ["Le message ne doit pas dépasser 5000 caractères."]}}


def test_whole_numbers_and_id_lists():
    from app.schemas import Ids, Whole

    schema = Input.from_dict({"annee": Whole(2020, lambda: 2030, invalid="Année ?"), "ids": Ids()})()
    assert schema.load({"annee": " 2026 ", "ids": "7"}) == {"annee": 2026, "ids": [7]}
    for bad in (True, 2019, "2031", "20.5", "-2026", None, 2026.0):
        assert shape_errors(schema, {"annee": bad, "ids": []}) == {"annee": ["Année ?"]}, bad
    assert shape_errors(schema, {"annee": 2026, "ids": {"id": 1}}) == {
        "ids": ["Une liste d'identifiants est attendue."]
    }
    assert shape_errors(schema, {"annee": 2026, "ids": [1, True]}) == {"ids": ["Identifiant invalide."]}
    assert shape_errors(schema, {"annee": 2026, "ids": [10**20]}) == {"ids": ["Identifiant invalide."]}
