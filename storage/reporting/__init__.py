"""The reporting store: a separate database of facts and dimensions under pseudonymous keys."""
