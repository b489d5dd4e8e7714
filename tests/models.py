"""Host-project models the tests order against: who offers items, what a basket is for."""

from django.db import models
from django_fsm import RETURN_VALUE, FSMField, transition


class Organization(models.Model):
    name = models.CharField(max_length=100)

    class Meta:
        app_label = "tests"

    def __str__(self) -> str:
        return self.name


class Visit(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    patient = models.CharField(max_length=100)

    class Meta:
        app_label = "tests"

    def __str__(self) -> str:
        return f"Visit of {self.patient}"


# --- State machines the diagram tests draw -----------------------------------------------


class ParcelStatus(models.TextChoices):
    PACKED = "packed", "Packed"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    LOST = "lost", "Lost in transit"
    RETURNED = "returned", "Returned to sender"


def parcel_has_label(parcel: "Parcel") -> bool:
    return bool(parcel.address)


def recipient_signed(parcel: "Parcel") -> bool:
    return parcel.signed


recipient_signed.label = "signed for"  # type: ignore[attr-defined]


class Parcel(models.Model):
    """Guards (one labelled), a transition from several sources and an ``on_error`` state."""

    address = models.CharField(max_length=100, blank=True, default="")
    signed = models.BooleanField(default=False)
    status = FSMField(choices=ParcelStatus.choices, default=ParcelStatus.PACKED)

    class Meta:
        app_label = "tests"

    def __str__(self) -> str:
        return f"Parcel to {self.address or '?'} ({self.status})"

    @transition(
        field=status,
        source=ParcelStatus.PACKED,
        target=ParcelStatus.SHIPPED,
        conditions=[parcel_has_label],
    )
    def ship(self) -> None:
        """Hand the parcel to the carrier."""

    @transition(
        field=status,
        source=ParcelStatus.SHIPPED,
        target=ParcelStatus.DELIVERED,
        on_error=ParcelStatus.LOST,
        conditions=[parcel_has_label, recipient_signed],
    )
    def deliver(self) -> None:
        """The carrier hands it over; if that fails, the parcel is lost."""

    @transition(
        field=status,
        source=[ParcelStatus.PACKED, ParcelStatus.SHIPPED],
        target=ParcelStatus.RETURNED,
    )
    def return_to_sender(self) -> None:
        """Send it back, before or after shipping."""


class Ticket(models.Model):
    """Wildcard sources, a computed target and a state-keeping check; no choices."""

    status = FSMField(default="new")
    phase = FSMField(default="a")

    class Meta:
        app_label = "tests"

    def __str__(self) -> str:
        return f"Ticket {self.pk} ({self.status})"

    @transition(field=status, source="new", target=RETURN_VALUE("open", "closed"))
    def triage(self) -> str:
        """Open the ticket or close it straight away."""
        return "open"

    @transition(field=status, source="+", target="open")
    def reopen(self) -> None:
        """From any state but open."""

    @transition(field=status, source="*", target="closed")
    @transition(field=status, source="closed", target="archived")
    def close(self) -> None:
        """Closing a closed ticket archives it."""

    @transition(field=status, source="*", target=None)
    def touch(self) -> None:
        """Validate without changing the state."""

    @transition(field=phase, source="a", target="b")
    def advance(self) -> None:
        """A second state field on the same model."""


#: Text a diagram must show as it is: quotes, statement ends, entity and HTML starts,
#: braces, DOT's label escapes, a line break and Mermaid's own arrow syntax.
AWKWARD_TEXT = 'Held "for" review; #1 <b>x</b> {y} a:b \\N back\\slash\nnext --> [*] %% end'


def awkward_guard(obj: "Awkward") -> bool:
    return True


awkward_guard.label = AWKWARD_TEXT  # type: ignore[attr-defined]


class Awkward(models.Model):
    """A machine whose state label and guard label need escaping in DOT and Mermaid."""

    status = FSMField(choices=[("held", AWKWARD_TEXT), ("done", "Done")], default="held")

    class Meta:
        app_label = "tests"

    def __str__(self) -> str:
        return f"Awkward {self.pk}"

    @transition(field=status, source="held", target="done", conditions=[awkward_guard])
    def release(self) -> None:
        """Let it go."""


class LabOrder(models.Model):
    """The receiving end of the README's deduplicating handler: one row per event."""

    event_id = models.UUIDField(unique=True)
    basket_id = models.CharField(max_length=64)

    class Meta:
        app_label = "tests"

    def __str__(self) -> str:
        return f"Lab order for basket {self.basket_id}"
