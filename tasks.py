from synthlaunch.tasks import ns  # noqa: F401  (so `inv` works in the repository)
