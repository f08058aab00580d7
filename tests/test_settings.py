"""Settings read from the environment, tested as an operator meets them: by starting manage.py.

Each test runs a fresh ``manage.py`` process with a controlled environment, because settings
are read once at start-up and a bad value must stop that start-up with one readable line.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent
GOOD_SECRET = "k3Jx9-qPz7_Lm2vRt8Wn4yBc6Hd1Fg5Ks0Ue9Ia3Oj7Zx2Qw-Ny8Mv4Pb6Tr1Lh5"
PRODUCTION = {"DJANGO_ENV": "production", "SECRET_KEY": GOOD_SECRET, "ALLOWED_HOSTS": "postbag.example.org"}

# Printed by the child process, so that tests read settings as start-up really computed them.
SHOW_SETTINGS = """
import json
from django.conf import settings as s
db = s.DATABASES["default"]
print(json.dumps({
    "DEBUG": s.DEBUG,
    "ENGINE": db["ENGINE"], "NAME": str(db["NAME"]), "HOST": db.get("HOST"), "PORT": db.get("PORT"),
    "BROKER": s.CELERY_BROKER_URL, "BROKER_OPTIONS": s.CELERY_BROKER_TRANSPORT_OPTIONS,
    "CACHE": s.CACHES["default"]["BACKEND"], "CACHE_LOCATION": s.CACHES["default"].get("LOCATION"),
    "EMAIL_BACKEND": s.EMAIL_BACKEND, "MEDIA_ROOT": str(s.MEDIA_ROOT),
    "SECURE_SSL_REDIRECT": s.SECURE_SSL_REDIRECT, "SESSION_COOKIE_SECURE": s.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": s.CSRF_COOKIE_SECURE, "SECURE_HSTS_SECONDS": s.SECURE_HSTS_SECONDS,
}))
"""


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # Only what a bare shell has: nothing from the developer's or CI's own configuration leaks in.
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "SYSTEMROOT") if key in os.environ}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_DIR,
        env={**base, "PYTHONDONTWRITEBYTECODE": "1", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_seen_with(**env: str) -> dict:
    result = manage("shell", "--no-startup", "-c", SHOW_SETTINGS, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_nothing_set_gives_a_local_setup_with_no_servers():
    seen = settings_seen_with()

    assert seen["DEBUG"] is True
    assert seen["ENGINE"] == "django.db.backends.sqlite3"
    assert Path(seen["NAME"]) == PROJECT_DIR / "var" / "postbag.sqlite3"
    assert seen["BROKER"] == "filesystem://"
    for folder in seen["BROKER_OPTIONS"].values():
        if isinstance(folder, str):
            assert Path(folder).is_relative_to(PROJECT_DIR / "var"), folder
    assert Path(seen["MEDIA_ROOT"]).is_relative_to(PROJECT_DIR / "var")
    assert seen["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend"
    assert seen["CACHE"] == "django.core.cache.backends.locmem.LocMemCache"
    assert seen["SECURE_SSL_REDIRECT"] is False


def test_database_url_selects_postgresql():
    seen = settings_seen_with(DATABASE_URL="postgres://postbag:secret@db.example.org:5433/postbag")

    assert seen["ENGINE"] == "django.db.backends.postgresql"
    assert (seen["HOST"], seen["PORT"], seen["NAME"]) == ("db.example.org", 5433, "postbag")


def test_redis_url_selects_redis_for_the_broker_and_the_cache():
    seen = settings_seen_with(REDIS_URL="redis://cache.example.org:6380/2")

    assert seen["BROKER"] == "redis://cache.example.org:6380/2"
    assert seen["CACHE"] == "django.core.cache.backends.redis.RedisCache"
    assert seen["CACHE_LOCATION"] == "redis://cache.example.org:6380/2"
    # Longer than any countdown, or Redis re-delivers tasks that are only waiting for their time.
    assert seen["BROKER_OPTIONS"]["visibility_timeout"] >= 3600


def test_production_turns_on_secure_cookies_hsts_and_https():
    seen = settings_seen_with(**PRODUCTION)

    assert seen["DEBUG"] is False
    assert seen["SECURE_SSL_REDIRECT"] is True
    assert seen["SESSION_COOKIE_SECURE"] is True
    assert seen["CSRF_COOKIE_SECURE"] is True
    assert seen["SECURE_HSTS_SECONDS"] >= 31_536_000


def test_production_settings_pass_the_deployment_checks_without_a_warning():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        pytest.param(
            {"DJANGO_ENV": "production", "ALLOWED_HOSTS": "postbag.example.org"}, "SECRET_KEY", id="no-secret"
        ),
        pytest.param({**PRODUCTION, "SECRET_KEY": "short"}, "SECRET_KEY", id="weak-secret"),
        pytest.param(
            {**PRODUCTION, "SECRET_KEY": "django-insecure-" + GOOD_SECRET}, "SECRET_KEY", id="insecure-secret"
        ),
        pytest.param({"DJANGO_ENV": "production", "SECRET_KEY": GOOD_SECRET}, "ALLOWED_HOSTS", id="no-hosts"),
        pytest.param({**PRODUCTION, "ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS", id="wildcard-host"),
        pytest.param({"DATABASE_URL": "nonsense"}, "DATABASE_URL", id="db-nonsense"),
        pytest.param({"DATABASE_URL": "mysql://x"}, "DATABASE_URL", id="db-mysql"),
        pytest.param({"DATABASE_URL": "postgres://db.example.org:5432"}, "DATABASE_URL", id="db-no-name"),
        pytest.param({"REDIS_URL": "http://x"}, "REDIS_URL", id="redis-http"),
        pytest.param({"REDIS_URL": "redis://host:notaport"}, "REDIS_URL", id="redis-bad-port"),
        pytest.param({"DJANGO_ENV": "staging"}, "DJANGO_ENV", id="unknown-env"),
        pytest.param({"DEBUG": "maybe"}, "DEBUG", id="debug-not-bool"),
        pytest.param({"CONN_MAX_AGE": "forever"}, "CONN_MAX_AGE", id="int-not-int"),
        pytest.param({"SECRET_KEY_FILE": "/nonexistent/postbag-secret"}, "SECRET_KEY_FILE", id="secret-file-missing"),
    ],
)
def test_a_bad_value_stops_start_up_with_one_line_naming_the_variable(env, variable):
    result = manage("check", **env)

    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{result.stderr}"
    assert variable in lines[0]
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("secret_key_value", [None, ""], ids=["unset", "empty-in-env-file"])
def test_secrets_can_come_from_files(tmp_path, secret_key_value):
    secret_file = tmp_path / "secret_key"
    secret_file.write_text(GOOD_SECRET + "\n")
    env = {**PRODUCTION, "SECRET_KEY_FILE": str(secret_file)}
    del env["SECRET_KEY"]
    if secret_key_value is not None:
        env["SECRET_KEY"] = secret_key_value

    result = manage("check", "--deploy", "--fail-level", "WARNING", **env)

    assert result.returncode == 0, result.stderr


def read_env_file(path: Path) -> dict[str, str]:
    lines = (line.strip() for line in path.read_text().splitlines())
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_env_example_is_a_valid_production_configuration_once_a_secret_is_added():
    # docker-compose.yml starts every service from .env.example plus the operator's secret.
    env = read_env_file(PROJECT_DIR / ".env.example")
    assert "SECRET_KEY" not in env, "the example must not ship a usable secret"

    refused = manage("check", **env)
    assert refused.returncode != 0 and "SECRET_KEY" in refused.stderr

    result = manage("check", "--deploy", "--fail-level", "WARNING", **env, SECRET_KEY=GOOD_SECRET)
    assert result.returncode == 0, result.stdout + result.stderr


def settings_variables() -> set[str]:
    source = (PROJECT_DIR / "mpoffice" / "settings.py").read_text()
    return set(re.findall(r'config\.\w+\(\s*"([A-Z][A-Z0-9_]*)"', source))


def test_env_example_and_readme_document_every_variable_the_settings_read():
    read = settings_variables()
    assert {"DJANGO_ENV", "SECRET_KEY", "DATABASE_URL", "REDIS_URL"} <= read
    example = (PROJECT_DIR / ".env.example").read_text()
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", example, flags=re.MULTILINE))
    assert read - documented == set(), "add these to .env.example"
    readme = (PROJECT_DIR / "README.md").read_text()
    readme_table = set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", readme, flags=re.MULTILINE))
    assert read - readme_table == set(), "add these to the README's table of environment variables"
