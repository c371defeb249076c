// Bulk-load (Neuron)-[:IN_CLASS]->(ClassNeuron); columns: src (Neuron id), dst (ClassNeuron id).
COPY IN_CLASS FROM $rows;
