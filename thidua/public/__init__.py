"""Pages anyone may read without logging in: the public home (featured good models, recently issued
award decisions), the showcase of recognised good models and their public photos. They publish no
personal data beyond what decisions print, cost a fixed few queries and send HTTP caching headers."""
