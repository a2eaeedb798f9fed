"""The award registry (sổ vàng and history): people, and every award a person or collective has
received, with the facts the eligibility checks read — yearly evaluations, recognised initiatives
and discipline periods."""
