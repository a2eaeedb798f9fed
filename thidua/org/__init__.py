"""The organisation: a tree of units of any depth, with validity dates and merge lineage.

No level (province, district, commune) is hard-coded: a unit has a *kind*, and rules that depend on
the level ask for the kind. Units are identified by their code, never by name (names recur after
mergers).
"""
