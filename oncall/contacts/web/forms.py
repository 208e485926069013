"""The profile's form: name, time zone, working hours."""

import datetime
from zoneinfo import ZoneInfo, available_timezones

from django import forms
from django.utils import timezone

from oncall.teams.web.forms import PlainForm

# The IANA regions, in the order people look for them; every other zone name (old
# aliases such as US/Eastern, Etc/GMT+3) is listed under "Other".
REGIONS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)
WEEKDAYS = [
    ("1", "Monday"),
    ("2", "Tuesday"),
    ("3", "Wednesday"),
    ("4", "Thursday"),
    ("5", "Friday"),
    ("6", "Saturday"),
    ("7", "Sunday"),
]


def utc_offset_label(offset: datetime.timedelta | None) -> str:
    """+01:00 → "UTC+1", +05:30 → "UTC+5:30", -03:00 → "UTC−3", 0 → "UTC"."""
    minutes = int((offset or datetime.timedelta()).total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def time_zone_choices(current: str = "") -> list:
    """UTC first, then one group per region ("Berlin (UTC+1)" under Europe, with today's
    offset), then the other names. ``current`` is listed even if it is none of those."""
    now = timezone.now()
    names = {
        name
        for name in available_timezones()
        if not name.startswith(("posix/", "right/")) and name not in ("localtime", "Factory")
    }
    if current:
        names.add(current)
    names.discard("UTC")
    groups: dict[str, list[tuple[str, str]]] = {region: [] for region in (*REGIONS, "Other")}
    for name in sorted(names):
        region, _, place = name.partition("/")
        offset = utc_offset_label(now.astimezone(ZoneInfo(name)).utcoffset())
        if region in REGIONS and place:
            groups[region].append((name, f"{place.replace('_', ' ')} ({offset})"))
        else:
            groups["Other"].append((name, f"{name.replace('_', ' ')} ({offset})"))
    return [("UTC", "UTC"), *((region, zones) for region, zones in groups.items() if zones)]


class ProfileForm(PlainForm):
    first_name = forms.CharField(
        label="First name",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label="Last name",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    time_zone = forms.ChoiceField(
        label="Time zone",
        help_text="Every time in Tocsin is shown to you in this zone.",
    )
    work_starts = forms.TimeField(
        label="Working hours start",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    work_ends = forms.TimeField(
        label="Working hours end",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    work_days = forms.MultipleChoiceField(
        label="Working days",
        choices=WEEKDAYS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Low-urgency pages wait for your working hours on these days (an end "
        "earlier than the start runs past midnight); high-urgency pages never wait.",
    )

    def __init__(self, *args, current_zone: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = time_zone_choices(current_zone)
