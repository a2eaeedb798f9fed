"""gunicorn settings for thidua: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Every value can be overridden from the environment (the systemd unit reads /etc/thidua/thidua.env).
"""

import multiprocessing
import os

bind = os.environ.get("THIDUA_BIND", "127.0.0.1:8000")  # nginx in front; never exposed directly

# Processes from the CPU count; threads inside each (requests mostly wait on PostgreSQL).
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

# A single decision or minutes PDF can take a few seconds; batches of certificates run on the worker.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5

# Recycle workers now and then so that a slow leak cannot grow without bound.
max_requests = 2000
max_requests_jitter = 200

# Load the app once in the master, then fork: faster start, shared memory (wsgi.py freezes the GC).
preload_app = True

# Logs to stdout/stderr: journald (or the container runtime) keeps them.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(L)ss "%(a)s" rid=%({x-request-id}o)s'

# Trust X-Forwarded-* only from the reverse proxy on this host.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
proxy_allow_ips = forwarded_allow_ips


def post_fork(server, worker):
    """Give each worker its own database connections: never share a socket opened before the fork."""
    from thidua.extensions import db
    from wsgi import app

    with app.app_context():
        db.engine.dispose(close=False)
