from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from mpoffice.views import notifications as notification_views
from mpoffice.views import office as views

urlpatterns = [
    path("", include("briefings.urls")),  # home, dashboard and briefings: the read side
    path("no-office/", views.no_office, name="no-office"),
    path("office/switch/", views.office_switch, name="office-switch"),
    path("healthz", views.healthz, name="healthz"),
    path("system/status/", views.system_status, name="system-status"),
    path("office/letterhead/", views.letterhead_edit, name="letterhead"),
    path("office/settings/", views.office_settings, name="office-settings"),
    path("notifications/", notification_views.notification_list, name="notification-list"),
    path("notifications/<int:pk>/read/", notification_views.notification_read, name="notification-read"),
    path("notifications/read-all/", notification_views.notification_read_all, name="notification-read-all"),
    path("notifications/settings/", notification_views.notification_preferences, name="notification-preferences"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/two-factor/", include("mpoffice.twofactor.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("casework.urls")),
    path("", include("inbound.urls")),
    path("", include("campaigns.urls")),
    path("", include("privacy.urls")),
    path("letters/", include("letters.urls")),
    path("office/geography/", include("geography.urls")),
    path("admin/", admin.site.urls),
]
