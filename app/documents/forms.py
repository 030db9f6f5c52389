"""The document forms of the pages (new document, edit), taken as the strings a browser sends.

A bad choice or a missing field is not FastAPI's generic 422 page: it is read here into a message beside its field,
and every value is kept for the form shown again (checkboxes included).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Form, UploadFile

from app.access.visibility import Visibility
from app.core import text
from app.core.errors import N_, InvalidInput
from app.documents import service
from app.documents.models import ControlCategory, Document, DocumentType
from app.documents.queries import SECRETARIAT
from app.web.forms import FormReader

# No length limits here: a too-long value is the service's message beside its field, not FastAPI's 422 page (the
# upload guard bounds the whole body).
FormText = Annotated[str, Form()]
CHECKED = "yes"  # what a ticked checkbox sends


@dataclass(frozen=True)
class DocumentForm:
    """The fields the new-document and edit forms share: details, then the marking fieldset."""

    title: str = ""
    description: str = ""
    owner: str = ""
    doc_type: str = ""
    visibility: str = ""
    tags: str = ""
    controlled: str = ""
    category: str = ""
    control_code: str = ""
    release: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def posted(
        cls,
        title: FormText = "",
        description: FormText = "",
        owner: FormText = "",
        doc_type: FormText = "",
        visibility: FormText = "",
        tags: FormText = "",
        controlled: FormText = "",
        category: FormText = "",
        control_code: FormText = "",
        release: Annotated[list[str] | None, Form()] = None,
    ) -> DocumentForm:
        """A FastAPI dependency: the form as sent, every field optional."""
        return cls(
            title,
            description,
            owner,
            doc_type,
            visibility,
            tags,
            controlled,
            category,
            control_code,
            tuple(release or ()),
        )

    @classmethod
    def of(cls, document: Document) -> DocumentForm:
        """The edit form's starting values: the document as it is."""
        return cls(
            title=document.title,
            description=document.description,
            owner=document.owner_country or SECRETARIAT,
            doc_type=document.doc_type.value,
            visibility=document.visibility.value,
            tags=", ".join(document.tag_names),
            controlled=CHECKED if document.controlled else "",
            category=document.control_category.value if document.control_category else "",
            control_code=document.control_code or "",
            release=tuple(document.release_countries),
        )

    def values(self) -> dict[str, Any]:
        """What the templates fill the inputs with."""
        return {
            "title": self.title,
            "description": self.description,
            "owner": self.owner,
            "doc_type": self.doc_type,
            "visibility": self.visibility,
            "tags": self.tags,
            "controlled": self.controlled == CHECKED,
            "category": self.category,
            "control_code": self.control_code,
            "release": list(self.release),
        }

    def parsed(self, reader: FormReader | None = None) -> tuple[service.DocumentFields, service.Marking]:
        """The service's inputs. Every choice that is not on offer is reported at once, each on its field; the
        service then checks the rest (lengths, tags, the marking's completeness)."""
        form = reader or FormReader()
        # The title is checked here too, so a form without one says so together with the other errors.
        form.read(lambda: text.one_line(self.title, N_("a title"), service.TITLE_MAX, field="title"), "")
        owner = form.read(lambda: service.parse_owner(self.owner), None)
        doc_type = form.choice(DocumentType, self.doc_type, field="doc_type", message=N_("choose a document type"))
        visibility = form.choice(
            Visibility, self.visibility, field="visibility", message=N_("choose who may see the document")
        )
        category = (
            form.choice(ControlCategory, self.category, field="category", message=N_("choose a category from the list"))
            if self.category
            else None
        )
        form.done()
        assert doc_type is not None and visibility is not None  # form.done() raised otherwise
        fields = service.DocumentFields(
            self.title, self.description, owner, doc_type, visibility, tuple(self.tags.split(","))
        )
        marking = service.Marking(self.controlled == CHECKED, category, self.control_code, self.release)
        return fields, marking


def chosen_file(file: UploadFile | None) -> UploadFile:
    """A browser sends an empty file field (no name) when no file was chosen."""
    if file is None or not file.filename:
        raise InvalidInput(N_("choose a file to upload"), field="file")
    return file
