"""The study engine: loads a spec, plans its graph of nodes, runs them through the kernel and writes the run."""
