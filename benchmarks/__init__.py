"""Benchmarks: ci-deploy against wrangler and the vercel CLI on one sandbox (issue 8).

Run ``python -m benchmarks.run`` from the repository root; see benchmarks/README.md.
"""
