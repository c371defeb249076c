// Which of the given ids ($ids) exist as Class nodes.
MATCH (n:Class)
WHERE n.id IN $ids
RETURN n.id AS id;
