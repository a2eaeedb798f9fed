"""Good models and creative practices: the registry, replication by other units, and the public showcase."""
