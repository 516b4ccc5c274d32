"""Upload checks for evidence files: size, and type from the content (never the name).

Allowed: PDF, PNG, JPEG, GIF, Word/Excel/PowerPoint (Office Open XML, no macros),
OpenDocument text and spreadsheets, and plain text or CSV in UTF-8. Everything
else (HTML, SVG, scripts, executables, other archives) is refused with a message
that names the file. Office and OpenDocument files are zips: one that would unpack
to far more than its size (a zip bomb) is refused. Images are decoded and stored
re-encoded, which drops EXIF (where and when a photo was taken) and anything hidden
after the picture; an image too large to decode safely (a pixel flood) is refused.
"""

import codecs
import hashlib
import io
import re
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import ExifTags, Image, ImageFile, ImageOps

DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_FILES = 100
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
# The extension a download is saved with, so the computer opens it as what it really is.
EXTENSIONS = {
    PDF: (".pdf",),
    PNG: (".png",),
    JPEG: (".jpg", ".jpeg", ".jpe", ".jfif"),
    GIF: (".gif",),
    DOCX: (".docx",),
    XLSX: (".xlsx",),
    PPTX: (".pptx",),
    ODT: (".odt",),
    ODS: (".ods",),
    TEXT: (".txt",),
    CSV: (".csv",),
}
# Text that a browser could treat as a page or an image with scripts in it.
MARKUP = re.compile(rb"<\s*(?:!doctype|html|head|body|script|svg|iframe|object|embed|\?xml|meta|a\s|img\s)", re.I)
# A page hidden in an image's bytes. Longer than MARKUP, so compressed pixels do not match it by chance.
HIDDEN_PAGE = re.compile(rb"<\s*(?:!doctype\s+html|html|head|body|script|iframe|object|embed)[\s/>]", re.I)
IMAGE_FORMATS = {PNG: "PNG", JPEG: "JPEG", GIF: "GIF"}
# A 50-megapixel photo decodes to about 150 MB; more than that could exhaust the server's memory.
MAX_IMAGE_PIXELS = 50_000_000
# Office files have tens of parts and unpack to a few times their size; zip bombs have
# thousands of parts, or parts that unpack to about 1,000 times their size.
MAX_ZIP_PARTS = 10_000
MAX_UNZIPPED_BYTES = 256 * 1024 * 1024
MAX_PART_RATIO = 200
RATIO_FROM_BYTES = 1024 * 1024
CHUNK = 64 * 1024


class Refused(Exception):
    """Why a file's content is not allowed (a sentence without the file name).

    `list_types`: add the list of accepted types (when the type is the problem).
    """

    def __init__(self, reason, *, list_types=True):
        super().__init__(reason)
        self.list_types = list_types


@dataclass(frozen=True)
class CheckedFile:
    upload: object  # the UploadedFile rewound, or a ContentFile of the re-encoded image
    original_name: str
    content_type: str
    size: int
    sha256: str


