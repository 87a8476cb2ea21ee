"""Data in and out: file imports with identity resolution, exports, inbound events, outbound
webhooks and Slack."""
