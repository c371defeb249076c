// The FLOW edges of one class of a run that a critical path of sign $sign (1: evidence for the
// class, -1: against) may use, from the given upper layers, as one row of parallel lists per
// layer pair: the input of the exact k best paths (queries/analysis/paths.py). Only what the
// search needs; the few edges on the chosen paths are then read in full with flows_from. It
// starts at the Class node, so it reads that class's ClassNeurons and their edges only; the
// filters come after WITH, since with them in the pattern kuzu 0.11.3 plans a scan of every
// ClassNeuron and FLOW edge of the store once the store holds 100 classes (135 against 710 ms).
MATCH (c:Class {id: $class_id})-[:HOLDS]->(a:ClassNeuron)-[f:FLOW]->(b:ClassNeuron)
WITH a, f, b
WHERE a.run = $run AND a.layer IN $layers AND f.cost IS NOT NULL AND f.relevance * $sign > 0
RETURN a.layer AS up_layer, b.layer AS low_layer, collect(a.`index`) AS up,
       collect(b.`index`) AS low, collect(f.cost) AS cost;
