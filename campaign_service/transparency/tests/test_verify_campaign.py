"""scripts/verify-campaign against a fake platform serving a log built with the modules: it
accepts an honest log (the worked example's exact values included) and names what is wrong in a
tampered one. The script reaches http://localhost:8080 through the fake server as its proxy."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from transparency import note

from . import worked_example as example
from .logs import CampaignLog, make_entries, renumbered, serving

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "verify-campaign"
URL = "http://localhost:8080"
KEY = Ed25519PrivateKey.from_private_bytes(example.KEY_SEED)
NEXT_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(100, 132)))


def campaign_log(entries) -> CampaignLog:
    return CampaignLog(
        entries, key=KEY, key_name=example.KEY_NAME, origin="localhost:8080/campaigns/7"
    )


def run(server, *arguments: str, campaign_id: int = 7) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["http_proxy"] = f"http://127.0.0.1:{server.server_port}"
    return subprocess.run(  # noqa: S603  # our own script
        [sys.executable, str(SCRIPT), URL, str(campaign_id), "--timeout", "10", *arguments],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def assert_fails(done, *fragments: str) -> None:
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.startswith("verify-campaign: FAILED: "), done.stderr
    for fragment in fragments:
        assert fragment in done.stderr


# An honest log


def test_the_worked_example_verifies():
    log = CampaignLog(
        example.ENTRIES, key=KEY, key_name=example.KEY_NAME, origin="localhost:8080/campaigns/12"
    )
    log.note = example.SIGNED_NOTE  # exactly as printed in docs/transparency.md

    with serving(log) as server:
        done = run(server, campaign_id=12)

    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == (
        "localhost:8080/campaigns/12: checkpoint 3 verified: 3 entries, total 2500 usd, "
        f"root {example.ROOT_BASE64}\n"
    )


def test_a_log_of_several_pages_verifies():
    log = campaign_log(make_entries(2345))

    with serving(log) as server:
        done = run(server)

    assert done.returncode == 0, done.stderr
    assert "checkpoint 2345 verified: 2345 entries" in done.stdout


def test_an_empty_log_has_nothing_to_verify():
    with serving(campaign_log([])) as server:
        done = run(server)

    assert done.returncode == 0, done.stderr
    assert done.stdout == "localhost:8080/campaigns/7: the log is empty (no checkpoint yet)\n"


# Tampering


def test_a_changed_amount_is_named():
    log = campaign_log(make_entries(40))
    log.served_entries = [dict(entry) for entry in log.entries]
    log.served_entries[11]["amount"] += 100

    with serving(log) as server:
        done = run(server)

    assert_fails(done, "entry 11: not what checkpoint 40 commits to")


def test_a_dropped_entry_is_named():
    log = campaign_log(make_entries(40))
    log.served_entries = log.entries[:17] + log.entries[18:]

    with serving(log) as server:
        done = run(server)

    assert_fails(done, "entry 17: index 18 at position 17")


def test_a_dropped_and_renumbered_entry_is_named():
    log = campaign_log(make_entries(40))
    log.served_entries = renumbered(log.entries[:17] + log.entries[18:])
    log.served_entries.append({**log.entries[-2], "index": 39})  # as many entries again

    with serving(log) as server:
        done = run(server)

    assert_fails(done, "entry 17: not what checkpoint 40 commits to")


def test_a_reordered_pair_is_named():
    log = campaign_log(make_entries(40))
    served = list(log.entries)
    served[21], served[22] = {**served[22], "index": 21}, {**served[21], "index": 22}
    log.served_entries = served

    with serving(log) as server:
        done = run(server)

    assert_fails(done, "entry 21: not what checkpoint 40 commits to")


def test_a_bad_signature_is_caught():
    log = campaign_log(make_entries(10))
    signed = log.checkpoint()
    text, signature = signed.rsplit(" ", 1)
    raw = bytearray(base64.b64decode(signature))
    raw[20] ^= 0x01
    log.note = f"{text} {base64.b64encode(raw).decode()}\n"

    with serving(log) as server:
        done = run(server)

    assert_fails(done, "the latest checkpoint: bad signature by key localhost:8080/campaigns+")


def test_a_checkpoint_by_another_key_is_caught():
    log = campaign_log(make_entries(10))
    log.note = note.note_sign(log.checkpoint().split("\n\n")[0] + "\n", NEXT_KEY, log.key_name)

    with serving(log) as server:
        done = run(server)

    assert_fails(done, "the latest checkpoint: no signature by key localhost:8080/campaigns+")


def test_a_checkpoint_of_another_campaign_is_caught():
    log = campaign_log(make_entries(10))
    log.note = log.checkpoint().replace("/campaigns/7\n", "/campaigns/8\n")
    log.note = note.note_sign(log.note.split("\n\n")[0] + "\n", KEY, log.key_name)

    with serving(log) as server:
        done = run(server)

    assert_fails(done, "checkpoint 10: origin 'localhost:8080/campaigns/8', expected")


def test_a_total_that_is_not_the_sum_is_caught():
    log = campaign_log(make_entries(10))
    log.note = log.checkpoint(total_change=500)

    with serving(log) as server:
        done = run(server)

    assert_fails(done, "checkpoint 10: total ", "but its entries sum to ")


@pytest.mark.parametrize(
    ("index", "change", "message"),
    [
        (4, {"commitment": "ab" * 32}, "entry 4: a refund with another commitment"),
        (4, {"refers_to": 2}, "entry 4: a refund with another commitment"),
        (4, {"refers_to": 9}, "entry 4: a refund referring to 9, which is not an earlier"),
        (4, {"amount": -10_000}, "entry 4: refunds of capture 3 exceed its amount"),
        (3, {"commitment": "AB" * 32}, "entry 3: commitment 'ABAB"),
        (3, {"amount": -5}, "entry 3: a capture of -5"),
        (3, {"occurred_at": "2025-04-01T10:00:03Z"}, "entry 3: occurred_at"),
        (3, {"campaign_id": 8}, "entry 3: campaign_id 8, expected 7"),
    ],
)
def test_entries_that_break_the_rules_are_named_even_when_signed(index, change, message):
    entries = make_entries(10)
    entries[index] = {**entries[index], **change}
    log = campaign_log(entries)  # signed as they are: a signature alone does not vouch for them

    with serving(log) as server:
        done = run(server)

    assert_fails(done, message)


def test_an_entry_of_another_type_is_named():
    log = campaign_log(make_entries(10))
    log.served_entries = [dict(entry) for entry in log.entries]
    log.served_entries[3]["amount"] = 1.5

    with serving(log) as server:
        done = run(server)

    assert_fails(done, "entry 3: amount 1.5 is not an integer")


# Witnesses


def test_a_witness_accepts_a_log_that_grows(tmp_path):
    state = tmp_path / "campaign-7.json"
    entries = make_entries(30)
    log = campaign_log(entries[:11])

    with serving(log) as server:
        first = run(server, "--state", str(state))
        log.extend(entries[11:])
        second = run(server, "--state", str(state))
        third = run(server, "--state", str(state))

    assert first.returncode == 0, first.stderr
    assert "checkpoint 11 verified" in first.stdout
    assert second.returncode == 0, second.stderr
    assert "checkpoint 30 verified: 30 entries" in second.stdout
    assert second.stdout.endswith(", consistent with checkpoint 11\n")
    assert third.stdout.endswith(", consistent with checkpoint 30\n")
    saved = json.loads(state.read_text())
    assert saved == {
        "origin": "localhost:8080/campaigns/7",
        "verifier_key": log.verifier_key(),
        "checkpoint": log.checkpoint(),
    }


def test_a_witness_catches_a_forked_checkpoint(tmp_path):
    state = tmp_path / "campaign-7.json"
    entries = make_entries(30)
    log = campaign_log(entries[:12])

    with serving(log) as server:
        assert run(server, "--state", str(state)).returncode == 0
        before = state.read_text()
        server.log = campaign_log([*entries[:9], *make_entries(30, seed="fork")[9:]])
        done = run(server, "--state", str(state))

    assert_fails(done, "checkpoint 30: not consistent with checkpoint 12 seen before")
    assert state.read_text() == before


def test_a_witness_catches_history_rewritten_without_an_entry(tmp_path):
    state = tmp_path / "campaign-7.json"
    entries = make_entries(30)
    log = campaign_log(entries[:20])

    with serving(log) as server:
        assert run(server, "--state", str(state)).returncode == 0
        # the operator re-signs a log without entry 6: on its own it verifies
        server.log = campaign_log(renumbered(entries[:6] + entries[7:21]))
        alone = run(server)
        done = run(server, "--state", str(state))

    assert alone.returncode == 0, alone.stderr
    assert_fails(done, "checkpoint 20: not consistent with checkpoint 20 seen before")


def test_a_witness_catches_a_log_that_shrank(tmp_path):
    state = tmp_path / "campaign-7.json"
    log = campaign_log(make_entries(20))

    with serving(log) as server:
        assert run(server, "--state", str(state)).returncode == 0
        server.log = campaign_log(make_entries(15))
        done = run(server, "--state", str(state))

    assert_fails(done, "checkpoint 15: the log shrank from 20 entries")


def test_a_witness_follows_a_key_rotation_only_through_a_doubly_signed_checkpoint(tmp_path):
    state = tmp_path / "campaign-7.json"
    entries = make_entries(20)
    log = campaign_log(entries[:10])

    with serving(log) as server:
        assert run(server, "--state", str(state)).returncode == 0
        log.extend(entries[10:15])
        log.key, old_key = NEXT_KEY, log.key
        refused = run(server, "--state", str(state))
        log.note = note.note_add_signature(log.checkpoint(), old_key, example.KEY_NAME)
        handed_over = run(server, "--state", str(state))
        log.extend(entries[15:])
        log.note = None
        after = run(server, "--state", str(state))

    assert_fails(refused, "checkpoint 15: the log's key changed from", "previous key as well")
    assert handed_over.returncode == 0, handed_over.stderr
    assert after.returncode == 0, after.stderr
    assert "checkpoint 20 verified" in after.stdout


def test_a_state_file_of_another_campaign_is_a_usage_error(tmp_path):
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"origin": "localhost:8080/campaigns/8"}))

    with serving(campaign_log(make_entries(3))) as server:
        done = run(server, "--state", str(state))

    assert done.returncode == 2
    assert "is the state of localhost:8080/campaigns/8" in done.stderr


def test_an_unreachable_platform_exits_3():
    with serving(campaign_log(make_entries(3))) as server:
        port = server.server_port
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    done = subprocess.run(  # noqa: S603  # our own script
        [sys.executable, str(SCRIPT), f"http://127.0.0.1:{port}", "7", "--timeout", "5"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert done.returncode == 3
    assert done.stderr.startswith("verify-campaign: could not download the log: GET http://")


# Refund reversals (a refund that failed after it was logged; docs/transparency.md)


def reversal_entries(**change: object) -> list[dict]:
    """Ten entries (entry 4 refunds capture 3) and an eleventh undoing the refund."""
    entries = make_entries(10)
    refund = entries[4]
    entries.append(
        {
            **refund,
            "index": 10,
            "kind": "refund_reversal",
            "amount": -refund["amount"],
            "refers_to": 4,
            "occurred_at": "2025-04-02T10:00:00.000000Z",
            **change,
        }
    )
    return entries


def test_a_refund_reversal_verifies():
    log = campaign_log(reversal_entries())

    with serving(log) as server:
        done = run(server)

    assert done.returncode == 0, done.stderr
    assert "checkpoint 11 verified" in done.stdout


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"refers_to": 3}, "entry 10: a reversal referring to 3, not an earlier refund"),
        ({"amount": 1}, "entry 10: a reversal of 1 that is not refund 4 undone"),
        ({"commitment": "ab" * 32}, "that is not refund 4 undone"),
    ],
)
def test_a_reversal_that_undoes_no_refund_is_named(change, message):
    log = campaign_log(reversal_entries(**change))

    with serving(log) as server:
        done = run(server)

    assert_fails(done, message)


def test_a_refund_is_reversed_once_only():
    entries = reversal_entries()
    entries.append({**entries[10], "index": 11})
    log = campaign_log(entries)

    with serving(log) as server:
        done = run(server)

    assert_fails(done, "entry 11: a reversal referring to 4, not an earlier refund")
