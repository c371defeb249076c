// Bulk-load FLOW edges; columns in table order: src, dst (Neuron ids), run, cls, relevance, share, cost.
COPY FLOW FROM $rows;
