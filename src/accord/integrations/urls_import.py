"""Web pages of imports, mounted at /imports/ (namespace "imports")."""

from django.urls import path

from accord.integrations import views_import

app_name = "imports"
urlpatterns = [
    path("", views_import.import_list, name="list"),
    path("new/", views_import.import_upload, name="upload"),
    path("preview/<str:token>/", views_import.import_preview_page, name="preview"),
    path("<int:pk>/", views_import.import_job, name="job"),
    path("<int:pk>/progress/", views_import.import_job_progress, name="job_progress"),
    path("<int:pk>/errors.csv", views_import.import_job_errors, name="job_errors"),
]
