"""The names other systems and people use for Accord's value sets (channels, campaign types,
touchpoint types, activity kinds, deal statuses), for the importers to translate cell values.

A mapping's own value maps (from a preset or given by the user) are consulted first; these are
the fall-back, so a file written by hand ("Google Ads", "Booth scan") imports with no mapping.
Keys are compared by `header_key` (lower case, letters and digits only).
"""

from __future__ import annotations

from accord.integrations.importing.targets import header_key


def _keyed(table: dict[str, str]) -> dict[str, str]:
    return {header_key(k): v for k, v in table.items()}


CHANNELS = _keyed(
    {
        "google ads": "paid_search", "adwords": "paid_search", "google adwords": "paid_search",
        "bing ads": "paid_search", "microsoft ads": "paid_search", "paid search": "paid_search",
        "ppc": "paid_search", "cpc": "paid_search", "sem": "paid_search",
        "linkedin ads": "paid_social", "facebook ads": "paid_social", "meta ads": "paid_social",
        "twitter ads": "paid_social", "x ads": "paid_social", "paid social": "paid_social",
        "seo": "organic_search", "organic search": "organic_search", "organic": "organic_search",
        "social": "organic_social", "organic social": "organic_social",
        "social media": "organic_social",
        "email": "email", "e-mail": "email", "email marketing": "email", "newsletter": "email",
        "webinar": "webinar", "webinars": "webinar",
        "trade show": "event", "tradeshow": "event", "conference": "event", "event": "event",
        "events": "event", "meetup": "event", "field event": "event",
        "referral": "referral", "referrals": "referral", "word of mouth": "referral",
        "partner": "partner", "partners": "partner", "reseller": "partner",
        "content syndication": "content", "content": "content", "syndication": "content",
        "direct": "direct", "direct traffic": "direct",
        "outbound": "outbound", "sales outbound": "outbound", "cold outreach": "outbound",
        "telemarketing": "outbound",
        "other": "other",
    }
)  # fmt: skip

# The campaign type a campaign gets when the file names only its channel.
CHANNEL_CAMPAIGN_TYPE = {
    "paid_search": "ads",
    "paid_social": "ads",
    "email": "email",
    "webinar": "webinar",
    "event": "event",
    "content": "content",
    "organic_search": "seo",
    "referral": "referral",
}

CAMPAIGN_TYPES = _keyed(
    {
        "ads": "ads", "ad": "ads", "advertisement": "ads", "advertising": "ads",
        "banner ads": "ads", "paid ads": "ads", "ppc": "ads",
        "email": "email", "e-mail": "email", "newsletter": "email", "nurture": "email",
        "webinar": "webinar",
        "event": "event", "trade show": "event", "conference": "event", "field event": "event",
        "content": "content", "content syndication": "content", "ebook": "content",
        "seo": "seo",
        "referral": "referral", "referral program": "referral",
        "referral programme": "referral",
        "other": "other",
    }
)  # fmt: skip

TOUCHPOINT_TYPES = _keyed(
    {
        "ad click": "ad_click", "ad": "ad_click", "paid click": "ad_click",
        "form fill": "form_fill", "form submission": "form_fill", "form submit": "form_fill",
        "form": "form_fill", "signup": "form_fill", "sign up": "form_fill",
        "demo request": "form_fill",
        "webinar": "webinar", "webinar attended": "webinar", "webinar attendance": "webinar",
        "attended webinar": "webinar",
        "email open": "email_open", "email opened": "email_open",
        "email click": "email_click", "email clicked": "email_click",
        "event": "event", "event scan": "event", "booth scan": "event", "booth visit": "event",
        "event attended": "event",
        "page view": "web_visit", "pageview": "web_visit", "web visit": "web_visit",
        "website visit": "web_visit", "visit": "web_visit",
        "download": "content_download", "content download": "content_download",
        "ebook download": "content_download", "whitepaper download": "content_download",
        "chat": "chat", "live chat": "chat",
        "unsubscribe": "unsubscribe", "unsubscribed": "unsubscribe",
        "bounce": "bounce", "email bounce": "bounce", "bounced": "bounce",
    }
)  # fmt: skip

ACTIVITY_KINDS = _keyed(
    {
        "call": "call", "phone call": "call", "phone": "call", "logged call": "call",
        "email": "email", "e-mail": "email", "logged email": "email",
        "meeting": "meeting", "lunch": "meeting", "demo": "meeting", "visit": "meeting",
        "video call": "meeting",
        "note": "note", "task": "note", "deadline": "note", "todo": "note", "to do": "note",
    }
)  # fmt: skip

DEAL_STATUSES = _keyed(
    {
        "open": "open", "active": "open", "in progress": "open",
        "won": "won", "closed won": "won", "closedwon": "won",
        "lost": "lost", "closed lost": "lost", "closedlost": "lost",
    }
)  # fmt: skip
