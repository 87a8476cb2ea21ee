import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.config.settings")
application = get_asgi_application()

# As in wsgi.py: the views and API schemas load at start-up, not in the first request.
from accord.config.warmup import load_url_patterns  # noqa: E402

load_url_patterns()
