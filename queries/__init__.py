"""The graph side: schema, store backends and the Cypher query catalogue (no torch here)."""
