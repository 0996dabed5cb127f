"""RESP2/RESP3: request parsing (:mod:`.request`) and reply encoding (:mod:`.reply`)."""
