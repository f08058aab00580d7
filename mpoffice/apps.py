from django.apps import AppConfig


class MpofficeConfig(AppConfig):
    name = "mpoffice"
    verbose_name = "Offices and people"
