"""Postbag settings, read from the environment.

Nothing set gives a zero-setup local run: DEBUG on, SQLite and uploads under var/, a Celery
broker that needs no server, e-mail written to files. ``DJANGO_ENV=production`` turns the
safe production defaults on and refuses to start without the values it cannot guess.
A bad value stops start-up with one line that names the variable (see ``mpoffice.config``).
"""

from pathlib import Path

from celery.schedules import crontab

from mpoffice.config import Config, ConfigError

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

VAR_DIR.mkdir(exist_ok=True)  # the SQLite file, uploads and the no-server broker live here

config = Config(BASE_DIR / ".env")


def _seconds(name: str, *, default: int) -> int:
    """A duration in whole seconds, at least 1 (a zero timeout would re-deliver or re-claim at once)."""
    value = config.int(name, default=default)
    if value < 1:
        raise ConfigError(name, f"must be a whole number of seconds, at least 1, not {value}.")
    return value


DJANGO_ENV = config.choice("DJANGO_ENV", ("development", "production"), default="development")
PRODUCTION = DJANGO_ENV == "production"

DEBUG = config.bool("DEBUG", default=not PRODUCTION)
if PRODUCTION:
    SECRET_KEY = config.secret_key("SECRET_KEY")
    ALLOWED_HOSTS = config.hosts("ALLOWED_HOSTS", required=True)
else:
    SECRET_KEY = config.str("SECRET_KEY", default="django-insecure-local-development-only-never-in-production")
    ALLOWED_HOSTS = config.hosts("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = config.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "mpoffice",
    "geography",
    "casework",
    "inbound",
    "campaigns",
    "privacy",
    "letters",
    "briefings",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_htmx",
    "django_celery_beat",
    "axes",
    # Security and data protection (see the README).
    "auditlog",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Records who made each change (django-auditlog reads the signed-in user from here).
    "auditlog.middleware.AuditlogMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "mpoffice.middleware.CurrentOfficeMiddleware",
    # After the office is known: roles that need two-factor sign-in are sent to set it up.
    "mpoffice.twofactor.TwoFactorRequiredMiddleware",
    # Last, as its documentation asks, so that it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "mpoffice.urls"
WSGI_APPLICATION = "mpoffice.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mpoffice.context_processors.office",
                "mpoffice.context_processors.notifications",
            ],
        },
    },
]

DATABASES = {"default": config.database_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'postbag.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = config.int("CONN_MAX_AGE", default=60 if PRODUCTION else 0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; the timeout rides out short locks.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            # A transaction takes the write lock when it begins, not half-way through: a read
            # followed by a write (claiming outbox rows, bulk items) then waits its turn instead
            # of failing with "database is locked" when a worker wrote in between.
            "transaction_mode": "IMMEDIATE",
        }
    )
# Lets several test runs share one PostgreSQL server without dropping each other's database.
if test_db_name := config.str("DATABASE_TEST_NAME", default=""):
    DATABASES["default"]["TEST"] = {"NAME": test_db_name}
USING_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = config.redis_url("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): five failures for one user from one address lock that pair
# for fifteen minutes; the lockout page says what to do.
AXES_FAILURE_LIMIT = config.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_IPWARE_PROXY_COUNT = config.int("AXES_PROXY_COUNT", default=1 if PRODUCTION else 0)
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if PRODUCTION else ["REMOTE_ADDR"]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
# One date format and one date-and-time format everywhere (mpoffice/formats/en_GB/formats.py):
# with USE_I18N, a locale's format module wins over DATE_FORMAT and friends set here.
FORMAT_MODULE_PATH = ["mpoffice.formats"]

STATIC_URL = "static/"
# Files served at the site's root by WhiteNoise: /favicon.ico, which browsers ask for on their own.
WHITENOISE_ROOT = BASE_DIR / "mpoffice" / "root_files"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Uploads are never under the static root and are served only by views that check the office.
MEDIA_ROOT = config.path("MEDIA_ROOT", default=VAR_DIR / "media")
# No URL route serves this prefix (uploads go through office-checking views). It is set at all
# because Django's test live server cannot start with MEDIA_URL = None.
MEDIA_URL = "/media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 10_485_760
FILE_UPLOAD_PERMISSIONS = 0o640
ATTACHMENT_MAX_BYTES = config.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)  # per contact attachment

