"""After the deploy: the Sentry release and error watch, notifications, performance figures."""
