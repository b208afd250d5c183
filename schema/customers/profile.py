"""The customer's profile, merged from the backends, and `customerUpdate`, which writes to the
system of record."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from domain.api_keys import Scope
from domain.carts import UserError as DomainUserError
from domain.error_codes import CustomerErrorCode
from domain.records import Address
from resolvers import customer_update, profile
from schema.catalog.types import FieldSource
from schema.context import ctx
from schema.scopes import needs
from schema.user_errors import UserError, code_enum, field_path, member

code_enum(CustomerErrorCode)


@strawberry.type(description="A postal address.")
class MailingAddress:
    street: str | None
    city: str | None
    zip: str | None
    country_code: str | None

    @classmethod
    def of(cls, address: Address) -> MailingAddress:
        return cls(street=address.street, city=address.city, zip=address.zip, country_code=address.country_code)


@strawberry.type(description="Who the customer is, merged from the ERP's contact (first), the web-shop's and the "
                             "app backend's customer; `sources` says which backend supplied each field.")
class CustomerProfile:
    record: strawberry.Private[profile.Profile]

    @strawberry.field
    def email(self) -> str | None:
        return self.record.email

    @strawberry.field
    def first_name(self) -> str | None:
        return self.record.first_name

    @strawberry.field
    def last_name(self) -> str | None:
        return self.record.last_name

    @strawberry.field
    def phone(self) -> str | None:
        return self.record.phone

    @strawberry.field(description="The main address first, then delivery addresses.")
    def addresses(self) -> list[MailingAddress]:
        return [MailingAddress.of(a) for a in self.record.addresses]

    @strawberry.field(description="Null when no backend keeps marketing consent.")
    def accepts_marketing(self) -> bool | None:
        return self.record.accepts_marketing

    @strawberry.field(description="Customer groups, roles or loyalty tiers, of every backend that has them.")
    def customer_groups(self) -> list[str]:
        return list(self.record.groups)

    @strawberry.field(description="Which backend supplied each field (`customerGroups`: each that has some).")
    def sources(self) -> list[FieldSource]:
        names = {"first_name": "firstName", "last_name": "lastName", "accepts_marketing": "acceptsMarketing",
                 "groups": "customerGroups"}
        return [FieldSource(field=names.get(field, field), backend=backend) for field, backend in self.record.sources]


def profile_of(info: Info, found: profile.Profile) -> CustomerProfile:
    """The profile, each backend that failed reported at this field."""
    for failure in found.failures:
        ctx(info).report(info.path.as_list(), failure)
    return CustomerProfile(record=found)


@strawberry.input
class MailingAddressInput:
    street: str | None = None
    city: str | None = None
    zip: str | None = None
    country_code: str | None = strawberry.field(default=None, description="ISO 3166 alpha-2, e.g. DE.")


@strawberry.input(description="The fields to change; those left out stay as they are.")
class CustomerUpdateInput:
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = strawberry.field(default=None, description="An empty string removes it.")
    accepts_marketing: bool | None = None
    address: MailingAddressInput | None = strawberry.field(default=None, description="The main address.")


@strawberry.type(description="Why customerUpdate changed nothing.")
class CustomerUserError(UserError):
    code: CustomerErrorCode

    @classmethod
    def of(cls, error: DomainUserError) -> CustomerUserError:
        return cls(code=member(CustomerErrorCode, error.code), message=error.message, field=field_path(error.field))


@strawberry.type
class CustomerUpdatePayload:
    profile: CustomerProfile | None
    user_errors: list[CustomerUserError]


@strawberry.type
class CustomerMutation:
    @strawberry.mutation(description="Writes the signed-in customer's name, phone, consent or main address to the "
                                     "system of record (the ERP's contact, made now when there is none) and answers "
                                     "the merged profile.", extensions=[needs(Scope.PROFILE_WRITE)])
    async def customer_update(self, info: Info, input: CustomerUpdateInput) -> CustomerUpdatePayload:
        address = input.address
        given = customer_update.CustomerInput(
            first_name=input.first_name, last_name=input.last_name, phone=input.phone,
            accepts_marketing=input.accepts_marketing,
            address=customer_update.AddressInput(street=address.street, city=address.city, zip=address.zip,
                                                 country_code=address.country_code) if address else None)
        found, errors = await customer_update.update(ctx(info), given)
        return CustomerUpdatePayload(profile=profile_of(info, found) if found else None,
                                     user_errors=[CustomerUserError.of(e) for e in errors])
