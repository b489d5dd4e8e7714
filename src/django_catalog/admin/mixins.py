"""Reusable admin pieces for soft-deleted models and django-fsm transitions run by services.

Nothing here knows the catalog's models: a host project can use these mixins on its own
django-fsm models with their own services.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import capfirst
from django_fsm import TransitionNotAllowed
from django_fsm.admin import FSMAdminMixin

from ..exceptions import CatalogError

if TYPE_CHECKING:
    from django_fsm import Transition

#: Runs one transition through its service: ``(obj, actor, cleaned form data)``.
TransitionService = Callable[[Any, Any, Mapping[str, Any]], Any]


# --- soft delete ---------------------------------------------------------------------------


class DeletedFilter(admin.SimpleListFilter):
    """Hide soft-deleted rows by default; show them, alone or with the rest, on request."""

    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Deleted only"), ("all", "All, including deleted")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "all":
            return queryset
        return queryset.filter(deleted_at__isnull=self.value() != "yes")

    def choices(self, changelist: Any) -> Iterator[Any]:
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "Not deleted",
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class SoftDeleteAdmin(admin.ModelAdmin):
    """Lists and edits rows through ``all_objects`` so soft-deleted rows stay reachable.

    The models decide what may be deleted or restored: when one refuses with a catalog
    error, the page shows it as a message and nothing of that row changes.
    """

    actions = ["delete_selected", "restore_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = self.model.all_objects.get_queryset()
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        return [*super().get_list_filter(request), DeletedFilter]

    @admin.display(boolean=True, description="deleted")
    def is_deleted(self, obj: Any) -> bool:
        return bool(obj.is_deleted)

    def get_deleted_objects(
        self, objs: Any, request: HttpRequest
    ) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
        """What "Delete" will do: soft-delete exactly the chosen rows.

        Django's own answer lists what a hard delete would cascade to, and refuses when a
        ``PROTECT`` foreign key points at a row (a catalog item that was ordered). A soft
        delete removes no row, so nothing cascades and nothing protects it.
        """
        rows = list(objs)
        name = capfirst(str(self.model._meta.verbose_name))
        to_delete = [format_html("{}: {}", name, row) for row in rows]
        count = {str(self.model._meta.verbose_name_plural): len(rows)}
        return to_delete, count, set(), []

    @admin.action(description="Restore selected %(verbose_name_plural)s", permissions=["change"])
    def restore_selected(self, request: HttpRequest, queryset: Any) -> None:
        """Restore the deleted rows one by one: each refusal is shown, the others restored."""
        selected = queryset.count()
        restored = 0
        for obj in queryset.filter(deleted_at__isnull=False):
            try:
                obj.restore()
            except CatalogError as error:
                self.message_user(request, f"Not restored: {error}", messages.ERROR)
            else:
                restored += 1
        self.message_user(request, f"Restored {restored} of {selected} selected rows.")

    @admin.action(description="Delete selected %(verbose_name_plural)s", permissions=["delete"])
    def delete_selected(self, request: HttpRequest, queryset: Any) -> HttpResponse | None:
        """Django's delete action; a refusal (one row may not be deleted) deletes nothing.

        In one transaction, so the admin log's "deleted" entries go too when it is refused.
        """
        try:
            with transaction.atomic(using=queryset.db):
                return django_delete_selected(self, request, queryset)
        except CatalogError as error:
            self.message_user(request, f"Nothing deleted: {error}", messages.ERROR)
            return None

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Django's delete page; a refusal is shown on the object's page instead of a 500."""
        try:
            return super().delete_view(request, object_id, extra_context)
        except CatalogError as error:
            self.message_user(request, f"Not deleted: {error}", messages.ERROR)
            opts = self.opts
            return HttpResponseRedirect(
                reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_change",
                    args=[object_id],
                    current_app=self.admin_site.name,
                )
            )


# --- transitions ---------------------------------------------------------------------------


