from django.apps import AppConfig


class BriefingsConfig(AppConfig):
    """The read side: the MP's dashboard, campaign briefings, the home lists and the weekly summary.

    It reads from every app below it and nothing imports it (tests/test_architecture.py).
    """

    name = "briefings"
    verbose_name = "Dashboard and briefings"
