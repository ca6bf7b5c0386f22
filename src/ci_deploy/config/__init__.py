"""What the user asked for: the input table, values parsed and validated into Settings,
the run context and event, and the target decided from them."""
