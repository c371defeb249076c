// Delete every FLOW edge of one class in one run, with the class's ClassNeurons.
MATCH (c:Class {id: $class_id})-[:HOLDS]->(a:ClassNeuron)
WHERE a.run = $run
DETACH DELETE a;
