"""``ci-deploy connect`` and ``ci-deploy init``: from a platform token to a repository whose
workflows deploy. ``connect`` verifies the token, discovers the account and project, probes the
permissions a deploy needs and stores what the workflows read as GitHub secrets and variables;
``init`` writes those workflows. Platform knowledge comes from each platform's
:class:`~ci_deploy.connect.model.ConnectSpec`; nothing here asks which platform it has."""
