"""The audit log: who changed what, when, with the fields before and after.

Entries are written by a session hook in the same transaction as the change itself, so a change
that is rolled back leaves no entry and no change goes unrecorded.
"""
