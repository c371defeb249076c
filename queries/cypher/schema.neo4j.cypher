// The graph schema for Neo4j 5: one uniqueness constraint per label, indexes for run scoping; a class's flows are reached from its Class node.
CREATE CONSTRAINT model_id IF NOT EXISTS FOR (n:Model) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT layer_id IF NOT EXISTS FOR (n:Layer) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT neuron_id IF NOT EXISTS FOR (n:Neuron) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT class_neuron_id IF NOT EXISTS FOR (n:ClassNeuron) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT dataset_id IF NOT EXISTS FOR (n:Dataset) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT class_id IF NOT EXISTS FOR (n:Class) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT image_id IF NOT EXISTS FOR (n:Image) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT run_id IF NOT EXISTS FOR (n:Run) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT critical_path_id IF NOT EXISTS FOR (n:CriticalPath) REQUIRE n.id IS UNIQUE;
CREATE INDEX class_neuron_run IF NOT EXISTS FOR (n:ClassNeuron) ON (n.run);
CREATE INDEX critical_path_run_class IF NOT EXISTS FOR (n:CriticalPath) ON (n.run, n.class);
CREATE INDEX relevant_run IF NOT EXISTS FOR ()-[r:RELEVANT]-() ON (r.run);
