"""Run one handler of the packaged code once, as Lambda would: a fresh process (a cold
start) with the function's environment, the event in, the answer out.

    python lambda_runner.py HANDLER EVENT_FILE ANSWER_FILE

The deployment test runs it with the packaged app on PYTHONPATH and the function's
environment (as the stack in moto's server mode configured it).
"""

from __future__ import annotations

import importlib
import json
import sys
import types
import uuid


def main() -> None:
    handler, event_file, answer_file = sys.argv[1:4]
    module_name, _, name = handler.rpartition(".")
    function = getattr(importlib.import_module(module_name), name)
    context = types.SimpleNamespace(
        aws_request_id=str(uuid.uuid4()),
        function_name=handler,
        memory_limit_in_mb=1024,
        invoked_function_arn=f"arn:aws:lambda:eu-central-1:123456789012:function:{name}",
        get_remaining_time_in_millis=lambda: 29_000,
    )
    with open(event_file) as source:
        event = json.load(source)
    answer = function(event, context)
    with open(answer_file, "w") as target:
        json.dump({"code": sys.modules["chalicelib"].__file__, "answer": answer}, target)


if __name__ == "__main__":
    main()
