// Upsert Run nodes from a dataframe of RunRow.record() columns.
LOAD FROM $rows
MERGE (n:Run {id: id})
SET n.name = name, n.model = model, n.dataset = dataset, n.method = method,
    n.params = params, n.status = status, n.created_at = created_at,
    n.updated_at = updated_at, n.images = images, n.classes = classes, n.flows = flows,
    n.skipped = skipped,
    n.accuracy = accuracy, n.code_version = code_version, n.weights_hash = weights_hash,
    n.graph_version = graph_version;
