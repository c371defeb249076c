// The FLOW edges of one class of a run that a critical path of sign $sign (1: evidence for the
// class, -1: against) may use, from the given upper layers, as one row of parallel lists per
// layer pair: the input of the exact k best paths (queries/analysis/paths.py). Only what the
// search needs; the few edges on the chosen paths are then read in full with flows_from. The
// run is tested after WITH: Kuzu then scans the FLOW table with the class filter alone and
// tests the run on the class's edges only, which takes half the time of one combined filter
// (kuzu 0.11.3, two runs of ten classes).
MATCH (a:Neuron)-[f:FLOW]->(b:Neuron)
WHERE f.class = $class_id AND f.cost IS NOT NULL AND a.layer IN $layers
WITH a, f, b
WHERE f.run = $run AND f.relevance * $sign > 0
RETURN a.layer AS up_layer, b.layer AS low_layer, collect(a.`index`) AS up,
       collect(b.`index`) AS low, collect(f.cost) AS cost;
