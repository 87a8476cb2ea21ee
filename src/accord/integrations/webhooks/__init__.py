"""Outbound webhooks: every domain event is delivered, signed, to the subscriptions that want
it (generic JSON receivers or Slack incoming webhooks), with retries and a delivery log."""
