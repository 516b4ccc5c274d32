"""Upload checks for evidence files: size, and type from the content (never the name).

Allowed: PDF, PNG, JPEG, GIF, Word/Excel/PowerPoint (Office Open XML, no macros),
OpenDocument text and spreadsheets, and plain text or CSV in UTF-8. Everything
else (HTML, SVG, scripts, executables, other archives) is refused with a message
that names the file.
"""

import codecs
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError

DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024
ALLOWED_DESCRIPTION = (
    "PDF, Word, Excel, PowerPoint, OpenDocument text or spreadsheet, PNG, JPEG or GIF image, or plain text or CSV"
)

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
GIF = "image/gif"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
TEXT = "text/plain"
CSV = "text/csv"

MAGIC = ((b"%PDF-", PDF), (b"\x89PNG\r\n\x1a\n", PNG), (b"\xff\xd8\xff", JPEG), (b"GIF87a", GIF), (b"GIF89a", GIF))
OOXML_PARTS = (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX))
OPENDOCUMENT = {ODT.encode(): ODT, ODS.encode(): ODS}
# Text that a browser could treat as a page or an image with scripts in it.
MARKUP = re.compile(rb"<\s*(?:!doctype|html|head|body|script|svg|iframe|object|embed|\?xml|meta|a\s|img\s)", re.I)
CHUNK = 64 * 1024


class Refused(Exception):
    """Why a file's content is not allowed (a sentence without the file name)."""


@dataclass(frozen=True)
class CheckedFile:
    upload: object  # the UploadedFile, rewound
    original_name: str
    content_type: str
    size: int
    sha256: str


def max_upload_bytes():
    return getattr(settings, "EVIDENCE_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES)


def _megabytes(size):
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


def clean_name(name):
    """The person's file name, kept only as a label: no folders, no control characters, at most 255 characters."""
    name = re.split(r"[\\/]", name or "")[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if len(name) > 255:
        stem, dot, extension = name.rpartition(".")
        name = (stem[: 254 - len(extension)] + dot + extension) if dot and len(extension) < 20 else name[:255]
    return name or "file"


def _zip_type(fileobj):
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise Refused("It looks like a damaged or unsupported archive.") from error
    with archive:
        names = archive.namelist()
        if names and names[0] == "mimetype":
            info = archive.getinfo("mimetype")
            if info.file_size <= 100:
                kind = OPENDOCUMENT.get(archive.read("mimetype").strip())
                if kind:
                    return kind
            raise Refused("It is an OpenDocument file of a kind that is not accepted (text and spreadsheets are).")
        if "[Content_Types].xml" in names:
            if any(name.lower().endswith("vbaproject.bin") for name in names):
                raise Refused("It contains macros; save it as an ordinary document (.docx, .xlsx or .pptx).")
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size <= 1024 * 1024 and b"macroenabled" in archive.read(info).lower():
                raise Refused("It contains macros; save it as an ordinary document (.docx, .xlsx or .pptx).")
            for prefix, kind in OOXML_PARTS:
                if any(name.startswith(prefix) for name in names):
                    return kind
        raise Refused("It is a zip archive; upload the documents inside it one by one.")


def _is_text(fileobj):
    """UTF-8 throughout, no NUL bytes, and not markup (HTML, SVG, XML)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    first = True
    while chunk := fileobj.read(CHUNK):
        if b"\x00" in chunk:
            return False
        if first:
            if chunk.lstrip(b"\xef\xbb\xbf \t\r\n\x0c").startswith(b"<") or MARKUP.search(chunk):
                raise Refused("It looks like a web page or markup (HTML, SVG or XML), which could run scripts.")
            first = False
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError:
            return False
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_content_type(fileobj, name=""):
    """The content type of an allowed file, judged from its bytes; raises Refused otherwise.

    `name` is used only to label text as CSV; it never makes a file acceptable.
    """
    fileobj.seek(0)
    head = fileobj.read(16)
    fileobj.seek(0)
    if not head:
        raise Refused("It is empty.")
    for magic, kind in MAGIC:
        if head.startswith(magic):
            return kind
    if head.startswith(b"PK\x03\x04"):
        return _zip_type(fileobj)
    if _is_text(fileobj):
        return CSV if name.lower().endswith(".csv") else TEXT
    raise Refused("Its content is not a type that is accepted.")


def _sha256(upload):
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    return digest.hexdigest()


def check_upload(upload, *, max_bytes=None):
    """Check one UploadedFile; returns a CheckedFile or raises ValidationError naming the file."""
    max_bytes = max_upload_bytes() if max_bytes is None else max_bytes
    name = clean_name(getattr(upload, "name", ""))
    size = upload.size
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    if size > max_bytes:
        raise ValidationError(f"{name} is {_megabytes(size)}; files can be up to {_megabytes(max_bytes)}.")
    try:
        content_type = detect_content_type(upload, name)
    except Refused as refused:
        raise ValidationError(f"{name} cannot be uploaded. {refused} Upload a {ALLOWED_DESCRIPTION} file.") from None
    upload.seek(0)
    sha256 = _sha256(upload)
    upload.seek(0)
    return CheckedFile(upload=upload, original_name=name, content_type=content_type, size=size, sha256=sha256)