def max_upload_bytes():
    return getattr(settings, "EVIDENCE_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES)


def max_files_per_upload():
    return getattr(settings, "EVIDENCE_MAX_FILES_PER_UPLOAD", DEFAULT_MAX_FILES)


def _megabytes(size):
    if size < 1024:
        return f"{size} bytes"
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


def clean_name(name):
    """The person's file name, kept only as a label: no folders, no control characters, at most 255 characters."""
    name = re.split(r"[\\/]", name or "")[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if len(name) > 255:
        stem, dot, extension = name.rpartition(".")
        name = (stem[: 254 - len(extension)] + dot + extension) if dot and len(extension) < 20 else name[:255]
    return name or "file"


def download_name(name, content_type):
    """The name a download is saved under: the label made safe, ending as its content really is."""
    name = clean_name(name)
    extensions = EXTENSIONS.get(content_type)
    if extensions and not name.lower().endswith(extensions):
        name = clean_name(name + extensions[0])
    return name


def check_count(files):
    """Refuse more files in one go than the form takes (Django's own limit must be higher, to reach this)."""
    limit = max_files_per_upload()
    if len(files) > limit:
        raise ValidationError(f"You chose {len(files)} files; add up to {limit} at a time.")


def _refuse_zip_bomb(archive):
    parts = archive.infolist()
    if len(parts) > MAX_ZIP_PARTS:
        raise Refused(
            f"It holds {len(parts):,} parts, far more than a document has, so it may be a “zip bomb”.",
            list_types=False,
        )
    unzipped = sum(part.file_size for part in parts)
    if unzipped > MAX_UNZIPPED_BYTES or any(
        part.file_size > RATIO_FROM_BYTES and part.file_size > MAX_PART_RATIO * part.compress_size for part in parts
    ):
        packed = sum(part.compress_size for part in parts)
        raise Refused(
            f"It would unpack to {_megabytes(unzipped)} from {_megabytes(packed)}, which is how a “zip bomb” "
            "swamps a computer; it cannot be opened safely.",
            list_types=False,
        )


def _zip_type(fileobj):
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise Refused("It looks like a damaged or unsupported archive.") from error
    with archive:
        _refuse_zip_bomb(archive)
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


def _encode(image, kind):
    """The picture alone: no EXIF, XMP or comments, and nothing after its end."""
    out = io.BytesIO()
    if kind == JPEG:
        options = {"quality": "keep", "subsampling": "keep"}
        if image.getexif().get(ExifTags.Base.Orientation, 1) != 1:
            # The EXIF that says which way up the photo goes is dropped, so turn the pixels instead.
            image = ImageOps.exif_transpose(image)
            options = {"quality": 90}
        image.save(out, "JPEG", comment=b"", icc_profile=image.info.get("icc_profile"), **options)
    else:
        image.save(out, IMAGE_FORMATS[kind], save_all=getattr(image, "is_animated", False), comment=b"")
    return out.getvalue()


@contextmanager
def _truncated_images_refused():
    """WeasyPrint sets Pillow's global LOAD_TRUNCATED_IMAGES when imported (a pack build does): from then on a
    damaged image would be padded out and stored. Refused again here while an upload is decoded; the web and
    worker processes decode one thing at a time, so the flag is the pack's again afterwards."""
    before = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before


def reencode_image(data, kind):
    """The image's bytes re-encoded by Pillow; raises Refused for a hidden page, a pixel flood or a damaged image."""
    if HIDDEN_PAGE.search(data):
        raise Refused("It is an image with a web page or script hidden in it.", list_types=False)
    try:
        with _truncated_images_refused(), Image.open(io.BytesIO(data), formats=[IMAGE_FORMATS[kind]]) as image:
            # Checked from the header, before a single pixel is decoded. A JPEG's extra frames (MPO) are not kept.
            frames = 1 if kind == JPEG else getattr(image, "n_frames", 1)
            if image.width * image.height * frames > MAX_IMAGE_PIXELS:
                raise Image.DecompressionBombError
            return _encode(image, kind)
    except Image.DecompressionBombError:
        raise Refused(
            f"It is an image of more than {MAX_IMAGE_PIXELS // 1_000_000} million pixels, too large to open "
            "safely; make it smaller and upload it again.",
            list_types=False,
        ) from None
    except Exception as error:  # Pillow raises many kinds of error for a malformed image; each means the same here.
        raise Refused(
            "It looks like a damaged image; open it and save it again, then upload it.", list_types=False
        ) from error


def _sha256(upload):
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    return digest.hexdigest()


def check_upload(upload, *, max_bytes=None):
    """Check one UploadedFile; returns a CheckedFile or raises ValidationError naming the file.

    An image comes back as a ContentFile of its re-encoded bytes, with their size and SHA-256.
    """
    max_bytes = max_upload_bytes() if max_bytes is None else max_bytes
    name = clean_name(getattr(upload, "name", ""))
    size = upload.size
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    if size > max_bytes:
        shown, limit = _megabytes(size), _megabytes(max_bytes)
        raise ValidationError(f"{name} is {'just over ' if shown == limit else ''}{shown}; files can be up to {limit}.")
    try:
        content_type = detect_content_type(upload, name)
        if content_type in IMAGE_FORMATS:
            upload.seek(0)
            upload = ContentFile(reencode_image(upload.read(), content_type), name=name)
            size = upload.size
    except Refused as refused:
        listed = f" Upload a {ALLOWED_DESCRIPTION} file." if refused.list_types else ""
        raise ValidationError(f"{name} cannot be uploaded. {refused}{listed}") from None
    upload.seek(0)
    sha256 = _sha256(upload)
    upload.seek(0)
    return CheckedFile(upload=upload, original_name=name, content_type=content_type, size=size, sha256=sha256)
