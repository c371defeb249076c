// Bulk-load (Class)-[:HOLDS]->(ClassNeuron); columns: src (Class id), dst (ClassNeuron id).
COPY HOLDS FROM $rows;
