// Which of the given ids ($ids) exist as Dataset nodes.
MATCH (n:Dataset)
WHERE n.id IN $ids
RETURN n.id AS id;
