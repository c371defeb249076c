// class_flows.cypher on Neo4j, with the node's element id as its key.
MATCH (c:Class {id: $class_id})-[:HOLDS]->(a:ClassNeuron)-[f:FLOW]->(b:ClassNeuron)
WHERE a.run = $run AND a.layer IN $layers AND f.cost IS NOT NULL AND f.relevance * $sign > 0
RETURN a.layer AS layer, collect(a.`index`) AS up, collect(elementId(b)) AS key,
       collect(f.cost) AS cost;
