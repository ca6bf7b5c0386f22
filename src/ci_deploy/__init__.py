"""ci-deploy: put a built web app live on Cloudflare Pages or Vercel in one step."""

__version__ = "0.1.0"
