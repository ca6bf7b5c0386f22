"""The Cloudflare Pages adapter: Direct Upload (BLAKE3 hashes, check-missing, buckets),
deployments, domains, rollback."""
