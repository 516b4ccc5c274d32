"""Plain English for evidence events; registered with qip.audit_text when the evidence app loads."""

from django.template.defaultfilters import filesizeformat

from qip import audit_text


def _files(files):
    return ", ".join(f"{f.get('name', 'a file')} ({filesizeformat(f.get('size') or 0)})" for f in files)


def _added(data):
    files = data.get("files") or []
    text = "Evidence added"
    return f"{text} with {len(files)} file{'s' if len(files) != 1 else ''}: {_files(files)}" if files else text


def _withdrawn(data):
    return f"Withdrawn: {data.get('reason', '')}".rstrip(": ")


def _downloaded(data):
    return f"{data.get('file', 'A file')} downloaded"


EVIDENCE_DESCRIBERS = {
    "evidence.added": _added,
    "evidence.withdrawn": _withdrawn,
    "evidence.downloaded": _downloaded,
}


def register():
    audit_text.register(EVIDENCE_DESCRIBERS)
