"""Strict parsing of settings from the environment.

django-environ does the parsing; this wrapper turns every bad value into one line on standard
error that names the variable and says what it expects, and stops start-up (no traceback):
an operator reading the log of a container that will not start needs the line, not the stack.
"""

from __future__ import annotations

import builtins
import os
from pathlib import Path
from urllib.parse import urlsplit

import environ

INSECURE_SECRET_PREFIX = "django-insecure"  # noqa: S105 - a prefix we refuse, not a secret


class ConfigError(SystemExit):
    """Stops start-up with a single line that names the variable at fault."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"Configuration error: {name} {message}")


class Config:
    def __init__(self, env_file: Path | None = None) -> None:
        self.env = environ.Env()
        if env_file is not None and env_file.exists():
            environ.Env.read_env(env_file, overwrite=False)

    def _raw(self, name: builtins.str) -> builtins.str | None:
        value = os.environ.get(name)
        file_name = os.environ.get(f"{name}_FILE")
        if not value and file_name:  # an empty NAME= (as in an env file) does not hide NAME_FILE
            try:
                value = Path(file_name).read_text().strip()
            except OSError as exc:
                raise ConfigError(f"{name}_FILE", f"names a file that cannot be read ({exc.strerror}).") from None
        return value

    def str(self, name: builtins.str, *, default: builtins.str) -> builtins.str:
        value = self._raw(name)
        return default if value is None else value

    def bool(self, name: builtins.str, *, default: builtins.bool) -> builtins.bool:
        value = self._raw(name)
        if value is None or value == "":
            return default
        lowered = value.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(name, f"must be true or false, not {value!r}.")

    def int(self, name: builtins.str, *, default: builtins.int) -> builtins.int:
        value = self._raw(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except ValueError:
            raise ConfigError(name, f"must be a whole number, not {value!r}.") from None

    def choice(self, name: builtins.str, choices: tuple[builtins.str, ...], *, default: builtins.str) -> builtins.str:
        value = self.str(name, default=default) or default
        if value not in choices:
            raise ConfigError(name, f"must be one of {', '.join(choices)}, not {value!r}.")
        return value

    def list(self, name: builtins.str, *, default: builtins.list[builtins.str]) -> builtins.list[builtins.str]:
        value = self._raw(name)
        if value is None:
            return default
        return [item.strip() for item in value.split(",") if item.strip()]

    def path(self, name: builtins.str, *, default: Path) -> Path:
        value = self._raw(name)
        return Path(value) if value else default

    def hosts(
        self, name: builtins.str, *, default: builtins.list[builtins.str] | None = None, required: builtins.bool = False
    ) -> builtins.list[builtins.str]:
        hosts = self.list(name, default=default or [])
        if required and not hosts:
            raise ConfigError(name, "must list the host names this site answers to, e.g. postbag.example.org.")
        if required and "*" in hosts:
            raise ConfigError(name, "must name real hosts in production, not '*'.")
        return hosts

    def secret_key(self, name: builtins.str) -> builtins.str:
        value = self._raw(name) or ""
        if not value:
            raise ConfigError(name, "must be set in production: a random string of at least 50 characters.")
        if len(value) < 50 or len(set(value)) < 5 or value.startswith(INSECURE_SECRET_PREFIX):
            raise ConfigError(name, "is too weak for production: use a random string of at least 50 characters.")
        return value

    def fernet_key(self, name: builtins.str) -> builtins.str:
        """A key for ``cryptography``'s Fernet (32 bytes, URL-safe base64), or "" when unset."""
        value = (self._raw(name) or "").strip()
        if value:
            import base64
            import binascii

            try:
                valid = len(base64.urlsafe_b64decode(value.encode())) == 32
            except (binascii.Error, ValueError):
                valid = False
            if not valid:
                raise ConfigError(
                    name,
                    "must be a Fernet key (32 bytes in URL-safe base64): make one with "
                    "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'.",
                )
        return value

    def database_url(self, name: builtins.str, *, default: builtins.str) -> dict:
        value = self._raw(name) or default
        scheme = urlsplit(value).scheme
        if scheme not in {"sqlite", "postgres", "postgresql", "pgsql"}:
            raise ConfigError(
                name,
                "must be a postgres:// or sqlite:/// URL, e.g. postgres://user:password@host:5432/postbag.",
            )
        try:
            parsed = self.env.db_url_config(value)
        except Exception as exc:  # django-environ raises several types for a malformed URL
            raise ConfigError(name, f"could not be read ({exc}).") from None
        if scheme != "sqlite" and not parsed.get("NAME"):
            raise ConfigError(name, "must name a database after the host, e.g. postgres://host:5432/postbag.")
        return parsed

    def redis_url(self, name: builtins.str, *, default: builtins.str) -> builtins.str:
        value = self._raw(name)
        if not value:
            return default
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - raises ValueError on a non-numeric port
        except ValueError:
            raise ConfigError(name, "must be a redis:// URL, e.g. redis://127.0.0.1:6379/0.") from None
        if parts.scheme not in {"redis", "rediss"} or not parts.hostname:
            raise ConfigError(name, "must be a redis:// URL, e.g. redis://127.0.0.1:6379/0.")
        return value

    def email_url(self, name: builtins.str, *, default: builtins.str) -> dict:
        value = self._raw(name) or default
        if value.startswith("filemail://"):
            return {
                "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "EMAIL_FILE_PATH": value.removeprefix("filemail://"),
            }
        try:
            return self.env.email_url_config(value)
        except Exception:
            raise ConfigError(
                name, "must be an e-mail URL such as smtp+tls://user:password@smtp.example.org:587 or consolemail://."
            ) from None
