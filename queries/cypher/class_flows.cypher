// The FLOW edges of one class of a run that a critical path of sign $sign (1: evidence for the
// class, -1: against) may use, from the given upper layers: the input of the exact k best paths
// (queries/analysis/paths.py). Only what the search needs; the few edges on the chosen paths are
// then read in full with flows_from_keys. It starts at the Class node, so it reads that class's
// ClassNeurons and their edges only.
// One row per upper layer: the upper neurons' indices, the lower ends' keys (as in
// class_neuron_keys, by which the caller reads their layers and indices) and the costs, as
// parallel lists. Reading the lower ends' properties from each edge instead costs three times
// the rest of this text (kuzu 0.11.3, 107,008 edges a class: 176 against 38 ms).
// The filters come after WITH, since with them in the pattern kuzu plans a scan of every
// ClassNeuron and FLOW edge of the store once the store holds 100 classes (135 against 710 ms).
MATCH (c:Class {id: $class_id})-[:HOLDS]->(a:ClassNeuron)-[f:FLOW]->(b:ClassNeuron)
WITH a, f, b
WHERE a.run = $run AND a.layer IN $layers AND f.cost IS NOT NULL AND f.relevance * $sign > 0
RETURN a.layer AS layer, collect(a.`index`) AS up, collect(offset(id(b))) AS key,
       collect(f.cost) AS cost;
