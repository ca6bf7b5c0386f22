"""The commands (deploy, cleanup, rollback, promote, domains) behind one dispatch table:
each follows its plan and records what happened in the outcome."""
