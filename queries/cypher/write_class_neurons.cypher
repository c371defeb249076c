// Bulk-load new ClassNeuron nodes; columns in table order: id, run, class, neuron, layer, index.
COPY ClassNeuron FROM $rows;
