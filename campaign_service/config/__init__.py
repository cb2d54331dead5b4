# Load the Celery app with Django, so that web processes send the outbox wake-ups to the broker
# configured here (without it, a task sent from a web process goes to Celery's default app).
from config.celery import app as celery_app

__all__ = ["celery_app"]
