"""Where reminder messages leave the gateway: e-mail over SMTP and signed webhooks."""
