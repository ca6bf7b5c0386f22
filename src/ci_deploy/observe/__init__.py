"""After the deploy: performance figures, the Sentry release and its error watch, notifications
(the hooks ``commands/deploy.py`` calls are in :mod:`ci_deploy.observe.hooks`)."""
