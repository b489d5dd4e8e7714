"""The work board: open work in columns by status, under the work-item state machine.

An admin page of :class:`~django_catalog.admin.model_admins.WorkItemAdmin`, at
``admin:django_catalog_work_board``. Each card offers the transitions its user may run, and
runs them the way the change page does (:class:`.mixins.TransitionServiceAdmin`: the same
permission checks, services and messages); a transition that asks for something first (the
reason for a block) opens its usual page and comes back to the board.

The page costs the same number of queries whatever the number of cards: the cards come with
their line, item, basket and assignee in one query, the baskets' contexts in one query per
context type, the block reasons in one query, the counts in one grouped query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Count, Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe

from ..diagrams import render_page_svg
from ..models import Basket, CatalogStateLog, WorkItem
from ..states import OPEN_WORK_STATES, WorkItemStatus
from ..validation import WORK_TYPE_MAX_LENGTH, object_id_text

#: The board's URL name in the admin's namespace.
BOARD_URL_NAME = "django_catalog_work_board"

#: Filter values of ``assignee`` that are not a user's id.
MINE, UNASSIGNED = "mine", "unassigned"

_EVERYONE = object()  # no assignee filter

UNKNOWN_USER = "No user with id {value!r}."
UNKNOWN_CONTEXT = "No basket is for {value!r}; expected <content type id>:<object id>."


def context_key(content_type_id: int | None, object_id: str) -> str:
    """How a basket's context is written in the board's ``context`` filter."""
    return f"{content_type_id}:{object_id}"


class BoardFilterForm(forms.Form):
    """The board's filters, read from the query string; each value is checked."""

    status = forms.ChoiceField(
        required=False,
        choices=[("", "All open work"), *[(s.value, s.label) for s in OPEN_WORK_STATES]],
    )
    work_type = forms.CharField(required=False, max_length=WORK_TYPE_MAX_LENGTH)
    assignee = forms.CharField(required=False, help_text='"mine", "unassigned" or a user id')
    context = forms.CharField(required=False, help_text="<content type id>:<object id>")

    def __init__(self, data: Any, *, user: Any) -> None:
        super().__init__(data)
        self.user = user

    def clean_assignee(self) -> Any:
        value = self.cleaned_data["assignee"]
        if not value:
            return _EVERYONE
        if value == MINE:
            return self.user
        if value == UNASSIGNED:
            return None
        try:
            return get_user_model()._default_manager.get(pk=value)
        except (ObjectDoesNotExist, ValueError, ValidationError):
            raise ValidationError(UNKNOWN_USER.format(value=value)) from None

    def clean_context(self) -> Model | None:
        """The object the filtered baskets are for; only an object some basket is for."""
        value = self.cleaned_data["context"]
        if not value:
            return None
        type_id, _, object_id = value.partition(":")
        refused = ValidationError(UNKNOWN_CONTEXT.format(value=value))
        if not type_id.isdigit() or not object_id:
            raise refused
        if not Basket.objects.filter(
            context_content_type_id=int(type_id), context_id=object_id
        ).exists():
            raise refused
        content_type = ContentType.objects.get_for_id(int(type_id))
        model = content_type.model_class()
        if model is None:
            raise refused
        try:
            return model._default_manager.get(pk=object_id)
        except (ObjectDoesNotExist, ValueError, ValidationError):
            raise refused from None

    def filter(self, work: QuerySet[WorkItem]) -> Any:
        """``work`` narrowed by every filter but the status, through the queryset's filters."""
        data = self.cleaned_data
        if data["work_type"]:
            work = work.of_type(data["work_type"])  # type: ignore[attr-defined]
        if data["assignee"] is not _EVERYONE:
            work = work.assigned_to_user(data["assignee"])  # type: ignore[attr-defined]
        if data["context"] is not None:
            work = work.for_context(data["context"])  # type: ignore[attr-defined]
        return work


