"""The torch side: models, datasets, the LRP engine, relevance flows and the ingest worker."""
