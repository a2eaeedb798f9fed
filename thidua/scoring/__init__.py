"""The scoring engine shared by councils and emulation clusters: rubrics (criteria with scales and
weights) and the arithmetic on raw scores — totals, mean or median, spread, per-scorer
normalisation, and rankings with ties. Sheets belong to the domain that collects them."""
