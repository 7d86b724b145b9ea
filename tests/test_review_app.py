"""`autocode review` as a user meets it: a real server process on a free port, driven by headless
Chromium through every key, refusing requests without the token, showing markup in transcripts
as text, refusing a decision on changed text, and losing or doubling nothing when killed -9."""

from __future__ import annotations

import http.client
import json
import random
import shutil
import signal
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from autocode.store import Project
from autocode.types import Transcript
from review_server import REVIEWER, Server, call, start_server


def decisions(project: Path) -> list[tuple]:
    conn = sqlite3.connect(f"file:{project / 'autocode.sqlite'}?mode=ro", uri=True)
    try:
        return conn.execute(
            "SELECT client_id, action, transcript_id, unit_idx, codes FROM decisions "
            "WHERE reviewer = ? ORDER BY id",
            (REVIEWER,),
        ).fetchall()
    finally:
        conn.close()


def units_in_transcript_order(project: Path) -> list[tuple[str, int]]:
    conn = sqlite3.connect(f"file:{project / 'autocode.sqlite'}?mode=ro", uri=True)
    try:
        return conn.execute(
            "SELECT u.transcript_id, u.idx FROM units AS u JOIN transcripts AS t "
            "ON t.id = u.transcript_id ORDER BY t.rowid, u.idx"
        ).fetchall()
    finally:
        conn.close()


def copy_project(review_project: Path, folder: Path) -> Path:
    copy = folder / "project"
    shutil.copytree(review_project, copy)
    return copy


