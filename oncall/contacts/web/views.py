"""The person's profile: name, time zone, working hours; how they are reached (contact
methods and notification rules, read-only here) with a test notification per method;
their teams. And the answer to the time-zone proposal banner."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from common.errors import DomainError, InvalidInput, NotFound
from oncall.contacts.selectors import (
    contact_method_get,
    contact_method_list,
    notification_rule_list,
)
from oncall.contacts.services import (
    contact_method_send_test,
    oncall_preference_get,
    person_profile_update,
    person_time_zone_confirm,
)
from oncall.contacts.web.forms import ProfileForm
from oncall.teams.selectors import memberships_of
from oncall.teams.web.views import form_errors_from


def _method_row(method) -> dict:
    if not method.enabled:
        state, problem = "Paused", False
    elif not method.verified:
        state, problem = "Number not verified yet: it is not paged", True
    elif not method.working:
        state, problem = "Last message failed", True
    else:
        state, problem = "Working", False
    return {
        "method": method,
        "kind": method.get_kind_display().split(" (")[0],
        "state": state,
        "problem": problem,
        "can_test": method.verified,
    }


def profile(request: HttpRequest) -> HttpResponse:
    preference = oncall_preference_get(actor=request.user)
    user = request.user
    initial = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "time_zone": preference.time_zone,
        "work_starts": preference.work_starts,
        "work_ends": preference.work_ends,
        "work_days": list(preference.work_days),
    }
    status = 200
    if request.method == "POST":
        form = ProfileForm(request.POST, current_zone=preference.time_zone)
        if form.is_valid():
            data = form.cleaned_data
            try:
                saved = person_profile_update(
                    actor=user,
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    time_zone=data["time_zone"],
                    work_starts=data["work_starts"],
                    work_ends=data["work_ends"],
                    work_days="".join(data["work_days"]),
                )
            except DomainError as error:
                form_errors_from(form, error)
            else:
                messages.success(request, f"Profile saved. Times are shown in {saved.time_zone}.")
                return redirect("web:profile")
        status = 400
    else:
        form = ProfileForm(initial=initial, current_zone=preference.time_zone)
    methods = list(contact_method_list(user=user))
    rules = list(notification_rule_list(user=user))
    context = {
        "form": form,
        "preference": preference,
        "now": timezone.now(),
        "zone_name": timezone.get_current_timezone_name(),
        "methods": [_method_row(method) for method in methods],
        "high_rules": [rule for rule in rules if rule.urgency == "high"],
        "low_rules": [rule for rule in rules if rule.urgency == "low"],
        "memberships": memberships_of(user=user),
    }
    return render(request, "people/profile.html", context, status=status)


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("web:profile")


@require_POST
def profile_time_zone(request: HttpRequest) -> HttpResponse:
    """The banner's answer: use the browser's zone, or keep the current one."""
    choice = request.POST.get("choice")
    zone = (request.POST.get("browser_time_zone") or "").strip()
    if choice == "browser" and not zone:
        messages.error(
            request, "Your browser did not say its time zone. Choose yours on this page."
        )
        return redirect("web:profile")
    if choice not in ("browser", "keep"):
        messages.error(request, "Choose to use your browser's time zone or to keep yours.")
        return redirect("web:profile")
    try:
        preference = person_time_zone_confirm(
            actor=request.user, time_zone=zone if choice == "browser" else None
        )
    except InvalidInput:
        messages.error(
            request,
            f"Tocsin does not know the time zone your browser gave ({zone[:64]}). "
            "Choose yours on this page.",
        )
        return redirect("web:profile")
    if choice == "browser":
        messages.success(request, f"Times are now shown in {preference.time_zone}.")
    else:
        messages.success(
            request,
            f"Times stay in {preference.time_zone}. You can change it on your profile.",
        )
    return redirect(_back(request))


@require_POST
def profile_contact_test(request: HttpRequest, method_id: int) -> HttpResponse:
    try:
        method = contact_method_get(user=request.user, method_id=method_id)
    except NotFound as error:
        raise Http404(error.detail) from None
    try:
        contact_method_send_test(actor=request.user, method=method)
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, f"A test notification is on its way to {method}.")
    return redirect(reverse("web:profile") + "#contact-methods")
