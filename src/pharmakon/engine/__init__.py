"""The study engine: results table now; spec, plan, cache and executors to come."""
