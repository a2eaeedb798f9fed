"""Users, their roles (held through assignments, optionally bound to a unit), login and passwords."""
