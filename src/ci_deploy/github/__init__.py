"""GitHub integration: the REST client, the sticky PR comment, GitHub Deployments and run
artifacts. Nothing here knows which platform deployed; the pipeline passes plain facts."""
