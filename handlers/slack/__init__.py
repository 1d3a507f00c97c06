"""The Slack adapter: Block Kit rendering, payload parsing, sending and the Bolt edge."""
