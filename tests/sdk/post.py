"""Post callbacks built by the official Python SDK to a running `callfold serve`, through a plain HTTP
client (urllib), and check that the server holds each leg exactly as `callfold legs` folds the same bodies.

Usage: post.py URL LOG POSTED
URL is the server's base URL; LOG a generated JSON-lines log. Each transferAnswer and transferDisconnect
line is read into the SDK's model and posted as pydantic serialises the model, with HTTP Basic
credentials from CALLFOLD_USERNAME/CALLFOLD_PASSWORD. The bodies posted are written to POSTED, one per
line, for `callfold legs POSTED` to fold; then every leg is read back with CALLFOLD_API_TOKEN and
compared with LEGS (a file given as the 4th argument, once written), or the script stops after posting.
"""

import base64
import json
import os
import sys
import urllib.error
import urllib.request

from bandwidth.models import TransferAnswerCallback, TransferDisconnectCallback

CLASSES = {"transferAnswer": TransferAnswerCallback, "transferDisconnect": TransferDisconnectCallback}


def post(url, body):
    pair = f"{os.environ['CALLFOLD_USERNAME']}:{os.environ['CALLFOLD_PASSWORD']}".encode()
    request = urllib.request.Request(
        url + "/callbacks/sdk",
        data=body.encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Authorization": "Basic " + base64.b64encode(pair).decode(),
        },
    )
    with urllib.request.urlopen(request, timeout=15) as reply:
        return reply.status


def get(url, path):
    request = urllib.request.Request(
        url + path, headers={"Authorization": "Bearer " + os.environ["CALLFOLD_API_TOKEN"]}
    )
    with urllib.request.urlopen(request, timeout=15) as reply:
        return reply.read().decode()


def main():
    url, log, posted = sys.argv[1], sys.argv[2], sys.argv[3]
    if len(sys.argv) > 4:
        legs = [line for line in open(sys.argv[4]) if line.strip()]
        for line in legs:
            leg = json.loads(line)
            served = get(url, "/legs/" + leg["callId"])
            if served != line.rstrip("\n"):
                sys.exit(f"post.py: GET /legs/{leg['callId']} differs:\n  served {served}\n  folded {line}")
        print(f"post.py: {len(legs)} legs served exactly as `callfold legs` folds the SDK's bodies")
        return
    count = 0
    with open(log) as lines, open(posted, "w") as out:
        for line in lines:
            raw = json.loads(line) if line.strip().startswith("{") else None
            if not isinstance(raw, dict) or raw.get("eventType") not in CLASSES:
                continue
            try:
                model = CLASSES[raw["eventType"]].from_json(line)
            except Exception:  # the SDK refuses some of what Bandwidth may send; callfold's tests cover it
                continue
            # The SDK's own `to_json()` cannot serialise its datetimes (json.dumps of `to_dict()`);
            # pydantic's serialiser, by the fields' JSON names, is how the SDK's models are sent.
            body = model.model_dump_json(by_alias=True, exclude_none=True, exclude={"additional_properties"})
            status = post(url, body)
            if status != 204:
                sys.exit(f"post.py: {status} for {body}")
            out.write(body + "\n")
            count += 1
    print(f"post.py: {count} SDK-built bodies posted, each answered 204")


if __name__ == "__main__":
    main()
