"""Settings of the Plateforme CléA, read from the environment.

Without any variable the platform runs on an embedded SQLite file (instance/clea.db),
writes mails to the log and uses a development secret key.
"""

import os
import secrets

from flask_appbuilder.const import AUTH_DB

BASE_DIR = os.path.abspath(os.path.dirname(__file__))
INSTANCE_DIR = os.path.join(BASE_DIR, "instance")


def normalise_database_url(url: str) -> str:
    """SQLAlchemy 2.1 maps a bare postgresql:// URL to psycopg 3; our driver is psycopg2."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg2://" + url[len("postgresql://") :]
    return url


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "oui", "on"}


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    # Development default: one random key kept in instance/ so that sessions survive restarts.
    os.makedirs(INSTANCE_DIR, exist_ok=True)
    path = os.path.join(INSTANCE_DIR, "secret_key")
    if not os.path.exists(path):
        with open(path, "w") as handle:
            handle.write(secrets.token_hex(32))
    with open(path) as handle:
        return handle.read().strip()


def https_cookies(config) -> None:
    """Served over HTTPS (PUBLIC_URL in https://): the browser sends the session and remember cookies over
    HTTPS only (Secure). HttpOnly and SameSite stay as set below."""
    if str(config.get("PUBLIC_URL") or "").lower().startswith("https://"):
        config["SESSION_COOKIE_SECURE"] = True
        config["REMEMBER_COOKIE_SECURE"] = True


class Config:
    APP_NAME = "Plateforme CléA"
    APP_ICON = "/static/clea/logo.svg"
    SECRET_KEY = _secret_key()
    SQLALCHEMY_DATABASE_URI = normalise_database_url(
        os.environ.get("DATABASE_URL", "sqlite:///" + os.path.join(INSTANCE_DIR, "clea.db"))
    )
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    # hide_parameters: a database error (logged with its stack) never carries the values of the query — names,
    # birth dates… (donnees-personnelles.md §7: no personal data in logs or error reports).
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
    # PostgreSQL that does not answer (app/database.py): seconds to connect, and the longest statement (the server
    # cuts it; a server silent 2 s longer is taken for gone). 0: no limit (e.g. a migration on a huge table).
    DB_CONNECT_TIMEOUT = int(os.environ.get("DB_CONNECT_TIMEOUT", "5"))
    DB_STATEMENT_TIMEOUT = int(os.environ.get("DB_STATEMENT_TIMEOUT", "8"))
    # After a database failure, the next seconds answer the 503 page at once (then one request tries again).
    DB_PANNE_SECONDES = int(os.environ.get("DB_PANNE_SECONDES", "5"))

    # French only (quality.md): one locale, no switcher.
    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = "Europe/Paris"
    LANGUAGES = {"fr": {"flag": "fr", "name": "Français"}}
    BABEL_TRANSLATION_DIRECTORIES = os.path.join(BASE_DIR, "app", "translations")

    # Flask-AppBuilder
    AUTH_TYPE = AUTH_DB
    AUTH_ROLE_ADMIN = "Administrateur Certif Pro"
    AUTH_ROLE_PUBLIC = "Public"
    AUTH_USER_REGISTRATION = False
    FAB_SECURITY_MANAGER_CLASS = "app.security.manager.CleaSecurityManager"
    FAB_INDEX_VIEW = "app.views.dashboard.TableauDeBord"
    FAB_BASE_TEMPLATE = "clea/base.html"
    FAB_API_SWAGGER_UI = True
    FAB_API_MAX_PAGE_SIZE = 100
    FAB_ADD_SECURITY_VIEWS = False  # our own "Mes utilisateurs", "Mon profil" and password pages
    FAB_UPDATE_PERMS = True
    FAB_PASSWORD_HASH_METHOD = "scrypt"
    # Failed logins only are counted (app/security/connexions.py), per account and per address, web form and
    # API together, in the database (shared by every process); a successful login never counts.
    AUTH_RATE_LIMITED = True
    LOGIN_FAILURES_PER_ACCOUNT = os.environ.get("LOGIN_FAILURES_PER_ACCOUNT", "5 per 15 minutes")
    LOGIN_FAILURES_PER_ADDRESS = os.environ.get("LOGIN_FAILURES_PER_ADDRESS", "50 per 15 minutes")
    # Number of reverse proxies in front of the application (their X-Forwarded-For gives the client's address).
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    # Requests for a « Mot de passe oublié ? » link (each one sends a mail), by Flask-Limiter.
    AUTH_RATE_LIMIT = os.environ.get("AUTH_RATE_LIMIT", "10 per 20 second")
    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # The public « Vérification d'un certificat » page (/verifier/<code>): requests per address (Flask-Limiter).
    VERIFICATION_RATE_LIMIT = os.environ.get("VERIFICATION_RATE_LIMIT", "30 per minute")

    # Uploads: 4 Mo per document (checked by the service); anything far larger is cut off before reading.
    MAX_CONTENT_LENGTH = 5 * 1024 * 1024

    # Sessions and forms
    WTF_CSRF_ENABLED = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)  # forced on by an https PUBLIC_URL
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    JWT_ACCESS_TOKEN_EXPIRES = 3600

    # Mail (Flask-Mail). Without MAIL_SERVER, mails are written to the log.
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _env_bool("MAIL_USE_SSL")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_TIMEOUT = int(os.environ.get("MAIL_TIMEOUT", "10"))  # seconds
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Plateforme CléA <no-reply@certificat-clea.fr>")
    # Base URL written in mails (links to set a password).
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")

    # Single-use links (invitation, forgotten password)
    INVITATION_LINK_HOURS = int(os.environ.get("INVITATION_LINK_HOURS", "72"))
    RESET_LINK_HOURS = int(os.environ.get("RESET_LINK_HOURS", "2"))
    # National search (the magnifier): searches a user may run per minute (journaled, see RechercheNationale).
    RECHERCHE_PAR_MINUTE = int(os.environ.get("RECHERCHE_PAR_MINUTE", "30"))
    RECHERCHE_JOURNAL_JOURS = int(os.environ.get("RECHERCHE_JOURNAL_JOURS", "365"))

    # Mail retries: a growing delay (1, 2, 4… minutes, at most MAIL_DELAI_MAX_MINUTES) for MAIL_ESSAIS_JOURS days, then
    # ADMINISTRATION « Mails en échec » (Certif Pro sends it again).
    MAIL_ESSAIS_JOURS = int(os.environ.get("MAIL_ESSAIS_JOURS", "3"))
    MAIL_DELAI_MAX_MINUTES = int(os.environ.get("MAIL_DELAI_MAX_MINUTES", "60"))

    # Background work (app/tasks): Celery when a broker is configured (e.g. redis://127.0.0.1:6379/0); without one,
    # the same tasks run in a background thread of the web process (« embedded »: `python run.py` needs nothing else).
    CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL")
    TASKS_RUNNER = os.environ.get("TASKS_RUNNER") or ("celery" if CELERY_BROKER_URL else "embedded")
    CELERY_QUEUE = os.environ.get("CELERY_QUEUE", "clea")
    # An export whose worker wrote no heartbeat for this long is given to another worker.
    EXPORT_REPRISE_SECONDES = int(os.environ.get("EXPORT_REPRISE_SECONDES", "40"))
    # How often the periodic sweeps run: the outbox (mails due, retries) and the exports (lost workers).
    MAIL_BALAYAGE_SECONDES = int(os.environ.get("MAIL_BALAYAGE_SECONDES", "60"))
    EXPORT_BALAYAGE_SECONDES = int(os.environ.get("EXPORT_BALAYAGE_SECONDES", "20"))
    EMAIL_LINK_HOURS = int(os.environ.get("EMAIL_LINK_HOURS", "72"))  # confirmation of a new email address

    # GET /metrics (Prometheus): from these addresses (comma-separated), or with « Authorization: Bearer <token> ».
    METRICS_ADRESSES = os.environ.get("METRICS_ADRESSES", "127.0.0.1,::1")
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN")

    # The API's .xlsx exports up to this many rows are built in the request; bigger ones in the background (202).
    EXPORT_API_DIRECT_MAX = int(os.environ.get("EXPORT_API_DIRECT_MAX", "20000"))
    # STATS (issue 13): a perimeter's figures are computed at most once every STATS_CACHE_SECONDES (the page says
    # when); the cache is the process's memory, or Redis with CACHE_TYPE=RedisCache and CACHE_REDIS_URL.
    STATS_CACHE_SECONDES = int(os.environ.get("STATS_CACHE_SECONDES", "600"))
    CACHE_TYPE = os.environ.get("CACHE_TYPE", "SimpleCache")
    CACHE_REDIS_URL = os.environ.get("CACHE_REDIS_URL")
    CACHE_KEY_PREFIX = "clea:"
    # Personal data (donnees-personnelles.md). The consultation journal is written in batches every
    # CONSULTATIONS_ECRITURE_SECONDES (0: at the end of each request) or as soon as CONSULTATIONS_LOT entries wait.
    CONSULTATIONS_ECRITURE_SECONDES = float(os.environ.get("CONSULTATIONS_ECRITURE_SECONDES", "2"))
    CONSULTATIONS_LOT = int(os.environ.get("CONSULTATIONS_LOT", "500"))
    # The salt of the anonymised files' person key (a keyed hash: the national duplicate rule still finds the
    # person, nobody can recompute the key without it). Defaults to one derived from SECRET_KEY; set it once and
    # keep it: a new salt no longer finds the anonymised persons.
    CLE_PERSONNE_SEL = os.environ.get("CLE_PERSONNE_SEL")
    # The access ZIP of a person is built in the request up to this many bytes of documents, in the background beyond.
    DONNEES_ZIP_DIRECT_MAX = int(os.environ.get("DONNEES_ZIP_DIRECT_MAX", str(20 * 1024 * 1024)))
    # « Importer des candidats »: beyond this many rows the file is imported in the background, with its progress.
    IMPORT_DIRECT_LIGNES = int(os.environ.get("IMPORT_DIRECT_LIGNES", "100"))
    # Logs: plain text (`text`) or one JSON object per line (`json`), each with the request id (app/request_ids.py).
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")

    # Demo data loaded on an empty database by `python run.py`
    LOAD_DEMO_ON_EMPTY_DB = _env_bool("LOAD_DEMO_ON_EMPTY_DB", True)


class ProductionConfig(Config):
    """`CLEA_CONFIG=production`: the layout of the README's « Exploitation » — Celery and the rate limits on the
    local Redis unless told otherwise, no demo data."""

    CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
    TASKS_RUNNER = os.environ.get("TASKS_RUNNER", "celery")
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/1")
    CACHE_TYPE = os.environ.get("CACHE_TYPE", "RedisCache")
    CACHE_REDIS_URL = os.environ.get("CACHE_REDIS_URL", "redis://127.0.0.1:6379/2")
    LOAD_DEMO_ON_EMPTY_DB = _env_bool("LOAD_DEMO_ON_EMPTY_DB", False)


CONFIGS = {"default": "config.Config", "production": "config.ProductionConfig"}
