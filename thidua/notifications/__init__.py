"""Notifications: the in-app inbox, e-mail (SMTP or the local outbox) on the task queue, preferences and the
daily digest, deadline reminders, and password reset by e-mail."""
