"""The edges: platform adapters (Slack, Teams) and the local web playground with /healthz."""
