"""Exports from the web list pages, mounted at /exports/ (namespace "exports")."""

from django.urls import path

from accord.integrations.views_export import export_list_page

app_name = "exports"
urlpatterns = [
    path("<str:list_name>/", export_list_page, name="list"),
]
