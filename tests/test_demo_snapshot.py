"""The tests' own machinery (tests/conftest.py): after a committing test the demo is restored from the snapshot taken
when it was first loaded — every table's rows, the counters the trigger keeps and the next identities as they were."""

import pytest
from sqlalchemy import text

from app.extensions import db
from app.models import Reseau


def _new_network(name):
    network = Reseau(nom=name, responsable_nom="Passage", responsable_prenom="Test", responsable_email="p@exemple.fr")
    db.session.add(network)
    db.session.commit()
    return network.id


def _state(snapshot):
    """Every restored table's rows (in a stable order), and on PostgreSQL the tables' sequences."""
    state = {}
    with db.engine.connect() as conn:
        for name in snapshot.tables:
            rows = conn.exec_driver_sql(f'SELECT * FROM "{name}"').fetchall()
            state[name] = sorted(repr(tuple(bytes(v) if isinstance(v, memoryview) else v for v in r)) for r in rows)
        for sequence, *_ in snapshot.sequences:
            state[sequence] = tuple(conn.exec_driver_sql(f'SELECT last_value, is_called FROM "{sequence}"').one())
    return state


def _demo(snapshot, now):
    """The demo as the snapshot holds it: the rows as now (every earlier test was rolled back or restored) and
    the sequences as they were once the demo was loaded (a rolled-back transaction does not give back the
    identities it drew on PostgreSQL: they may have moved on since)."""
    return {**now, **{sequence: (last_value, is_called) for sequence, last_value, is_called in snapshot.sequences}}


@pytest.mark.committing
def test_the_snapshot_undoes_a_committing_test_s_changes(app):
    import conftest  # the module pytest loaded (tests/ is not a package): its _State is the session's

    snapshot = conftest._State.snapshot
    with app.app_context():
        demo = _demo(snapshot, _state(snapshot))
        assert demo["candidature"] and demo["ab_user"] and demo["compteur_candidature"]
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM resultat_evaluation"))
            conn.execute(
                text("UPDATE candidature SET statut = 'abandon' WHERE id IN (SELECT MIN(id) FROM candidature)")
            )
            conn.execute(text("UPDATE ab_user SET first_name = 'Changé'"))
        _new_network("Réseau de passage")
        db.session.remove()
        assert _state(snapshot) != demo
        snapshot.restore(db)
        assert _state(snapshot) == demo
        # The next identity is the one the demo would hand out.
        assert _new_network("Réseau suivant") == 1 + max(int(r.split(",")[0].strip("(")) for r in demo["reseau"])
        db.session.remove()
