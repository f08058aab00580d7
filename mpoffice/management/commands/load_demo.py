from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction


class Command(BaseCommand):
    help = "Load the reference story's demo offices, users and data. Safe to run again."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Refusing to create demo users with DEBUG off: demo passwords are public.")
        for app_config in apps.get_app_configs():
            module_name = f"{app_config.name}.demo"
            if find_spec(module_name) is None:
                continue
            with transaction.atomic():
                import_module(module_name).load(log=lambda line: self.stdout.write(f"  {line}"))
        from mpoffice.demo import DEMO_PASSWORD, USERS

        self.stdout.write(
            self.style.SUCCESS(f"Demo data loaded. Sign in as any of these (password {DEMO_PASSWORD!r}):")
        )
        for username, *_rest, roles in USERS:
            described = ", ".join(f"{role.label} in {prefix}" for prefix, role in roles.items())
            self.stdout.write(f"  {username:<16} {described}")
        from mpoffice.twofactor.services import DEMO_TOTP_KEY_BASE32

        self.stdout.write(
            "MPs and office staff also need a code from an authenticator app: add the key "
            f"{DEMO_TOTP_KEY_BASE32} to one, or run `manage.py demo_totp_code` for the current code."
        )
