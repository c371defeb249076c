// flows_from_keys.cypher on Neo4j: the keys are element ids, looked up directly.
MATCH (a:ClassNeuron)-[f:FLOW]->(b:ClassNeuron)
WHERE elementId(a) IN $keys
RETURN elementId(a) AS src, elementId(b) AS dst, f.relevance AS relevance, f.share AS share,
       f.cost AS cost;
