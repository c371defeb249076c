// Nodes by label.
MATCH (n)
RETURN label(n) AS label, count(*) AS n;
