// The FLOW edges of one class of a run that have a cost (a positive share), from the given
// upper layers, as one row of parallel lists per layer pair: the input of the exact k best
// paths (queries/analysis/paths.py). Only what the search needs; the few edges on the chosen
// paths are then read in full with flows_from.
MATCH (a:Neuron)-[f:FLOW]->(b:Neuron)
WHERE f.run = $run AND f.class = $class_id AND f.cost IS NOT NULL AND a.layer IN $layers
RETURN a.layer AS up_layer, b.layer AS low_layer, collect(a.`index`) AS up,
       collect(b.`index`) AS low, collect(f.cost) AS cost;
