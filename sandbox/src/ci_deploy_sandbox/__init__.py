"""A faithful local Cloudflare Pages + Vercel + GitHub: the API subsets ci-deploy uses, and every
deployed site served on loopback. Tests, the README demo and the benchmarks run against it; the
official wrangler and vercel CLIs deploy into it in the conformance tests."""
