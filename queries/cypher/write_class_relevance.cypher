// Bulk-load (Class)-[:RELEVANT]->(Neuron); columns: src, dst, run, relevance, rank, mean, retained, images.
COPY RELEVANT FROM $rows (from='Class', to='Neuron');
