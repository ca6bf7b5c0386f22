"""What a run tells people: the outcome (action outputs) and one renderer for the PR
comment and the job summary."""
