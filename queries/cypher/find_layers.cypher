// Which of the given ids ($ids) exist as Layer nodes.
MATCH (n:Layer)
WHERE n.id IN $ids
RETURN n.id AS id;
