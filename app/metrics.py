"""`GET /metrics` (Prometheus text format): requests by route and status, their durations, and the background work's
gauges (queue depth, outbox, exports). Reachable only from METRICS_ADRESSES (default: this machine) or with
`Authorization: Bearer <METRICS_TOKEN>`; anyone else gets the 404 of a page that does not exist.

Routes are labelled by their rule (`/candidatures/show/<int:pk>`), never by the raw path: the label set stays small
and no id appears. With several gunicorn workers, set PROMETHEUS_MULTIPROC_DIR (an empty directory, cleared at
start) so that every worker's counts are summed (prometheus_client's multiprocess mode)."""

from __future__ import annotations

import hmac
import os
import time

from flask import Response, abort, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily

REQUESTS = Counter(
    "clea_requetes", "Requêtes HTTP par route, méthode et statut", ["route", "methode", "statut"], registry=None
)
DURATIONS = Histogram(
    "clea_requete_duree_secondes",
    "Durée des requêtes HTTP par route",
    ["route"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=None,
)


class BackgroundWork:
    """Gauges read at each scrape (counts on indexed columns, the broker's queue length)."""

    def collect(self):
        from app.services import sante

        report, _ok = sante.etat()
        up = GaugeMetricFamily("clea_disponible", "1 quand l'élément répond", labels=["element"])
        up.add_metric(["base"], 1 if report.get("base") == sante.OK else 0)
        up.add_metric(["file_attente"], 0 if report.get("file_attente") == sante.PANNE else 1)
        yield up
        for key, name, text in (
            ("mails_en_attente", "clea_mails_en_attente", "Mails en file d'envoi"),
            ("mails_en_echec", "clea_mails_en_echec", "Mails en échec (ADMINISTRATION)"),
            ("exports_en_cours", "clea_exports_en_cours", "Exports en attente ou en préparation"),
            ("taches_en_file", "clea_taches_en_file", "Tâches dans la file Celery"),
        ):
            if report.get(key) is not None:
                yield GaugeMetricFamily(name, text, value=report[key])


def _allowed(app) -> bool:
    token = app.config.get("METRICS_TOKEN")
    given = request.headers.get("Authorization", "")
    if token and given.startswith("Bearer ") and hmac.compare_digest(given[7:].encode(), token.encode()):
        return True
    allowed = {a.strip() for a in (app.config.get("METRICS_ADRESSES") or "").split(",") if a.strip()}
    return request.remote_addr in allowed


def install(app) -> None:
    @app.before_request
    def _started():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response):
        route = request.url_rule.rule if request.url_rule is not None else "(aucune route)"
        REQUESTS.labels(route, request.method, str(response.status_code)).inc()
        started = g.get("metrics_started")
        if started is not None:
            DURATIONS.labels(route).observe(time.perf_counter() - started)
        return response

    @app.route("/metrics")
    def metrics():
        if not _allowed(app):
            abort(404)
        registry = CollectorRegistry()
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            multiprocess.MultiProcessCollector(registry)
        else:
            registry.register(REQUESTS)
            registry.register(DURATIONS)
        registry.register(BackgroundWork())
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
