from django.urls import path

from geography import views

app_name = "geography"

urlpatterns = [
    path("", views.directory_page, name="directory"),
    path("area/", views.area_set, name="area"),
    path("upload/", views.upload, name="upload"),
    path("progress/", views.progress, name="progress"),
]