class TransitionServiceAdmin(FSMAdminMixin):
    """Runs transition buttons through :attr:`transition_services`, never the bare method.

    Only transitions listed there get a button; the others (and forged requests for them)
    are refused, and their transition pages are a 404. Pressing a button takes the view and
    change permissions on the object and the transition's permission, and saves nothing of
    the change form. Deleted rows get no buttons. Catalog errors become admin messages, not
    server errors.
    """

    fsm_fields = ["status"]
    transition_services: ClassVar[dict[str, TransitionService]] = {}

    @staticmethod
    def get_fsm_block_label(fsm_field_name: str) -> str:
        return f"Change {fsm_field_name}"

    def is_fsm_transition_visible(self, transition: Transition) -> bool:
        return transition.name in self.transition_services and super().is_fsm_transition_visible(
            transition
        )

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "POST" and request.POST.get(self.fsm_post_param):
            return self._press_transition_button(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def _press_transition_button(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """A transition button runs its transition and nothing else.

        The change form posted with it is not validated or saved: what was typed into it (or
        what a tab opened earlier still shows) never overwrites the row.
        """
        obj = self._transition_object(request, object_id)
        if isinstance(obj, HttpResponse):
            return obj
        name = request.POST[self.fsm_post_param]
        if name not in self.transition_services:
            self.message_user(request, f"{name!r} cannot be run from the admin.", messages.ERROR)
            return HttpResponseRedirect(request.path)
        transition = self._get_fsm_transition_by_name(obj=obj, transition_name=name)
        if self.get_fsm_transition_form(transition):
            return HttpResponseRedirect(self._transition_url(obj, name))
        self._apply_fsm_transition(obj=obj, transition_name=name, request=request)
        return HttpResponseRedirect(
            add_preserved_filters(
                {"preserved_filters": self.get_preserved_filters(request), "opts": self.opts},
                request.path,
            )
        )

    def fsm_transition_view(
        self, request: HttpRequest, object_id: str, transition_name: str, **kwargs: Any
    ) -> HttpResponse:
        """The page of a transition that asks for input (a 404 for any other name).

        ``?next=`` (a page of this site) is where it returns to once done or refused,
        instead of the object's change page.
        """
        if not self._has_transition_page(transition_name):
            raise Http404(f"{self.opts.verbose_name} has no transition page {transition_name!r}")
        obj = self._transition_object(request, object_id)
        if isinstance(obj, HttpResponse):
            return obj
        response: HttpResponse = super().fsm_transition_view(
            request, object_id, transition_name, **kwargs
        )
        back = request.GET.get("next", "")
        if response.status_code == 302 and url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return HttpResponseRedirect(back)
        return response

    def _has_transition_page(self, name: str) -> bool:
        """Only a transition run through a service and asking for input has a page."""
        if name not in self.transition_services:
            return False
        transition = self._get_fsm_transition_by_name(obj=self.model, transition_name=name)  # type: ignore[arg-type]
        return self.get_fsm_transition_form(transition) is not None

    def _transition_object(self, request: HttpRequest, object_id: str) -> Any:
        """The object a transition is asked for, or the response that refuses it.

        Running a transition changes the object, so it takes the view and change permissions
        on it, on top of the transition's own permission (checked when it runs). A deleted
        row is not worked on.
        """
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)  # type: ignore[attr-defined]
        if not (
            self.has_view_permission(request, obj) and self.has_change_permission(request, obj)
        ):
            raise PermissionDenied
        if getattr(obj, "is_deleted", False):
            self.message_user(
                request,
                f"{capfirst(str(self.opts.verbose_name))} {obj.pk} was deleted; "
                "restore it before changing its status.",
                messages.ERROR,
            )
            return HttpResponseRedirect(
                reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk])
            )
        return obj

    def _transition_url(self, obj: Any, name: str) -> str:
        opts = self.opts
        return reverse(
            f"admin:{opts.app_label}_{opts.model_name}_transition",
            kwargs={"object_id": obj.pk, "transition_name": name},
        )

    def _get_fsm_extra_context(self, *, request: HttpRequest, obj: Any) -> list[Any]:  # type: ignore[override]
        # A user who may not change the object cannot submit its form, so gets no button.
        # A list, not django-fsm's generator, so the context can be read more than once.
        # A deleted row is not worked on: its services refuse, so it shows no button either.
        if obj is None or getattr(obj, "is_deleted", False):
            return []
        if not self.has_change_permission(request, obj):
            return []
        return list(super()._get_fsm_extra_context(request=request, obj=obj))

    def _apply_fsm_transition(
        self,
        *,
        obj: Any,
        transition_name: str,
        request: HttpRequest,
        kwargs: Mapping[str, Any] | None = None,
    ) -> bool:
        service = self.transition_services.get(transition_name)
        try:
            transition = self._get_fsm_transition_by_name(obj=obj, transition_name=transition_name)
        except (AttributeError, TypeError, ValueError):
            service = None
        if service is None:
            self.message_user(
                request, f"{transition_name!r} cannot be run from the admin.", messages.ERROR
            )
            return False
        label = self.get_fsm_label(transition)
        if not transition.has_perm(obj, request.user):
            self.message_user(
                request, f"You do not have permission to run {label!r}.", messages.ERROR
            )
            return False
        try:
            result = service(obj, request.user, dict(kwargs or {}))
        except CatalogError as error:
            self.message_user(
                request, f"{label} refused: {self.refusal_text(obj, error)}", messages.ERROR
            )
            return False
        except TransitionNotAllowed:
            obj.refresh_from_db()
            self.message_user(
                request, f"{label} is not allowed while it is {obj.status}.", messages.ERROR
            )
            return False
        except (ValueError, ValidationError) as error:
            self.message_user(request, f"{label} refused: {_error_text(error)}", messages.ERROR)
            return False
        self.transition_done(request, obj, transition_name, label, result)
        return True

    def transition_done(
        self, request: HttpRequest, obj: Any, transition_name: str, label: str, result: Any
    ) -> None:
        """Tell the user the transition ran; ``result`` is what its service returned."""
        self.message_user(request, f"{label}: done.", messages.SUCCESS)

    def refusal_text(self, obj: Any, error: CatalogError) -> str:
        """Why the service refused, as the user reads it (the error's own message here)."""
        return str(error)


def _error_text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(error.messages)
    return str(error)


class ReadOnlyMixin:
    """Rows that are records: they can be read and searched, never added, edited or deleted.

    For model admins and inlines alike (an inline's ``has_add_permission`` also takes the
    parent object).
    """

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInlineMixin(ReadOnlyMixin):
    """Inlines that show related rows; changing them goes through the services."""

    extra = 0
    can_delete = False
    show_change_link = True
