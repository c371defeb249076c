// Bulk-load (Image)-[:RELEVANT]->(Neuron); columns: src, dst, run, relevance, rank, mean, retained, images.
COPY RELEVANT FROM $rows (from='Image', to='Neuron');
