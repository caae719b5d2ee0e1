"""Compare the official Python SDK's reading of generated callbacks with callfold's.

Usage: cross_check.py LOG DECODED
LOG is a generated JSON-lines log; DECODED is `callfold decode LOG`, the same lines as callfold reads
them (canonical JSON). Every transferAnswer and transferDisconnect line of LOG must parse with the SDK's
class for it, and every field must agree, once both sides say "no value" the same way: the SDK keeps
"" where callfold sees no value, and keeps timestamps in their offset where callfold keeps UTC.
"""

import datetime as dt
import json
import sys

from bandwidth.models import TransferAnswerCallback, TransferDisconnectCallback

CLASSES = {"transferAnswer": TransferAnswerCallback, "transferDisconnect": TransferDisconnectCallback}
FIELDS = [
    "eventType", "eventTime", "accountId", "applicationId", "from", "to", "direction", "callId",
    "parentCallId", "callUrl", "tag", "transferCallerId", "transferTo", "enqueuedTime", "startTime",
    "answerTime", "endTime", "cause", "errorMessage", "errorId",
]
TIMES = {"eventTime", "enqueuedTime", "startTime", "answerTime", "endTime"}


def ours(canonical, field):
    value = canonical.get(field)
    if value is not None and field in TIMES:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


def theirs(parsed, field):
    value = parsed.get(field)
    if hasattr(value, "value"):  # enums, such as direction
        value = value.value
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc)
    return None if value == "" else value


def main(log_path, decoded_path):
    lines = checked = fields = 0
    failures = []
    with open(log_path, encoding="utf-8") as log, open(decoded_path, encoding="utf-8") as decoded:
        for number, (line, canonical_line) in enumerate(zip(log, decoded), start=1):
            lines += 1
            canonical = json.loads(canonical_line)
            cls = CLASSES.get(canonical["eventType"])
            if cls is None:
                continue
            checked += 1
            try:
                parsed = cls.from_json(line).to_dict()
            except Exception as error:  # the SDK must read every line
                failures.append(f"line {number}: the SDK cannot read it: {error}")
                continue
            for field in FIELDS:
                fields += 1
                a, b = ours(canonical, field), theirs(parsed, field)
                if a != b:
                    failures.append(f"line {number}: {field}: callfold {a!r}, SDK {b!r}")
    for failure in failures[:20]:
        print(failure)
    print(f"sdk cross-check: {lines} lines, {checked} transferAnswer/transferDisconnect, {fields} fields compared")
    print(f"{fields - len(failures)} passed, {len(failures)} failed")
    return 1 if failures or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
