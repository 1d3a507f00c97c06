"""The platform-neutral core: conversation router, services, ports and scheduled jobs."""
