from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from mpoffice.twofactor.services import DEMO_DEVICE_NAME


class Command(BaseCommand):
    help = "Print the current sign-in code of the demo accounts' public authenticator (demo accounts only)."

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", default="mks-staff")

    def handle(self, *args, username, **options):
        # Only the demo device, whose key is published in the README: never a real person's.
        device = TOTPDevice.objects.filter(user__username=username, name=DEMO_DEVICE_NAME, confirmed=True).first()
        if device is None:
            raise CommandError(f"{username} has no demo authenticator (run `manage.py load_demo` first).")
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
        self.stdout.write(f"Current code for {username}: {code:0{device.digits}d}")
