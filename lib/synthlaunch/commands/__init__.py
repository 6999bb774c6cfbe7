"""Command bodies called by the Invoke tasks (`inv download`, ...): one module per command."""
