from typing import Any

from django.core.management.base import BaseCommand

import accord


class Command(BaseCommand):
    help = "Print the Accord version."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"accord {accord.__version__}")
