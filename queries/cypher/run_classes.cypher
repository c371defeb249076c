// The classes a run has relevance for, by class index. (Filtering after WITH keeps Kuzu's
// planner on the adjacency lists instead of a scan of every relationship.)
MATCH (c:Class)-[r:RELEVANT]->(:Neuron)
WITH c, r
WHERE r.run = $run
RETURN c.id AS id, c.dataset AS dataset, c.`index` AS idx, c.name AS name, c.wnid AS wnid,
       max(r.images) AS images
ORDER BY idx, id;
