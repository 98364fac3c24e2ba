"""`GET /metrics` (issue 12): Prometheus metrics — requests by route and status, durations, the background work's
gauges — for the monitoring of this machine (or a token holder) only."""

import re

from app.extensions import db
from app.services import notifications


def test_metrics_count_requests_by_route_and_status_and_report_the_outbox(app, as_user, client):
    user = as_user("certifpro")
    for _ in range(3):
        assert user.get("/candidatures/show/1").status_code == 200
    assert user.get("/candidatures/show/999999").status_code == 404
    with app.app_context():
        notifications.queue_mail("metrique@exemple.fr", "Sujet", "Corps")
        db.session.commit()
    answer = client.get("/metrics")
    assert answer.status_code == 200 and answer.mimetype == "text/plain"
    text = answer.get_data(as_text=True)

    def value(pattern):
        found = re.search(pattern + r" ([0-9.e+]+)", text)
        assert found, pattern
        return float(found.group(1))

    route = r'route="/candidatures/show/<int:pk>"'
    assert value(r'clea_requetes_total\{methode="GET",' + route + r',statut="200"\}') >= 3
    assert value(r'clea_requetes_total\{methode="GET",' + route + r',statut="404"\}') >= 1
    assert value(r"clea_requete_duree_secondes_count\{" + route + r"\}") >= 4
    assert "/candidatures/show/1" not in text  # routes, never paths with their ids
    assert value(r"clea_mails_en_attente") >= 1
    assert value(r'clea_disponible\{element="base"\}') == 1


def test_metrics_only_for_the_configured_addresses_or_the_token(app, client, monkeypatch):
    outside = {"REMOTE_ADDR": "203.0.113.7"}
    assert client.get("/metrics", environ_base=outside).status_code == 404
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "jeton-de-supervision-assez-long")
    assert client.get("/metrics", environ_base=outside, headers={"Authorization": "Bearer faux"}).status_code == 404
    good = {"Authorization": "Bearer jeton-de-supervision-assez-long"}
    assert client.get("/metrics", environ_base=outside, headers=good).status_code == 200
    monkeypatch.setitem(app.config, "METRICS_ADRESSES", "198.51.100.1")
    assert client.get("/metrics").status_code == 404  # 127.0.0.1 is no longer listed
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "198.51.100.1"}).status_code == 200
