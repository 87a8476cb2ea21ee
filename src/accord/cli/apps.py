from django.apps import AppConfig


class CliConfig(AppConfig):
    name = "accord.cli"
    label = "cli"
    verbose_name = "CLI"
