"""Open coding's steps after HDBSCAN, one module each: small talk (`small_talk`), outlier
reduction (`outliers`), phrase labels (`labels`), parent codes (`hierarchy`), theme mapping
(`themes`), and what they return (`code_set`). `autocode.cluster.find_candidate_codes` runs
them in that order; each module's docstring gives its rule and where its numbers come from."""
