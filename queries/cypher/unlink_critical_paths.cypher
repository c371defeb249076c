// Drop the STEP edges of the CriticalPaths in a dataframe of CriticalPathRow.record() columns,
// so that link_critical_paths writes each path's steps anew.
LOAD FROM $rows
MATCH (p:CriticalPath {id: id})-[s:STEP]->()
DELETE s;
