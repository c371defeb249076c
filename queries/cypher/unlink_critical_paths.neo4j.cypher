// Drop the STEP edges of the CriticalPaths in CriticalPathRow.record() maps, so that
// link_critical_paths writes each path's steps anew.
UNWIND $rows AS row
MATCH (p:CriticalPath {id: row.id})-[s:STEP]->()
DELETE s;