@dataclass
class CardAction:
    """A transition button on a card: posted to the board, or a link to its form page."""

    name: str
    label: str
    help_text: str | None
    form_url: str | None = None


@dataclass
class Card:
    work_item: WorkItem
    context: Any
    block_reason: str = ""
    actions: list[CardAction] = field(default_factory=list)


@dataclass
class Column:
    status: str
    label: str
    cards: list[Card]


class WorkBoardAdmin:
    """Adds the work board to the work items' admin (with :class:`TransitionServiceAdmin`)."""

    board_template = "admin/django_catalog/workitem/board.html"

    def get_urls(self) -> list[URLPattern]:
        board = path(
            "board/",
            self.admin_site.admin_view(self.board_view),  # type: ignore[attr-defined]
            name=BOARD_URL_NAME,
        )
        return [board, *super().get_urls()]  # type: ignore[misc]

    def board_url(self, **query: str) -> str:
        url = reverse(f"{self.admin_site.name}:{BOARD_URL_NAME}")  # type: ignore[attr-defined]
        query = {key: value for key, value in query.items() if value}
        return f"{url}?{urlencode(query)}" if query else url

    def board_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):  # type: ignore[attr-defined]
            raise PermissionDenied
        if request.method == "POST":
            return self._run_card_transition(request)
        form = BoardFilterForm(request.GET, user=request.user)
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "opts": self.model._meta,  # type: ignore[attr-defined]
            "title": "Work board",
            "form": form,
            "board_url": self.board_url(),
        }
        if not form.is_valid():
            return TemplateResponse(request, self.board_template, context, status=400)
        work = form.filter(WorkItem.objects.all())
        status = form.cleaned_data["status"]
        shown = [s for s in OPEN_WORK_STATES if not status or s == status]
        cards = self._cards(request, work.filter(status__in=shown))
        columns = [
            Column(s.value, s.label, [c for c in cards if c.work_item.status == s]) for s in shown
        ]
        filters = {
            name: request.GET.get(name, "")
            for name in ("status", "work_type", "assignee", "context")
        }
        context.update(
            columns=columns,
            diagram=self._diagram(work, filters),
            options=self._filter_options(request),
            filters=filters,
            here=request.get_full_path(),
        )
        return TemplateResponse(request, self.board_template, context)

    # --- the cards -------------------------------------------------------------------------

    def _cards(self, request: HttpRequest, work: Any) -> list[Card]:
        work_items = list(
            work.select_related(
                "basket_item__catalog_item", "basket_item__basket", "assigned_to"
            ).prefetch_related("basket_item__basket__context")
        )
        reasons = block_reasons([w for w in work_items if w.status == WorkItemStatus.BLOCKED])
        here = request.get_full_path()
        return [
            Card(
                work_item=work_item,
                context=work_item.basket_item.basket.context,
                block_reason=reasons.get(work_item.pk, ""),
                actions=self._actions(request, work_item, here),
            )
            for work_item in work_items
        ]

    def _actions(self, request: HttpRequest, work_item: WorkItem, here: str) -> list[CardAction]:
        """The buttons the change page would offer this user for this work item."""
        actions = []
        for block in self._get_fsm_extra_context(request=request, obj=work_item):  # type: ignore[attr-defined]
            for offered in block.available_transitions:
                action = CardAction(offered.name, offered.label, offered.help_text)
                if self._has_transition_page(offered.name):  # type: ignore[attr-defined]
                    action.form_url = self._card_transition_url(work_item, offered.name, here)
                actions.append(action)
        # The buttons that act at once first, then those that ask for something.
        return sorted(actions, key=lambda action: action.form_url is not None)

    def _card_transition_url(self, work_item: WorkItem, name: str, back_to: str) -> str:
        """The transition's own page, coming back to ``back_to`` (the board) when done."""
        url = self._transition_url(work_item, name)  # type: ignore[attr-defined]
        return f"{url}?{urlencode({'next': back_to})}"

    def _run_card_transition(self, request: HttpRequest) -> HttpResponse:
        """A card's button: run it as the change page would, then show the board again.

        The same doors as the change page's buttons: the view and change permissions on the
        work item (403 without them), a deleted row refused, then the transition's own
        permission and service (:meth:`TransitionServiceAdmin._apply_fsm_transition`).
        """
        back = request.get_full_path()
        work_item_id = request.POST.get("work_item", "")
        name = request.POST.get("transition", "")
        if self.get_object(request, work_item_id) is None:  # type: ignore[attr-defined]
            self.message_user(request, "That work item no longer exists.", messages.ERROR)  # type: ignore[attr-defined]
            return HttpResponseRedirect(back)
        work_item = self._transition_object(request, work_item_id)  # type: ignore[attr-defined]
        if isinstance(work_item, HttpResponse):
            return work_item
        if self._has_transition_page(name):  # type: ignore[attr-defined]
            return HttpResponseRedirect(self._card_transition_url(work_item, name, back))
        self._apply_fsm_transition(obj=work_item, transition_name=name, request=request)  # type: ignore[attr-defined]
        return HttpResponseRedirect(back)

    # --- the picture and the filters -------------------------------------------------------

    def _diagram(self, work: Any, filters: dict[str, str]) -> str:
        """The state machine with the number of (filtered) work items in each state.

        An open state links to the board showing it; a final one to the work-item list,
        which pages through history the board does not show.
        """
        counts = dict(work.order_by().values_list("status").annotate(count=Count("pk")))
        labels = {s.value: f"{s.label}\n{counts.get(s.value, 0)}" for s in WorkItemStatus}
        opts = self.model._meta  # type: ignore[attr-defined]
        changelist = reverse(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_changelist"  # type: ignore[attr-defined]
        )
        links = {
            s.value: (
                self.board_url(**{**filters, "status": s.value})
                if s in OPEN_WORK_STATES
                else f"{changelist}?{urlencode({'status__exact': s.value})}"
            )
            for s in WorkItemStatus
        }
        svg = render_page_svg(WorkItem, "status", state_labels=labels, state_links=links)
        return mark_safe(svg)  # drawn by the renderer, which escapes every label and link

    def _filter_options(self, request: HttpRequest) -> dict[str, list[tuple[str, str]]]:
        """What the filters offer: the values the open work actually has."""
        open_work = WorkItem.objects.open()
        work_types = open_work.order_by("work_type").values_list("work_type", flat=True)
        assignees = (
            get_user_model()
            ._default_manager.filter(work_items_assigned__in=open_work)
            .distinct()
            .order_by(get_user_model().USERNAME_FIELD)
        )
        baskets = (
            Basket.objects.filter(items__work_items__in=open_work)
            .exclude(context_content_type=None)
            .distinct()
            .prefetch_related("context")
        )
        contexts = {
            context_key(basket.context_content_type_id, basket.context_id): str(basket.context)
            for basket in baskets
            if basket.context is not None
        }
        return {
            "work_type": [(name, name) for name in dict.fromkeys(work_types)],
            "assignee": [
                (MINE, "Mine"),
                (UNASSIGNED, "Unassigned"),
                *[(str(user.pk), str(user)) for user in assignees if user != request.user],
            ],
            "context": sorted(contexts.items(), key=lambda option: option[1]),
        }


def block_reasons(work_items: list[WorkItem]) -> dict[Any, str]:
    """Each blocked work item's reason: the description of its latest ``block`` audit row.

    One query for any number of work items.
    """
    if not work_items:
        return {}
    by_text = {object_id_text(w.pk): w.pk for w in work_items}
    rows = (
        CatalogStateLog.objects.filter(
            content_type=ContentType.objects.get_for_model(WorkItem),
            object_id__in=list(by_text),
            transition="block",
        )
        .order_by("timestamp", "id")
        .values_list("object_id", "description")
    )
    return {by_text[object_id]: description for object_id, description in rows}
