"""HR reporting: sync to the reporting store, metrics, small-group suppression, the report."""
