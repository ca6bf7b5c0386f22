"""The Vercel adapter: SHA-1 file uploads, deployments, aliases, env vars, domains, promote/rollback."""
