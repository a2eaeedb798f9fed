"""The signed-in landing page: what this user can do next, by role."""
