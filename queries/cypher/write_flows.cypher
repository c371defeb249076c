// Bulk-load FLOW edges; columns in table order: src, dst (ClassNeuron ids), relevance, share, cost.
COPY FLOW FROM $rows;
