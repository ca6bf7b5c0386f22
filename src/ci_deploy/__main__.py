"""``python -m ci_deploy``: the same as the ``ci-deploy`` command (the Docker image's entrypoint)."""

from ci_deploy.cli import entrypoint

if __name__ == "__main__":
    entrypoint()