EMAIL = config.email_url("EMAIL_URL", default=f"filemail://{VAR_DIR / 'mail'}")
vars().update(EMAIL)
DEFAULT_FROM_EMAIL = config.str("DEFAULT_FROM_EMAIL", default="Postbag <postbag@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Letters sent by e-mail ask for replies at reply+<letter reference>@LETTER_REPLY_DOMAIN, so that
# an e-mailed reply can be matched to its letter on arrival.
LETTER_REPLY_DOMAIN = config.str("LETTER_REPLY_DOMAIN", default="replies.postbag.invalid")
LETTER_REPLY_MAX_BYTES = config.int("LETTER_REPLY_MAX_BYTES", default=10 * 1024 * 1024)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

SESSION_COOKIE_AGE = config.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
SESSION_SAVE_EVERY_REQUEST = True  # the age above is then an inactivity timeout
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content Security Policy (django-csp 4): scripts and styles only from our own static files,
# never inline, never eval. Charts are SVG images of their own (mpoffice.charts, with their
# own policy) and templates use classes, never style attributes (tests/security/test_csp.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Powerful browser features Postbag never uses are switched off for every page.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
}

# Two-factor sign-in (django-otp, TOTP with static recovery codes). The roles below must have
# a confirmed authenticator before they may use anything; other roles may add one.
OTP_REQUIRED_ROLES = ("mp", "staff")
OTP_TOTP_ISSUER = "Postbag"
OTP_RECOVERY_CODE_COUNT = 10

# Audit trail (django-auditlog): each app registers its own models (casework/audit.py,
# letters/audit.py), naming the fields to leave out there.
AUDITLOG_INCLUDE_ALL_MODELS = False

if PRODUCTION:
    SECURE_SSL_REDIRECT = config.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = config.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Celery. The database is the truth and the queue only a nudge: tasks are idempotent, acked
