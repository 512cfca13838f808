"""Channel-agnostic conversation logic: no Slack or SMTP code here."""
