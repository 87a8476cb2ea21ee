"""Concrete practices for each area of alignment, drawn from the articles the survey comes
from: what a team can do next week when an area is weak."""

from __future__ import annotations

PRACTICES: dict[str, tuple[str, ...]] = {
    "shared_time": (
        "Hold a weekly joint meeting of both teams, with an agenda Accord writes from what "
        "changed, and keep its action items.",
        "Have marketing sit in on sales' team meetings and on a few prospect and customer calls "
        "each month.",
        "Have marketing interview sellers for customer insights, and sellers feed insights back.",
        "Train sellers on the marketing assets they can use, as part of a sales enablement plan.",
        "Get together beyond work: lunch or an event shared by both teams.",
    ),
    "shared_metrics": (
        "Agree one lead definition both managers approve, and judge leads by it.",
        "Set joint SLAs each team delivers for the other (lead volume; response time) and "
        "review them together.",
        "Plan from one shared revenue goal and its reverse funnel, and pace it on one dashboard.",
        "Measure both teams on a few common metrics that matter to the board.",
    ),
    "shared_feedback": (
        "Give every rejection a reason, and have marketing review the reasons within three days.",
        "Show sellers each prospect's interactions with marketing on the contact page.",
        "Publish the marketing calendar to sales, with the expected lead volumes.",
        "Keep one easily found library of marketing assets, and record which ones win deals.",
        "Ask sellers for content and campaign ideas, and test together: share losses as well "
        "as wins.",
        "Spare sellers needless CRM data entry; keep only the fields both teams use.",
    ),
    "shared_recognition": (
        "When a major deal is announced, name the campaigns and marketers that contributed.",
        "Invite marketing to the celebrations of won deals.",
        "Extend awards and incentives (top performer, club) to marketing.",
        "Reward marketing on performance in a way similar to sales.",
    ),
    "trust": (
        "Raise disagreements openly in the joint meeting rather than by finger-pointing; "
        "settle disputed rejections by the agreed process.",
        "Share the numbers both teams argue about from one source, so the debate is about "
        "what to do, not whose number is right.",
        "Look for the 'us versus them' moments in the survey's comments and the perception "
        "gaps, and talk them through together.",
    ),
}
