"""Schemathesis hooks of scripts/fuzz-api.sh: the fuzzer never chooses an address the LM or the engine reaches.

Every request is fuzzed as generated, except the values that name something the LM or the Docker engine would
connect to, which are replaced right before the request is sent:
- an `exec` that the served document accepts as an image becomes the local image (by its id: no engine pulls
  an image named by id, a swarm node neither), any other image name would make the engine try the registry it
  names;
- an `exec` that is an http(s) URL becomes the compose file of the loopback file server;
- an `agent_ip` of `agents_list`, and the `url` of the internal API's `agent`, become this LM's own agent
  (HOST_IP, loopback);
- `agents_list` keeps at most MAX_AGENTS entries: each is a workload on the shared engine;
- the internal API's `service_instance.id` becomes this run's PEER_UUID, so that the end of the fuzz finds
  (by their `lm.service-instance` label) and removes the workloads deployed for a peer LM: no instance of
  this LM owns them, so `DELETE …/all` does not;
- a `page_token` the document accepts is dropped: only a listing can issue one, and any other is a 400 that
  no pattern can announce (a refused spelling is still sent).
Values the document already refuses are left alone, so the LM's validation of them is fuzzed too (and a
refused value never reaches a runtime). Schemathesis re-validates an edited case, so a case stays
positive or negative as it is sent.
"""

from __future__ import annotations

import json
import os
import re
import urllib.request
from typing import Any

import schemathesis

LOCAL_IMAGE = os.environ["LM_FUZZ_IMAGE"]
COMPOSE_URL = os.environ["LM_FUZZ_COMPOSE_URL"]
AGENT_IP = os.environ["LM_FUZZ_AGENT_IP"]
PEER_UUID = os.environ["LM_FUZZ_PEER_UUID"]
# The instances the fuzz makes end by themselves soon, whatever happens to the clean-up at the end.
EXPIRES_IN_S = int(os.environ.get("LM_FUZZ_EXPIRES_IN_S", "120"))
URL = re.compile(r"^https?://")
MAX_AGENTS = 2
# The url of an agent entry sent as a Python literal, as the served pattern spells it.
PY_AGENT_URL = re.compile(r"(^\{|, )'url': '[A-Za-z0-9][A-Za-z0-9.:-]*'")


def _document() -> dict[str, Any]:
    with urllib.request.urlopen(os.environ["LM_FUZZ_SCHEMA"], timeout=10) as answer:
        return json.load(answer)


def _patterns_of(document: Any, field: str) -> list[re.Pattern[str]]:
    """The `pattern` of every property named `field` anywhere in the document."""
    found: list[re.Pattern[str]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            properties = node.get("properties")
            if isinstance(properties, dict):
                spec = properties.get(field)
                if isinstance(spec, dict) and isinstance(spec.get("pattern"), str):
                    found.append(re.compile(spec["pattern"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    return found


_DOCUMENT = _document()
IMAGE_PATTERNS = [p for p in _patterns_of(_DOCUMENT, "exec") if not p.pattern.startswith("^https?")]
AGENT_IP_PATTERNS = _patterns_of(_DOCUMENT, "agent_ip")
if not IMAGE_PATTERNS or not AGENT_IP_PATTERNS:
    raise SystemExit("the served document declares no pattern for exec or agent_ip: the fuzz cannot pin them")


def _matches(patterns: list[re.Pattern[str]], value: Any) -> bool:
    return isinstance(value, str) and any(p.search(value) for p in patterns)


def _pin_service(service: Any) -> None:
    if not isinstance(service, dict):
        return
    value = service.get("exec")
    if isinstance(value, str) and URL.match(value):
        service["exec"] = COMPOSE_URL
    elif _matches(IMAGE_PATTERNS, value):
        service["exec"] = LOCAL_IMAGE


PAGE_TOKEN_PATTERNS = [re.compile(p["schema"]["pattern"]) for path in _DOCUMENT["paths"].values()
                       for operation in path.values() if isinstance(operation, dict)
                       for p in operation.get("parameters", [])
                       if p.get("name") == "page_token" and "pattern" in p.get("schema", {})]
INSTANCE_ID = re.compile(r"^(service-instance/)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _pin_query(case: Any) -> None:
    query = case.query
    if isinstance(query, dict) and _matches(PAGE_TOKEN_PATTERNS, query.get("page_token")):
        del query["page_token"]


def _pin_peer_instance(body: dict[str, Any]) -> None:
    instance = body.get("service_instance")
    if isinstance(instance, dict) and isinstance(instance.get("id"), str):
        found = INSTANCE_ID.match(instance["id"])
        if found:
            instance["id"] = f"{found.group(1) or ''}{PEER_UUID}"


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    _pin_query(case)
    body = case.body
    if not isinstance(body, dict):
        return
    _pin_service(body.get("service"))
    agents = body.get("agents_list")
    if isinstance(agents, list):
        del agents[MAX_AGENTS:]
        for agent in agents:
            if isinstance(agent, dict) and _matches(AGENT_IP_PATTERNS, agent.get("agent_ip")):
                agent["agent_ip"] = AGENT_IP
    if "agent" in body:
        _pin_peer_instance(body)
    agent = body.get("agent")
    if isinstance(agent, dict) and _matches(AGENT_IP_PATTERNS, agent.get("url")):
        agent["url"] = AGENT_IP
    elif isinstance(agent, str):
        body["agent"] = PY_AGENT_URL.sub(lambda m: f"{m.group(1)}'url': '{AGENT_IP}'", agent)
    if "service" in body:
        expires_in = body.get("expires_in", EXPIRES_IN_S)
        if isinstance(expires_in, int) and not isinstance(expires_in, bool) and expires_in >= 1:
            body["expires_in"] = min(expires_in, EXPIRES_IN_S)
