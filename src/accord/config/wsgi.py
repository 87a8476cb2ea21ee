import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.config.settings")
application = get_wsgi_application()

# Load every view and API schema now, while the server starts, rather than in the first
# visitor's request (about 4 s: the API's schemas and the statistics the metrics need).
from accord.config.warmup import load_url_patterns  # noqa: E402

load_url_patterns()
