"""Word classes more than one rule family reads: who can be affected, and how time is written."""

from __future__ import annotations


def alternatives(*words: str) -> str:
    return "|".join(words)


# Who (or whose work) an incident hits: a minimiser in front of these shrinks the impact.
AFFECTED = frozenset(
    [
        "user",
        "users",
        "customer",
        "customers",
        "end-users",
        "enduser",
        "endusers",
        "visitors",
        "visitor",
        "accounts",
        "account",
        "tenants",
        "tenant",
        "merchants",
        "merchant",
        "people",
        "organizations",
        "organisations",
        "orgs",
        "clients",
        "client",
        "developers",
        "teams",
        "members",
        "subscribers",
        "sites",
        "projects",
        "zones",
        "requests",
        "request",
        "calls",
        "messages",
        "emails",
        "transactions",
        "payments",
        "orders",
        "connections",
        "queries",
        "jobs",
        "runs",
        "builds",
        "deployments",
        "workspaces",
        "repositories",
        "repos",
        "instances",
        "stacks",
        "databases",
        "apps",
        "applications",
        "traffic",
        "operations",
        "uploads",
        "downloads",
        "logins",
        "sessions",
        "devices",
        "players",
        "viewers",
        "creators",
        "sellers",
        "buyers",
        "drivers",
        "riders",
        "partners",
    ]
)
# What the service is made of: a minimiser in front of these describes the mechanism.
MACHINERY = frozenset(
    """server servers host hosts node nodes machine machines pod pods container containers
    worker workers replica replicas shard shards cluster clusters disk disks switch switches
    router routers cache caches partition partitions queue queues process processes thread
    threads change changes fix fixes patch patches rollout release releases version versions
    configuration configurations tests test metrics files records keys indexes""".split()
)
# What the service offers: a minimiser in front of these shrinks the impact only when they
# are what suffers ("some services may be impacted"), not when they are acted on.
OFFERED = frozenset(
    """service services feature features component components endpoint endpoints resource
    resources data workflows workflow operations functionality products tools pages regions
    integrations apis""".split()
)
PEOPLE_PATTERN = alternatives(
    "users?", "customers?", r"end[- ]users", "visitors", "accounts", "tenants", "merchants",
    "people", "organi[sz]ations", "clients", "developers", "teams", "members", "subscribers",
    "sites", "projects", "zones", "requests", "services", "regions", "databases?",
    r"(?:database\s+)?clusters", "instances",
)  # fmt: skip

DURATION = (
    r"(?:\d+(?:\.\d+)?|an?|one|two|three|four|five|six|ten|fifteen|thirty|a\s+few|the\s+next)"
    r"(?:\s*-\s*\d+)?\s+(?:seconds?|minutes?|mins?|hours?|hrs?|days?)"
)
CLOCK = r"\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)?\s*(?:UTC|GMT|[A-Z]{2,5})?"