# late, and re-queued if a worker dies; periodic sweeps re-derive anything a lost message missed.
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
# Folder of the no-server broker; tests point a worker and the test process at a fresh one.
CELERY_BROKER_DIR = config.path("CELERY_BROKER_DIR", default=VAR_DIR / "celery")
if not REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        # Kombu's default is "control" in the current directory: keep the exchange table under var/ too.
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    # How long Redis waits for a worker to acknowledge a message before delivering it again
    # (the worker died with it). Longer than any countdown or ETA the project uses, so Redis
    # never re-delivers a task that is merely waiting for its time; tests shorten it.
    CELERY_VISIBILITY_TIMEOUT_SECONDS = _seconds("CELERY_VISIBILITY_TIMEOUT_SECONDS", default=2 * 60 * 60)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": CELERY_VISIBILITY_TIMEOUT_SECONDS,
        # How often a worker looks for messages past the timeout (Kombu's default scans about
        # every 100 s): a quarter of the timeout, at most a minute, one cheap Redis query.
        "unacked_restore_interval": min(60, max(1, CELERY_VISIBILITY_TIMEOUT_SECONDS // 4)),
        "unacked_restore_throttle": 1,
    }
# One Redis can serve several deployments (or test runs) when each uses its own queue.
CELERY_TASK_DEFAULT_QUEUE = config.str("CELERY_QUEUE", default="celery")
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 5 * 60
CELERY_TASK_TIME_LIMIT = 6 * 60
CELERY_WORKER_MAX_MEMORY_PER_CHILD = 400_000  # KiB: a leaking child is replaced, not the box
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "mpoffice.tasks.heartbeat", "schedule": 60.0, "options": {"expires": 55}},
    # Lists closed cases past their office's retention period for staff to review (idempotent).
    "retention-sweep": {"task": "casework.tasks.retention_sweep", "schedule": 6 * 60 * 60.0},
    # Sweeps derive what is due from the database; running one twice (two beats, a re-delivered
    # message) raises nothing twice, and a missed run is caught up by the next.
    "reminders-replies-overdue": {
        "task": "letters.tasks.reminders_replies_overdue",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "reminders-casework": {"task": "letters.tasks.reminders_casework", "schedule": 300.0, "options": {"expires": 290}},
    "reminders-approvals": {
        "task": "letters.tasks.reminders_approvals",
        "schedule": 900.0,
        "options": {"expires": 890},
    },
    "notifications-email": {"task": "mpoffice.tasks.notifications_email", "schedule": 60.0, "options": {"expires": 55}},
    "notifications-digest": {"task": "mpoffice.tasks.notifications_digest", "schedule": crontab(hour=7, minute=0)},
    # Monday 08:00 in CELERY_TIMEZONE (Europe/London): 08:00 BST in summer, 08:00 GMT in winter.
    # The task is in briefings/tasks.py; its registered name has not changed.
    "weekly-summary": {"task": "mpoffice.tasks.weekly_summary", "schedule": crontab(day_of_week=1, hour=8, minute=0)},
    "bulk-resume": {"task": "letters.tasks.bulk_resume_stalled", "schedule": 60.0, "options": {"expires": 55}},
    # Recovery sweeps: every state that waits on a message is found again from the database.
    "letter-emails": {"task": "letters.tasks.letter_emails_sweep", "schedule": 60.0, "options": {"expires": 55}},
    "casework-jobs-recover": {"task": "casework.tasks.jobs_recover", "schedule": 60.0, "options": {"expires": 55}},
    "subject-access-expire": {"task": "casework.tasks.subject_access_expire", "schedule": crontab(hour=3, minute=30)},
    # Reads every office mailbox that is due (a failing one waits out its back-off).
    "mailboxes-poll": {"task": "inbound.tasks.mailboxes_poll", "schedule": 60.0, "options": {"expires": 55}},
}
# Reminders and notifications.
# Where people reach Postbag: links in e-mails start with it.
SITE_URL = config.str("SITE_URL", default="http://127.0.0.1:8000")
APPROVAL_REMINDER_WORKING_DAYS = config.int("APPROVAL_REMINDER_WORKING_DAYS", default=3)
# An e-mail (notification, letter, bulk letter) claimed this long ago by a worker that never
# finished is sent again (mpoffice.outbox).
EMAIL_CLAIM_TIMEOUT_SECONDS = _seconds("EMAIL_CLAIM_TIMEOUT_SECONDS", default=600)
# A job (CSV import check or save, subject-access export) queued or claimed this long ago and
# still unfinished is queued again by its recovery sweep: longer than any job's hard time limit
# (21 minutes), so that a live worker is not overtaken.
JOB_CLAIM_TIMEOUT_SECONDS = _seconds("JOB_CLAIM_TIMEOUT_SECONDS", default=30 * 60)
# The office mailboxes (IMAP, Microsoft 365). Their passwords and client secrets are stored
# encrypted with this Fernet key; when it is not set, a key derived from SECRET_KEY is used
# (so rotating SECRET_KEY then means entering the mailbox passwords again).
MAILBOX_SECRET_KEY = config.fernet_key("MAILBOX_SECRET_KEY")
# How long one network operation with a mail server may take, and the longest back-off after
# repeated failures (it doubles from one minute).
MAILBOX_TIMEOUT_SECONDS = config.int("MAILBOX_TIMEOUT_SECONDS", default=30)
MAILBOX_MAX_BACKOFF_SECONDS = config.int("MAILBOX_MAX_BACKOFF_SECONDS", default=60 * 60)
# A poll claimed this long ago by a worker that never finished (killed) is taken over.
MAILBOX_CLAIM_TIMEOUT_SECONDS = config.int("MAILBOX_CLAIM_TIMEOUT_SECONDS", default=10 * 60)
# Certificates (PEM) to trust for mail servers besides the system's, e.g. an office's own CA.
MAILBOX_CA_FILE = config.str("MAILBOX_CA_FILE", default="")
# Microsoft 365: where to sign in and the Graph API (a national cloud has its own hosts).
MAILBOX_GRAPH_LOGIN_URL = config.str("MAILBOX_GRAPH_LOGIN_URL", default="https://login.microsoftonline.com")
MAILBOX_GRAPH_API_URL = config.str("MAILBOX_GRAPH_API_URL", default="https://graph.microsoft.com/v1.0")
# Messages fetched per IMAP round trip.
MAILBOX_FETCH_BATCH = config.int("MAILBOX_FETCH_BATCH", default=50)
# Bulk replies: letters per chunk task, and how long a run may make no progress before the
# resume sweep queues it again (a worker died in the middle of a chunk).
BULK_CHUNK_SIZE = config.int("BULK_CHUNK_SIZE", default=25)
BULK_STALL_SECONDS = config.int("BULK_STALL_SECONDS", default=120)
# How stale a heartbeat may be before /healthz calls the worker or beat down.
HEARTBEAT_MAX_AGE_SECONDS = config.int("HEARTBEAT_MAX_AGE_SECONDS", default=180)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"client_errors_without_traceback": {"()": "mpoffice.logs.ClientErrorsWithoutTraceback"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["client_errors_without_traceback"],
        }
    },
    "root": {"handlers": ["console"], "level": config.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django gives its own logger a console handler too; records then reach the root's as
        # well and every line ("Watching for file changes", each 403) was printed twice.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "INFO"},
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
