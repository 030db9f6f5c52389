"""`/api/v1/working-groups`: groups, their charters and members by country; management by the secretariat."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, status

from app.core.routing import api_router
from app.core.schemas import PageOut
from app.groups import service
from app.groups.deps import GroupsManager, GroupsReader, ReadableGroup
from app.groups.permissions import GroupAction, rules
from app.groups.schemas import GroupDetail, GroupIn, GroupPatch, GroupSummary, MemberIn
from app.web.deps import DbSession, ObjectId, Page
from app.web.openapi import problems
from app.web.page_cache import cached_response

api = api_router(prefix="/api/v1/working-groups", tags=["working groups"])


@api.get("", summary="Working groups the caller may see", name="groups.api.list")
@cached_response
def list_groups(db: DbSession, page: Page, principal: GroupsReader) -> PageOut[GroupSummary]:
    show_names = rules.allows(principal, GroupAction.see_members, None)
    result = service.list_groups(db, principal, page)
    return PageOut.of(result, lambda card: GroupSummary.of(card.group, card.chairs, show_names))


@api.get("/{slug}", summary="One working group with its charter and members by country", name="groups.api.get")
@cached_response
def get_group(group: ReadableGroup, principal: GroupsReader) -> GroupDetail:
    return GroupDetail.of_group(group, rules.allows(principal, GroupAction.see_members, group))


@api.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a working group (secretariat)",
    responses=problems(409),
    name="groups.api.create",
)
def create_group(body: GroupIn, db: DbSession, principal: GroupsManager) -> GroupDetail:
    group = service.create_group(
        db,
        principal,
        slug=body.slug,
        name=body.name,
        technology_area=body.technology_area,
        charter=body.charter,
        name_ja=body.name_ja,
        charter_ja=body.charter_ja,
    )
    return GroupDetail.of_group(group, show_names=True)


@api.patch(
    "/{slug}",
    summary="Change a working group's names, area, charters or status (secretariat)",
    name="groups.api.patch",
)
def patch_group(body: GroupPatch, group: ReadableGroup, db: DbSession, principal: GroupsManager) -> GroupDetail:
    service.update_group(
        db,
        principal,
        group,
        name=body.name if body.name is not None else group.name,
        technology_area=body.technology_area if body.technology_area is not None else group.technology_area,
        charter=body.charter if body.charter is not None else group.charter,
        status=body.status or group.status,
        name_ja=body.name_ja,
        charter_ja=body.charter_ja,
    )
    return GroupDetail.of_group(group, show_names=True)


@api.put(
    "/{slug}/members",
    summary="Add a member or change their role (chair, member, observer)",
    name="groups.api.set_member",
)
def put_member(body: MemberIn, group: ReadableGroup, db: DbSession, principal: GroupsManager) -> GroupDetail:
    service.set_membership(db, principal, group, body.user_id, body.role)
    return GroupDetail.of_group(group, show_names=True)


@api.delete(
    "/{slug}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a member",
    name="groups.api.remove_member",
)
def delete_member(
    user_id: ObjectId,
    group: ReadableGroup,
    db: DbSession,
    principal: GroupsManager,
    reason: Annotated[str, Query(max_length=500, description="Why; kept on the audit trail")] = "",
) -> None:
    service.remove_member(db, principal, group, user_id, reason=reason)
