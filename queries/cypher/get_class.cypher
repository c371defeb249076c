// One Class node.
MATCH (c:Class {id: $class_id})
RETURN c.id AS id, c.dataset AS dataset, c.`index` AS idx, c.name AS name, c.wnid AS wnid;
