"""A local HTTP server that answers like GitHub's REST and GraphQL APIs, for the comment endpoints, the
audit's issues (listed by label and state, opened, edited, commented, closed), the rollback's (the
repository, its pull requests) and the review suggestions' (the PR's changed files with their patches,
its review comments, their threads: listed, resolved).

Stateful (comments are created, edited, deleted, minimized; pull requests opened), paginated with ``Link``
headers as GitHub paginates, and scriptable: ``fail`` queues answers (a 502, a 403 secondary rate limit)
for the next requests matching a method and path (and, with ``contains``, whose JSON body holds that text:
one GraphQL query and not another); with ``carried_out=True`` the request is done first and the failure
answered after (a POST whose 502 hides that it went through). ``list_lag`` seconds pass before a new
comment shows in the list, as GitHub's lists lag behind its writes. Each token stands for one
identity (``tokens``); a write to a comment by anyone but its author answers 403, as GitHub does for a
token that may not edit it.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

REPO = "acme/infra"
PR = 7


@dataclass
class Scripted:
    method: str
    path: str  # a regular expression matched against the path without the query
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    carried_out: bool = False
    contains: str = ""


@dataclass
class FakeGitHub:
    url: str = ""
    tokens: dict[str, str] = field(default_factory=dict)  # token -> login
    comments: list[dict[str, Any]] = field(default_factory=list)
    pulls: list[dict[str, Any]] = field(default_factory=list)
    default_branch: str = "main"
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # (login, method, path?query)
    scripted: list[Scripted] = field(default_factory=list)
    page_size_cap: int = 100
    list_lag: float = 0.0  # seconds before a new comment is listed
    # Both runs list before either posts: the first list waits (up to a few seconds) for the other.
    barrier: threading.Barrier | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_id: int = 1000
    issues: list[dict[str, Any]] = field(default_factory=list)  # the repository's issues (not PR 7)
    head_sha: str = "0" * 40  # PR 7's head commit
    files: list[dict[str, Any]] = field(default_factory=list)  # PR 7's changed files: filename, patch
    review_comments: list[dict[str, Any]] = field(default_factory=list)  # PR 7's, each its own thread

    def fail(
        self,
        method: str,
        path: str,
        status: int,
        message: str,
        *,
        carried_out: bool = False,
        contains: str = "",
        times: int = 1,
        **headers: str,
    ) -> None:
        for _ in range(times):
            self.scripted.append(
                Scripted(method, path, status, {"message": message}, headers, carried_out, contains)
            )

    def post(self, login: str, body: str) -> dict[str, Any]:
        """A comment as it would be after ``login`` posted it (for setting the scene)."""
        with self.lock:
            self.next_id += 1
            comment = {
                "id": self.next_id,
                "node_id": f"IC_{self.next_id}",
                "body": body,
                "user": {"login": login, "type": "Bot" if login.endswith("[bot]") else "User"},
                "url": f"{self.url}/repos/{REPO}/issues/comments/{self.next_id}",
                "html_url": f"https://github.example/{REPO}/pull/{PR}#issuecomment-{self.next_id}",
                "minimized": False,
                "listed_after": time.monotonic() + self.list_lag,
            }
            self.comments.append(comment)
        return comment

    def change(self, filename: str, patch: str) -> None:
        """PR 7 changes ``filename`` with this unified-diff ``patch`` (as GitHub lists it)."""
        self.files.append({"filename": filename, "status": "modified", "patch": patch})

    def review(self, login: str, path: str, line: int | None, body: str) -> dict[str, Any]:
        """A review comment as it would be after ``login`` posted it on PR 7 (for setting the scene)."""
        with self.lock:
            self.next_id += 1
            comment = {
                "id": self.next_id,
                "node_id": f"PRRC_{self.next_id}",
                "body": body,
                "path": path,
                "line": line,
                "side": "RIGHT",
                "commit_id": self.head_sha,
                "user": {"login": login, "type": "Bot" if login.endswith("[bot]") else "User"},
                "url": f"{self.url}/repos/{REPO}/pulls/comments/{self.next_id}",
                "html_url": f"https://github.example/{REPO}/pull/{PR}#discussion_r{self.next_id}",
                "resolved": False,
            }
            self.review_comments.append(comment)
        return comment

    def open_reviews(self, login: str | None = None) -> list[dict[str, Any]]:
        """PR 7's unresolved review comments (by ``login``)."""
        return [
            c
            for c in self.review_comments
            if not c["resolved"] and (login is None or c["user"]["login"] == login)
        ]

    def bodies(self, login: str | None = None) -> list[str]:
        return [c["body"] for c in self.comments if login is None or c["user"]["login"] == login]

    # --- answering -----------------------------------------------------------------------------------

    def answer(
        self, login: str | None, method: str, target: str, payload: Any
    ) -> tuple[int, Any, dict[str, str]]:
        parts = urlsplit(target)
        path = parts.path
        self.requests.append((login or "", method, target))
        if login is None:
            return 401, {"message": "Bad credentials"}, {}
        for scripted in self.scripted:
            if (
                scripted.method == method
                and re.fullmatch(scripted.path, path)
                and scripted.contains in json.dumps(payload)
            ):
                self.scripted.remove(scripted)
                if scripted.carried_out:
                    self.answer(login, method, target, payload)
                    self.requests.pop()  # one request, counted once
                return scripted.status, scripted.body, scripted.headers
        if method == "GET" and path == f"/repos/{REPO}":
            return 200, {"full_name": REPO, "default_branch": self.default_branch}, {}
        if path == f"/repos/{REPO}/pulls":
            return self._pulls(method, parse_qs(parts.query), payload)
        if path.startswith(f"/repos/{REPO}/pulls/"):
            return self._pull(login, method, path, parse_qs(parts.query), payload)
        issue = re.fullmatch(rf"/repos/{REPO}/issues(?:/(\d+)(/comments)?)?", path)
        if issue and (issue.group(1) is None or int(issue.group(1)) != PR):
            return self._issues(login, method, issue, parse_qs(parts.query), payload)
        if method == "POST" and path == "/graphql":
            return self._graphql(login, payload)
        comments = f"/repos/{REPO}/issues/{PR}/comments"
        one = re.fullmatch(rf"/repos/{REPO}/issues/comments/(\d+)", path)
        if path == comments and method == "GET":
            return self._page(parse_qs(parts.query), path)
        if path == comments and method == "POST":
            return 201, self.post(login, payload["body"]), {}
        if one:
            return self._one(login, method, int(one.group(1)), payload)
        return 404, {"message": "Not Found"}, {}

    def _pulls(
        self, method: str, query: dict[str, list[str]], payload: Any
    ) -> tuple[int, Any, dict[str, str]]:
        """Open one (422 when one from the same head into the same base is open, as GitHub does), or list
        the open ones, filtered by ``head=OWNER:BRANCH`` and ``base``."""
        owner = REPO.split("/")[0]
        with self.lock:
            if method == "POST":
                if any(
                    p["head"]["ref"] == payload["head"] and p["base"]["ref"] == payload["base"]
                    for p in self.pulls
                ):
                    message = f"A pull request already exists for {owner}:{payload['head']}."
                    return 422, {"message": "Validation Failed", "errors": [{"message": message}]}, {}
                number = len(self.pulls) + 1
                pull = {
                    "number": number,
                    "html_url": f"https://github.example/{REPO}/pull/{number}",
                    "title": payload["title"],
                    "body": payload["body"],
                    "state": "open",
                    "head": {"ref": payload["head"], "label": f"{owner}:{payload['head']}"},
                    "base": {"ref": payload["base"]},
                }
                self.pulls.append(pull)
                return 201, pull, {}
            if method == "GET":
                head, base = query.get("head", [None])[0], query.get("base", [None])[0]
                found = [
                    p
                    for p in self.pulls
                    if (head is None or p["head"]["label"] == head)
                    and (base is None or p["base"]["ref"] == base)
                ]
                return 200, found, {}
        return 404, {"message": "Not Found"}, {}

    # --- PR 7's files and review comments (the review suggestions') ---------------------------------------

    def _pull(
        self, login: str, method: str, path: str, query: dict[str, list[str]], payload: Any
    ) -> tuple[int, Any, dict[str, str]]:
        rest = path.removeprefix(f"/repos/{REPO}/pulls/")
        if method == "GET" and rest == str(PR):
            pull = {"number": PR, "state": "open", "head": {"sha": self.head_sha, "ref": "feature"}}
            return 200, pull | {"url": f"{self.url}/repos/{REPO}/pulls/{PR}"}, {}
        if method == "GET" and rest == f"{PR}/files":
            return self._page(query, path, list(self.files))
        if method == "GET" and rest == f"{PR}/comments":
            return self._page(query, path, list(self.review_comments))
        if method == "POST" and rest == f"{PR}/comments":
            if payload.get("commit_id") != self.head_sha or payload.get("side", "RIGHT") != "RIGHT":
                return 422, {"message": "Validation Failed", "errors": ["commit_id or side"]}, {}
            if not any(f["filename"] == payload.get("path") for f in self.files):
                return 422, {"message": "Validation Failed", "errors": ["path is not part of the diff"]}, {}
            return 201, self.review(login, payload["path"], payload["line"], payload["body"]), {}
        one = re.fullmatch(r"comments/(\d+)", rest)
        if one is None:
            return 404, {"message": "Not Found"}, {}
        return self._one(login, method, int(one.group(1)), payload, self.review_comments)

    def _threads(self, login: str, query: str, variables: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        """``reviewThreads`` (two threads a page, so that paging is exercised) and ``resolveReviewThread``
        (by anyone who may write: GitHub lets any writer resolve a thread)."""
        if "resolveReviewThread" in query:
            with self.lock:
                for comment in self.review_comments:
                    if f"PRRT_{comment['id']}" == variables["thread"]:
                        comment["resolved"] = True
                        thread = {"id": variables["thread"], "isResolved": True}
                        return 200, {"data": {"resolveReviewThread": {"thread": thread}}}, {}
            return 200, {"errors": [{"type": "NOT_FOUND", "message": "no such thread"}]}, {}
        start = int(variables.get("cursor") or 0)
        page = self.review_comments[start : start + 2]
        nodes = [
            {
                "id": f"PRRT_{c['id']}",
                "isResolved": c["resolved"],
                "comments": {"nodes": [{"databaseId": c["id"]}]},
            }
            for c in page
        ]
        more = start + 2 < len(self.review_comments)
        info = {"hasNextPage": more, "endCursor": str(start + 2) if more else None}
        pull = {"reviewThreads": {"pageInfo": info, "nodes": nodes}}
        return 200, {"data": {"repository": {"pullRequest": pull}}}, {}

    # --- issues (the audit's): listed by label and state, paginated; opened, edited, closed, commented ----

    def open_issue(
        self, login: str, title: str, body: str, labels: list[str], state: str = "open"
    ) -> dict[str, Any]:
        """An issue as it would be after ``login`` opened it (for setting the scene, and for POST)."""
        with self.lock:
            number = max([PR, *(issue["number"] for issue in self.issues)]) + 1
            issue = {
                "number": number,
                "id": 5000 + number,
                "title": title,
                "body": body,
                "state": state,
                "state_reason": None,
                "labels": [{"name": name} for name in labels],
                "user": {"login": login, "type": "Bot" if login.endswith("[bot]") else "User"},
                "url": f"{self.url}/repos/{REPO}/issues/{number}",
                "html_url": f"https://github.example/{REPO}/issues/{number}",
                "comments_url": f"{self.url}/repos/{REPO}/issues/{number}/comments",
                "comments": [],
                "listed_after": time.monotonic() + self.list_lag,
            }
            self.issues.append(issue)
        return issue

    def _issues(
        self, login: str, method: str, match: re.Match[str], query: dict[str, list[str]], payload: Any
    ) -> tuple[int, Any, dict[str, str]]:
        number, comments = match.group(1), match.group(2)
        if number is None:
            if method == "POST":
                return (
                    201,
                    self.open_issue(
                        login, payload["title"], payload.get("body") or "", payload.get("labels") or []
                    ),
                    {},
                )
            state = query.get("state", ["open"])[0]
            labels = set(filter(None, query.get("labels", [""])[0].split(",")))
            now = time.monotonic()
            with self.lock:
                found = [
                    issue
                    for issue in self.issues
                    if issue["listed_after"] <= now
                    and (state == "all" or issue["state"] == state)
                    and labels <= {label["name"] for label in issue["labels"]}
                ]
            if query.get("direction", ["desc"])[0] == "desc":
                found.reverse()
            return self._page(query, f"/repos/{REPO}/issues", found)
        with self.lock:
            issue = next((i for i in self.issues if i["number"] == int(number)), None)
            if issue is None:
                return 404, {"message": "Not Found"}, {}
            if comments and method == "POST":
                issue["comments"].append({"user": {"login": login}, "body": payload["body"]})
                return (
                    201,
                    {"id": len(issue["comments"]), "body": payload["body"], "user": {"login": login}},
                    {},
                )
            if method == "GET" and not comments:
                return 200, issue, {}
            if method == "PATCH" and not comments:
                for name in ("title", "body", "state", "state_reason"):
                    if name in payload:
                        issue[name] = payload[name]
                return 200, issue, {}
        return 404, {"message": "Not Found"}, {}

    def _page(
        self, query: dict[str, list[str]], path: str, items: list[dict[str, Any]] | None = None
    ) -> tuple[int, Any, dict[str, str]]:
        if self.barrier is not None and items is None:
            with suppress(threading.BrokenBarrierError):
                self.barrier.wait(timeout=5)
            self.barrier = None
        size = min(int(query.get("per_page", ["30"])[0]), self.page_size_cap)
        page = int(query.get("page", ["1"])[0])
        now = time.monotonic()
        with self.lock:
            visible = [comment for comment in self.comments if comment["listed_after"] <= now]
        if items is not None:
            visible = items
        last = max(1, -(-len(visible) // size))
        links = []
        if page < last:
            kept = "".join(
                f"&{name}={query[name][0]}" for name in ("state", "labels", "direction") if name in query
            )
            links.append(f'<{self.url}{path}?per_page={size}&page={page + 1}{kept}>; rel="next"')
            links.append(f'<{self.url}{path}?per_page={size}&page={last}{kept}>; rel="last"')
        headers = {"Link": ", ".join(links)} if links else {}
        return 200, visible[(page - 1) * size : page * size], headers

    def _one(
        self, login: str, method: str, number: int, payload: Any, store: list[dict[str, Any]] | None = None
    ) -> tuple[int, Any, dict[str, str]]:
        """Read, edit or delete one comment of ``store`` (the issue comments by default); only its
        author may write it."""
        comments = self.comments if store is None else store
        with self.lock:
            comment = next((c for c in comments if c["id"] == number), None)
            if comment is None:
                return 404, {"message": "Not Found"}, {}
            if method == "GET":
                return 200, comment, {}
            if comment["user"]["login"] != login:
                return 403, {"message": "Resource not accessible by integration"}, {}
            if method == "PATCH":
                comment["body"] = payload["body"]
                return 200, comment, {}
            if method == "DELETE":
                comments.remove(comment)
                return 204, None, {}
        return 404, {"message": "Not Found"}, {}

    def _graphql(self, login: str, payload: Any) -> tuple[int, Any, dict[str, str]]:
        query = str(payload.get("query", ""))
        if "viewer" in query:
            return 200, {"data": {"viewer": {"login": login}}}, {}
        if "reviewThreads" in query or "resolveReviewThread" in query:
            return self._threads(login, query, payload.get("variables") or {})
        if "minimizeComment" in query:
            subject = payload["variables"]["input"]["subjectId"]
            with self.lock:
                for comment in self.comments:
                    if comment["node_id"] == subject:
                        comment["minimized"] = True
            return 200, {"data": {"minimizeComment": {"minimizedComment": {"isMinimized": True}}}}, {}
        return 200, {"errors": [{"message": "unsupported query"}]}, {}


Answer = tuple[int, Any, dict[str, str]]  # status, JSON body (None: empty), headers


@contextmanager
def json_server(answer: Callable[[str, str, dict[str, str], Any], Answer]) -> Iterator[str]:
    """A local HTTP server whose every request (method, path?query, headers, JSON body) ``answer``
    answers; yields its URL."""

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            payload = json.loads(raw) if raw else None
            status, body, headers = answer(self.command, self.path, dict(self.headers), payload)
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_DELETE = _handle

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def serve(fake: FakeGitHub) -> Iterator[FakeGitHub]:
    def answer(method: str, target: str, headers: dict[str, str], payload: Any) -> Answer:
        token = (headers.get("Authorization") or "").removeprefix("token ").removeprefix("Bearer ")
        return fake.answer(fake.tokens.get(token), method, target, payload)

    with json_server(answer) as url:
        fake.url = url
        yield fake
