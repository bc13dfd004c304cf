"""What each role may do. One table, read by every service: the web and API layers never decide access.

Buyer organisations have ``admin`` (manages its users, and everything a buyer does), ``buyer`` (prepares,
publishes, answers, opens, awards) and ``evaluator`` (scores opened bids). ``open_bids`` is the opening role of
the law's "ouverture des plis". Supplier companies have ``supplier`` users. Platform operators create
organisations but hold no buyer or supplier permission: they can never open or read a bid.
"""

from __future__ import annotations

from spaser.accounts.models import User
from spaser.errors import AuthenticationError, PermissionDeniedError

PERMISSIONS: dict[str, frozenset[str]] = {
    "manage_users": frozenset({"admin"}),
    "edit_consultation": frozenset({"admin", "buyer"}),
    "answer_questions": frozenset({"admin", "buyer"}),
    "open_bids": frozenset({"admin", "buyer"}),
    "evaluate": frozenset({"admin", "buyer", "evaluator"}),
    "award": frozenset({"admin", "buyer"}),
    "view_buyer_workspace": frozenset({"admin", "buyer", "evaluator"}),
    "deposit_bid": frozenset({"supplier"}),
    "ask_question": frozenset({"supplier"}),
    # Sourcing space and guichet vert.
    "plan_purchases": frozenset({"admin", "buyer"}),
    "edit_profile": frozenset({"supplier"}),
    "express_interest": frozenset({"supplier"}),
    "propose_clause": frozenset({"admin", "buyer"}),
    "request_help": frozenset({"admin", "buyer", "evaluator"}),
    # Egalim: import the organisation's catering purchase files from the web.
    "import_egalim": frozenset({"admin", "buyer"}),
}


def require_platform_admin(user: User | None, action: str) -> User:
    """Platform operators validate library clauses and run the help desk; nobody else may."""
    if user is None:
        raise AuthenticationError("log in first")
    if not (user.active and user.is_platform_admin):
        raise PermissionDeniedError(f"only a platform administrator may {action}")
    return user


def can(user: User | None, permission: str, organisation_id: int | None = None) -> bool:
    if user is None or not user.active or user.role is None:
        return False
    if user.role not in PERMISSIONS[permission]:
        return False
    return organisation_id is None or user.organisation_id == organisation_id


def require(user: User | None, permission: str, organisation_id: int | None = None) -> User:
    """The user, when it holds ``permission`` in ``organisation_id``; else a 401 (anonymous) or 403 error."""
    if user is None:
        raise AuthenticationError("log in first")
    if not can(user, permission, organisation_id):
        where = "" if organisation_id is None else " for this organisation"
        raise PermissionDeniedError(f"your role ({user.role or 'none'}) may not {permission.replace('_', ' ')}{where}")
    return user
