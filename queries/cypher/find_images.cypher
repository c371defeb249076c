// Which of the given ids ($ids) exist as Image nodes.
MATCH (n:Image)
WHERE n.id IN $ids
RETURN n.id AS id;
