"""Alerts: exceedances of INMET's warning criteria found in the data (rules.py), kept as
episodes in analytics.alert_events (episodes.py), and delivered once per channel and
subscription through the outbox ops.alert_deliveries (outbox.py, channels.py).

These are not INMET's official warnings (forecasts by its meteorologists): every message says so.
"""

from lumen.errors import LumenError


class AlertError(LumenError):
    """The alert rules or subscriptions cannot be used as written."""
