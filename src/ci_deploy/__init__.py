"""ci-deploy: put a built web app live on Cloudflare Pages or Vercel in one step."""

__version__ = "0.1.0"
#: what every request of ours calls its client
USER_AGENT = f"ci-deploy/{__version__}"
