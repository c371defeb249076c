"""The HTTP side: a FastAPI app serving queries, heatmaps and the web page."""
