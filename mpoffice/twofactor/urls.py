from django.urls import path

from mpoffice.twofactor import views

urlpatterns = [
    path("", views.overview, name="two-factor"),
    path("verify/", views.verify, name="two-factor-verify"),
    path("setup/", views.setup, name="two-factor-setup"),
    path("recovery-codes/", views.recovery_codes, name="two-factor-recovery-codes"),
    path("remove/", views.remove, name="two-factor-remove"),
]