@pytest.fixture(scope="module")
def server(review_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the token and keyboard tests (in this order: the first needs no
    decisions yet)."""
    running = start_server(copy_project(review_project, tmp_path_factory.mktemp("served")))
    yield running
    running.stop()


def test_requests_without_the_token_are_refused(server: Server) -> None:
    for path in ("/", "/flagged", "/api/card", "/api/progress", "/static/review.js"):
        assert call(server, path)[0] == 403, path
        assert call(server, path, headers={"X-Autocode-Token": "wrong"})[0] == 403, path
    assert call(server, "/?token=wrong")[0] == 403
    body = {"client_id": "x", "action": "accept", "answer": {}}
    assert call(server, "/api/decide", body)[0] == 403
    assert (
        call(server, "/api/undo", {"client_id": "y"}, {"Cookie": "autocode_review_1=x"})[0] == 403
    )

    status, headers, _ = call(server, f"/?token={server.token}")
    cookie = headers["set-cookie"]
    assert status == 303 and headers["location"] == "/"
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert cookie.startswith(f"autocode_review_{server.port}={server.token};")
    status, headers, page = call(server, "/", headers={"Cookie": cookie.split(";")[0]})
    assert status == 200 and "autocode review" in page
    assert headers["content-security-policy"].startswith("default-src 'self'")
    status, _, view = call(server, "/api/card", headers={"X-Autocode-Token": server.token})
    assert status == 200 and view["card"]["speaker"] == "P1"
    plain = {"X-Autocode-Token": server.token, "Content-Type": "text/plain"}
    assert call(server, "/api/undo", {"client_id": "z"}, plain)[0] == 415
    assert decisions(server_project(server)) == []


def server_project(server: Server) -> Path:
    return Path(server.process.args[server.process.args.index("--project") + 1])


@pytest.mark.browser
def test_a_keyboard_session_is_stored_and_markup_stays_text(server: Server, browser) -> None:
    page = browser.new_page()
    renders = 0

    def press(key: str) -> None:
        nonlocal renders
        page.keyboard.press(key)
        renders += 1
        page.wait_for_selector(f"body[data-renders='{renders}']", timeout=30_000)

    page.goto(server.url)
    renders = 1
    page.wait_for_selector("body[data-renders='1']")
    assert page.url == f"{server.base}/"  # the token left the address bar
    assert page.locator("#unit-text .speaker").text_content() == "P1"
    assert page.locator("#evidence li").count() >= 2
    assert "accept the suggestion" in page.locator(".keys").text_content()
    press("a")
    press("r")
    press("2")  # recode to the second code
    page.keyboard.press("+")
    page.fill("#newcode-name", "Tool friction")
    page.fill("#newcode-definition", "Tools get in the way <i>again</i>")
    renders += 1
    page.press("#newcode-name", "Enter")
    page.wait_for_selector(f"body[data-renders='{renders}']")
    press("n")
    press("s")
    press("u")  # undo the skip: the same unit again
    assert page.locator("body").get_attribute("data-unit").endswith("#5")
    page.keyboard.press("/")
    page.keyboard.type("mainten")
    renders += 1
    page.keyboard.press("Enter")
    page.wait_for_selector(f"body[data-renders='{renders}']")
    page.keyboard.press("f")
    page.keyboard.type("ask about <b>this</b>")
    renders += 1
    page.keyboard.press("Enter")
    page.wait_for_selector(f"body[data-renders='{renders}']")
    for target in ("#codes button[data-code='T1']", "#btn-undo"):  # and by mouse
        renders += 1
        page.click(target)
        page.wait_for_selector(f"body[data-renders='{renders}']")

    rows = decisions(server_project(server))
    actions = [row[1] for row in rows]
    keyed = ["accept", "reject", "recode", "recode", "none", "skip", "undo", "recode", "flag"]
    assert actions == [*keyed, "recode", "undo"]
    assert [row[3] for row in rows] == [0, 1, 2, 3, 4, 5, 5, 5, 6, 7, 7]
    assert [json.loads(rows[i][4]) for i in (2, 7, 9)] == [["T2"], ["T5"], ["T1"]]
    with Project.open(server_project(server)) as store:
        new_code = store.codebook(store.codebooks()[0]).codes[-1]
        assert new_code.definition == "Tools get in the way <i>again</i>"
        coded = {(c.unit_index, c.code_id) for c in store.codings(coder=REVIEWER)}
    assert {(2, "T2"), (3, new_code.id), (5, "T5")} <= coded and len(coded) >= 3

    page.goto(f"{server.base}/flagged")
    assert page.locator("#flagged td.memo").text_content() == "ask about <b>this</b>"

    page.goto(f"{server.base}/?transcript_id=hostile&unit_index=0")
    page.wait_for_selector("body[data-renders='1']")
    shown = page.locator("#unit-text .text").text_content()
    assert "<script>window.__pwned = 1</script>" in shown
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#card script, #card img").count() == 0
    after = page.locator("#context .after .text").text_content()
    assert '<img src=x onerror="window.__pwned = 2">' in after

    # The transcript changes under the open card: the decision is refused on the card.
    with Project.open(server_project(server)) as store:
        old = store.get_transcript("hostile")
        store.add_transcript(
            Transcript(
                old.id, old.text.replace("search box", "query box"), old.turns, old.metadata
            ),
            discard_human_codings=True,
        )
    page.keyboard.press("a")
    page.wait_for_selector("#message:not([hidden])")
    assert "changed since this card was shown" in page.locator("#message").text_content()
    assert len(decisions(server_project(server))) == len(rows)
    page.close()


@pytest.mark.slow
def test_kill_9_mid_session_loses_and_doubles_nothing(review_project: Path, tmp_path: Path) -> None:
    project = copy_project(review_project, tmp_path)
    server = start_server(project)
    header = {"X-Autocode-Token": server.token}
    acknowledged: list[tuple[str, int]] = []
    attempted: list[dict] = []

    def review() -> None:
        view = call(server, "/api/card", headers=header)[2]
        for n in range(10_000):
            body = {
                "client_id": str(uuid.uuid4()),
                "action": ("accept", "reject", "none")[n % 3],
                "answer": view["card"]["answer"],
            }
            attempted.append(body)
            try:
                status, _, view = call(server, "/api/decide", body, header)
            except (OSError, http.client.HTTPException):
                return  # killed mid-request (or mid-answer): this one was never acknowledged
            assert status == 200, view
            acknowledged.append((body["client_id"], body["answer"]["unit_index"]))

    worker = threading.Thread(target=review)
    worker.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 8 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(random.uniform(0, 0.05))
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    worker.join(30)
    assert len(acknowledged) >= 8

    restarted = start_server(project, server.port)
    try:
        header = {"X-Autocode-Token": restarted.token}
        # the browser retries the request it never got an answer to, with the same client id
        status, _, _ = call(restarted, "/api/decide", attempted[-1], header)
        assert status == 200
        rows = decisions(project)
        ids = [row[0] for row in rows]
        assert len(ids) == len(set(ids))
        for client_id, _ in acknowledged:
            assert ids.count(client_id) == 1
        assert set(ids) <= {body["client_id"] for body in attempted}
        in_order = units_in_transcript_order(project)
        decided = [(row[2], row[3]) for row in rows]
        assert decided == in_order[: len(decided)]  # one decision per unit, none doubled
        answer = call(restarted, "/api/card", headers=header)[2]["card"]["answer"]
        assert (answer["transcript_id"], answer["unit_index"]) == in_order[len(decided)]
    finally:
        restarted.stop()


@pytest.mark.browser
def test_an_audit_card_shows_no_suggestion_and_is_stored_as_an_audit(
    review_project: Path, tmp_path: Path, browser
) -> None:
    """With nearly every card an audit card, the first card is one: no suggestion, no
    probabilities, no evidence, Accept disabled and refused; a number key codes it."""
    project = copy_project(review_project, tmp_path)
    running = start_server(project, audit_share=0.9)
    try:
        page = browser.new_page()
        page.goto(running.url)
        page.wait_for_selector("body[data-renders='1']")
        assert page.get_attribute("body", "data-audit") == "1"
        assert page.is_visible("#audit-banner")
        for hidden in ("#suggestion-box", "#evidence-box", "#candidate-box"):
            assert not page.is_visible(hidden), hidden
        assert page.is_disabled("#btn-accept")
        assert "%" not in page.inner_text("#codes")  # no probabilities on the codes
        page.keyboard.press("a")
        page.wait_for_selector("#message:not([hidden])")
        assert "no suggestion" in page.inner_text("#message")
        page.keyboard.press("1")
        page.wait_for_selector("body[data-renders='2']")
        conn = sqlite3.connect(f"file:{project / 'autocode.sqlite'}?mode=ro", uri=True)
        try:
            rows = conn.execute(
                "SELECT action, audit, suggestion FROM decisions WHERE reviewer = ?", (REVIEWER,)
            ).fetchall()
        finally:
            conn.close()
        assert rows == [("recode", 1, "[]")]
        assert page.inner_text("#c-line").startswith(("no estimate yet", "keep going"))
        page.close()
    finally:
        running.stop()
