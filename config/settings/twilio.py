"""Twilio: SMS and voice-call contact methods. Leave the account unset to run without
phone channels (a message to an SMS or voice method then fails, naming the setting)."""

from config.settings.env import env_str

# The account that sends, and its secret (Twilio Console → Account Info).
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN", "")
# The caller id and SMS sender: a Twilio number of the account, in E.164 (+14155550100).
TWILIO_FROM_NUMBER = env_str("TWILIO_FROM_NUMBER", "")
# Where the Twilio REST API is; tests and proxies point it elsewhere.
TWILIO_API_URL = env_str("TWILIO_API_URL", "https://api.twilio.com").rstrip("/")
