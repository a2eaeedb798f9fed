"""WSGI entry point: `gunicorn wsgi:app` or `flask --app wsgi run`."""

import gc

from thidua import create_app

app = create_app()

# The app's long-lived objects (models, templates, routes) never become garbage: move them out of the
# collector's reach so a full collection does not land in the middle of a request (bench/nominations.py).
gc.freeze()
