"""Benchmarks: ci-deploy against wrangler and the vercel CLI on one sandbox (issues 8 and 16).

Run ``python -m benchmarks.run`` from the repository root; see benchmarks/README.md.
"""
