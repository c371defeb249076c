// One Run's properties, named as RunRow fields.
MATCH (r:Run {id: $id})
RETURN r.id AS id, r.name AS name, r.model AS model, r.dataset AS dataset,
       r.method AS method, r.params AS params, r.status AS status,
       r.created_at AS created_at, r.updated_at AS updated_at, r.images AS images,
       r.classes AS classes, r.flows AS flows, r.skipped AS skipped, r.accuracy AS accuracy,
       r.code_version AS code_version, r.weights_hash AS weights_hash,
       r.graph_version AS graph_version;
