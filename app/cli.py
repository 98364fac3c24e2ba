"""`flask --app run clea …`: init (roles), demo data, daily job, mail outbox."""

import click
from flask.cli import with_appcontext

from app.extensions import db


@click.group(help="Commandes de la Plateforme CléA.")
def clea():
    pass


@clea.command("init", help="Crée ou met à jour les rôles et permissions à partir de la matrice des droits.")
@with_appcontext
def init_command():
    from app.security.roles import sync_roles

    sync_roles()
    click.echo("Rôles et permissions à jour.")


@clea.command("demo", help="Charge les données de démonstration (sans effet si elles sont déjà là).")
@with_appcontext
def demo_command():
    from app.demo import load_demo
    from app.security.roles import sync_roles

    sync_roles()
    created = load_demo()
    click.echo(f"Données de démonstration chargées ({created} éléments créés).")


@clea.command(
    "daily",
    help="Tâches quotidiennes (planifiées par celery beat ; à la main en secours) : abandon automatique des "
    "dossiers (évaluation préalable de plus de 5 ans), rappels de renouvellement des habilitations (90 et 30 jours "
    "avant leur fin), suppression des exports de plus de 7 jours et du journal des recherches échu, puis envoi des "
    "mails en attente.",
)
@with_appcontext
def daily_command():
    from app.services.notifications import send_pending
    from app.services.quotidien import compte_rendu, travaux_quotidiens

    for line in compte_rendu(travaux_quotidiens()):
        click.echo(line)
    result = send_pending(limit=1000)
    click.echo(f"{result['envoyes']} mail(s) envoyé(s), {result['en_echec']} en échec.")


@clea.command(
    "purge",
    help="Applique les durées de conservation des données personnelles (aussi faite chaque nuit) : anonymise les "
    "dossiers non certifiés ou abandonnés trop anciens, supprime les documents des dossiers certifiés anciens et le "
    "journal des consultations échu. --dry-run : liste ce qui serait fait, sans rien modifier.",
)
@click.option("--dry-run", is_flag=True, help="Lister sans rien modifier.")
@with_appcontext
def purge_command(dry_run):
    from app.services.donnees_personnelles import purge

    for line in purge(dry_run=dry_run).lignes(fait=not dry_run):
        click.echo(line)


@clea.command(
    "exports",
    help="Prépare ici les exports .xlsx en attente, y compris ceux dont le worker s'est arrêté "
    "(en secours, sans worker Celery).",
)
@with_appcontext
def exports_command():
    from app.services.exports import preparer_en_attente

    click.echo(f"{preparer_en_attente()} export(s) préparé(s).")


@clea.command(
    "bench-data",
    help="Remplit la base configurée d'un jeu de données à l'échelle nationale pour le banc d'essai (bench/) : "
    "réseaux, organismes, établissements, dossiers, évaluations, formations, jurys, notifications, journal. "
    "Charge d'abord les données de démonstration. Refuse une base qui contient d'autres dossiers, sauf --force.",
)
@click.option("--fichiers", type=click.IntRange(min=1), default=100_000, show_default=True, help="Nombre de dossiers.")
@click.option("--force", is_flag=True, help="Accepter une base qui contient déjà des dossiers non générés.")
@with_appcontext
def bench_data_command(fichiers, force):
    import time

    from app.bench_data import DonneesReelles, generer
    from app.demo import load_demo
    from app.security.roles import sync_roles

    started = time.monotonic()
    sync_roles()
    load_demo()
    try:
        generer(fichiers, force=force, echo=click.echo)
    except DonneesReelles as refused:
        raise click.ClickException(str(refused)) from None
    click.echo(f"Jeu de données prêt en {time.monotonic() - started:.0f} s.")


@clea.command("mails", help="Envoie les mails en attente (avec nouvelles tentatives).")
@with_appcontext
def mails_command():
    from app.services.notifications import send_pending

    result = send_pending(limit=1000)
    click.echo(f"{result['envoyes']} mail(s) envoyé(s), {result['en_echec']} en échec.")


def database_is_empty() -> bool:
    from sqlalchemy import inspect

    return (
        "ab_user" not in inspect(db.engine).get_table_names()
        or db.session.execute(db.text("SELECT COUNT(*) FROM ab_user")).scalar() == 0
    )
