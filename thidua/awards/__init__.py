"""Award decisions: prize money, gold-book numbers, the registry entries they write, annex and draft
documents, revocation, upward proposals to the central level, and the reward fund."""
