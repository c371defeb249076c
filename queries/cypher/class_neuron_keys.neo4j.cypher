// class_neuron_keys.cypher on Neo4j: the node's element id as its key.
MATCH (c:Class {id: $class_id})-[:HOLDS]->(n:ClassNeuron)
WHERE n.run = $run
RETURN n.layer AS layer, collect(n.`index`) AS idx, collect(elementId(n)) AS key;
