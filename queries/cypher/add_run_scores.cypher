// Give Run nodes the `scores` property (JSON text of evaluation scores) in stores made before it
// existed; a no-op where the column is there already.
ALTER TABLE Run ADD IF NOT EXISTS scores STRING;
