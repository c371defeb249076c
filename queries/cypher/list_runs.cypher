// Every run, by id.
MATCH (r:Run)
RETURN r.id AS id, r.name AS name, r.model AS model, r.dataset AS dataset, r.method AS method,
       r.status AS status, r.images AS images, r.classes AS classes, r.flows AS flows
ORDER BY id;
