"""Staff's view of challenge mode (SPEC §3): see it and switch it, through the same service as
``PUT /api/payments/challenge``. A page of the payments admin (config/urls.py), linked from its
index; ``admin_view`` makes it staff-only and CSRF-protected, and the admin's staff recheck
(``careforall_common.admin_auth``) signs out a demoted account before it gets here."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponseBase, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from careforall_common.admin_auth import platform_user_id
from careforall_common.defence.challenge import MODES
from defence import services
from defence.outputs import challenge_output

admin.site.index_template = "admin/defence/index.html"  # the payments index links the page

MODE_HELP = {
    "off": "never ask guests for the challenge",
    "on": "every guest payment must answer the challenge",
    "auto": "ask only while many guest payments are declined or refused (the default)",
}


class ChallengeForm(forms.Form):
    mode = forms.ChoiceField(
        choices=[(mode, f"{mode}: {MODE_HELP[mode]}") for mode in MODES],
        widget=forms.RadioSelect,
    )


def challenge_admin_view(request: HttpRequest) -> HttpResponseBase:
    state = challenge_output()
    if request.method == "POST":
        form = ChallengeForm(request.POST)
        if form.is_valid():
            mode = form.cleaned_data["mode"]
            services.challenge_switch(mode=mode, staff_user_id=platform_user_id(request))
            messages.success(request, f"Challenge mode is now {mode}.")
            return HttpResponseRedirect(reverse("defence_challenge"))
    else:
        form = ChallengeForm(initial={"mode": state["mode"]})
    context = {
        **admin.site.each_context(request),
        "title": "Card-testing challenge",
        "state": state,
        "auto_rule": (
            f"at least {settings.CHALLENGE_BAD_SHARE:.0%} of at least "
            f"{settings.CHALLENGE_MIN_ATTEMPTS} guest payment attempts in the last "
            f"{settings.CHALLENGE_WINDOW_SECONDS} seconds were declined or refused; off again "
            f"after {settings.CHALLENGE_CALM_SECONDS} seconds without one"
        ),
        "form": form,
    }
    return TemplateResponse(request, "admin/defence/challenge.html", context)
