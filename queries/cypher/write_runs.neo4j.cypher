// Upsert Run nodes from a batch of RunRow.record() maps.
UNWIND $rows AS row
MERGE (n:Run {id: row.id})
SET n.name = row.name, n.model = row.model, n.dataset = row.dataset, n.method = row.method,
    n.params = row.params, n.status = row.status, n.created_at = row.created_at,
    n.updated_at = row.updated_at, n.images = row.images, n.classes = row.classes,
    n.flows = row.flows, n.skipped = row.skipped, n.accuracy = row.accuracy,
    n.code_version = row.code_version, n.weights_hash = row.weights_hash,
    n.graph_version = row.graph_version;
