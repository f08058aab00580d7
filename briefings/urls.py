from django.urls import path

from briefings import views

# Included at the site root from mpoffice/urls.py: the paths and names are the ones these pages
# have always had ("home" is the site root).
urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    *(
        path(f"dashboard/charts/{chart}.svg", views.dashboard_chart, {"chart": chart}, name=f"dashboard-chart-{chart}")
        for chart in views.DASHBOARD_CHARTS
    ),
    path("briefings/<int:pk>/", views.campaign_briefing_view, name="campaign-briefing"),
    path("briefings/<int:pk>/briefing.pdf", views.campaign_briefing_pdf, name="campaign-briefing-pdf"),
    *(
        path(
            f"briefings/<int:pk>/charts/{chart}.svg",
            views.campaign_briefing_chart,
            {"chart": chart},
            name=f"campaign-briefing-chart-{chart}",
        )
        for chart in views.BRIEFING_CHARTS
    ),
]
