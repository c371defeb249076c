// The layers of one model, input first.
MATCH (l:Layer)
WHERE l.model = $model
RETURN l.id AS id, l.name AS name, l.`index` AS depth, l.kind AS kind, l.`size` AS neurons
ORDER BY depth;
