// Which of the given ids ($ids) exist as Model nodes.
MATCH (n:Model)
WHERE n.id IN $ids
RETURN n.id AS id;
