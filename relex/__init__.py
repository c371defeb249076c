"""relevance-explorer: exact LRP for CNNs, relevance flows as a graph, an API and a CLI.

The layers are installed as subpackages of this one: ``relex.queries`` (the graph store and its
queries), ``relex.ingest`` (the torch side: models, datasets, the LRP engine, the ingest worker)
and ``relex.api`` (the HTTP side). The modules directly in this package are the ``relex`` command
line, the only code that sees every layer. Importing this package imports nothing else.
"""
