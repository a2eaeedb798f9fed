"""Emulation clusters (cụm thi đua: groups of localities) and blocks (khối thi đua: agencies with
similar functions), and the units that belong to each."""
