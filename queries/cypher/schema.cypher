// The graph schema for the embedded Kuzu family (kuzu, ladybug); safe to run again.
CREATE NODE TABLE IF NOT EXISTS Model(id STRING, name STRING, arch STRING, layers INT64, neurons INT64, PRIMARY KEY (id));
CREATE NODE TABLE IF NOT EXISTS Layer(id STRING, model STRING, name STRING, `index` INT64, kind STRING, `size` INT64, PRIMARY KEY (id));
CREATE NODE TABLE IF NOT EXISTS Neuron(id STRING, model STRING, layer STRING, `index` INT64, PRIMARY KEY (id));
CREATE NODE TABLE IF NOT EXISTS ClassNeuron(id STRING, run STRING, class STRING, neuron STRING, layer STRING, `index` INT64, PRIMARY KEY (id));
CREATE NODE TABLE IF NOT EXISTS Dataset(id STRING, name STRING, kind STRING, path STRING, PRIMARY KEY (id));
CREATE NODE TABLE IF NOT EXISTS Class(id STRING, dataset STRING, name STRING, `index` INT64, wnid STRING, PRIMARY KEY (id));
CREATE NODE TABLE IF NOT EXISTS Image(id STRING, dataset STRING, path STRING, label INT64, PRIMARY KEY (id));
CREATE NODE TABLE IF NOT EXISTS Run(id STRING, name STRING, model STRING, dataset STRING, method STRING, params STRING, status STRING, created_at STRING, updated_at STRING, images INT64, classes INT64, flows INT64, skipped INT64, accuracy DOUBLE, code_version STRING, weights_hash STRING, graph_version INT64, PRIMARY KEY (id));
CREATE NODE TABLE IF NOT EXISTS CriticalPath(id STRING, run STRING, class STRING, sign STRING, rank INT64, score DOUBLE, PRIMARY KEY (id));
CREATE REL TABLE IF NOT EXISTS `NEXT`(FROM Layer TO Layer);
CREATE REL TABLE IF NOT EXISTS HAS(FROM Layer TO Neuron);
CREATE REL TABLE IF NOT EXISTS HOLDS(FROM Class TO ClassNeuron);
CREATE REL TABLE IF NOT EXISTS IN_CLASS(FROM Neuron TO ClassNeuron);
CREATE REL TABLE IF NOT EXISTS FLOW(FROM ClassNeuron TO ClassNeuron, relevance DOUBLE, share DOUBLE, cost DOUBLE);
CREATE REL TABLE IF NOT EXISTS RELEVANT(FROM Class TO Neuron, FROM Image TO Neuron, run STRING, relevance DOUBLE, rank INT64, mean DOUBLE, retained DOUBLE, images INT64);
CREATE REL TABLE IF NOT EXISTS `OF`(FROM Run TO Model);
CREATE REL TABLE IF NOT EXISTS `ON`(FROM Run TO Dataset);
CREATE REL TABLE IF NOT EXISTS STEP(FROM CriticalPath TO Neuron, position INT64);
