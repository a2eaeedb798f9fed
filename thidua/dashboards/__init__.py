"""Dashboards by role (issue 7): the unit officer's dossiers, deadlines and quota use; the secretariat's
pipeline, overdue dossiers and progress per unit and campaign; the leaders' awards by year, form and unit.
Numbers come from grouped queries (queries.py) and are drawn as server-rendered SVG (charts.py)."""

from .views import bp

__all__ = ["bp"]
